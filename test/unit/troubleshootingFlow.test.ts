import { describe, expect, it } from 'vitest';
import { useFrontDeskDialog } from '../helpers/frontDeskDialog.js';

const SUNDAY = '2026-12-13T10:00';
const STEP_1 = 'Touch the screen once in the middle and wait five seconds.';
const STEP_2 = 'If it is still frozen, press the small round button under the screen once.';
const STEP_3 = 'Wait until you see the clinic logo, then try checking in again.';

const desk = useFrontDeskDialog();

describe('guided troubleshooting on transcripts', () => {
  it('speaks one step at a time and stops when it helped', () => {
    const { say, dialog, db } = desk();
    const first = say('the check in screen is frozen');
    expect(first.text).toBe(`Let's sort out the check-in screen. ${STEP_1} Did that help?`);
    expect(first.flow).toBe('troubleshooting');
    expect(say('no').text).toBe(`All right, next: ${STEP_2} Did that help?`);
    expect(say('yes that worked').text).toBe("Great, glad that's sorted.");
    expect(dialog.activeFlow).toBeUndefined();
    expect(db.handoffs.list()).toHaveLength(0);
  });

  it('repeats a step on "repeat" and on silence, and skips on "skip"', () => {
    const { say } = desk();
    say('the check in screen is frozen');
    expect(say('sorry can you repeat that').text).toBe(`${STEP_1} Did that help?`);
    expect(say('').text).toBe(`${STEP_1} Did that help?`);
    expect(say('skip').text).toBe(`All right, next: ${STEP_2} Did that help?`);
  });

  it('hands over with a summary of what was tried when the last step fails and staff are on duty', () => {
    const { say, db, dialog } = desk();
    say('the check in screen is frozen');
    say('no');
    say('skip');
    const done = say('no still not working');
    expect(done.text).toBe("Sorry that didn't fix it. I've let the reception team know; someone will come to the desk shortly.");
    expect(done.events).toEqual([expect.objectContaining({ type: 'handoff', reason: 'guide-failed', urgency: 'normal', staffAvailable: true, summary: 'Check-in screen: tried 2 of 3 steps, still not working' })]);
    expect(db.handoffs.list()).toHaveLength(1);
    expect(dialog.activeFlow).toBeUndefined();
  });

  it('says all steps were tried and takes a message when nobody is on duty', () => {
    const { say, db, dialog } = desk(SUNDAY);
    say('the check in screen is frozen');
    say('no');
    say('no');
    const failed = say('no');
    expect(failed.text).toBe("Sorry that didn't fix it. Nobody is available right now, so I'll take a message. What would you like me to pass on?");
    expect(failed.events).toEqual([expect.objectContaining({ type: 'handoff', staffAvailable: false, summary: 'Check-in screen: tried 3 steps, still not working' })]);
    expect(dialog.activeFlow).toBe('message');
    expect(say('the check in screen does not work please fix it').text).toBe('And your name and a phone number or email?');
    expect(say('skip').text).toBe("Thanks, I've passed your message on to the reception team.");
    expect(db.messages.list()[0]).toMatchObject({ text: 'the check in screen does not work please fix it', visitorName: null, contact: null });
  });

  it('answers another question in the middle and goes back to the step', () => {
    const { say, dialog } = desk();
    say('the printer shows an error');
    const wifi = say('what is the wifi password');
    expect(wifi.text).toBe(
      'The wifi network is Riverside-Guest and the password is riverside2026. Back to the printer: Open the front cover of the printer and close it firmly. Did that help?',
    );
    expect(dialog.activeFlow).toBe('troubleshooting');
    expect(say('yes').text).toBe("Great, glad that's sorted.");
  });

  it('gives way to another guide when the visitor changes topic', () => {
    const { say } = desk();
    say('the printer shows an error');
    expect(say('actually the check in screen is frozen').text).toBe(`Let's sort out the check-in screen. ${STEP_1} Did that help?`);
    expect(say('no').text).toContain(STEP_2);
    expect(say('no').text).toContain(STEP_3);
  });
});
