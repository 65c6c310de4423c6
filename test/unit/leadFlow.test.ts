import { describe, expect, it } from 'vitest';
import type { DialogDecision } from '../../src/dialog/DialogManager.js';
import { useFrontDeskDialog } from '../helpers/frontDeskDialog.js';

/** Sunday 13 December 2026, 10:00: closed, nobody on duty. */
const SUNDAY = '2026-12-13T10:00';
const PHONE = 'zero seven seven zero zero nine zero zero one two three';

const desk = useFrontDeskDialog();

describe('lead qualification on transcripts', () => {
  it('asks one question per turn, reads the contact back and hands a hot lead to staff on duty', () => {
    const { say, db, dialog } = desk();
    expect(say('i am asking about a health plan for my company').text).toBe('I can help with that. What would you like the plan to cover?');
    expect(dialog.activeFlow).toBe('lead');
    expect(say('health checks and vaccinations').text).toBe('How many staff would it be for?');
    expect(say('about forty').text).toBe('When would you like to start?');
    expect(say('this month if possible').text).toBe('May I have your name?');
    expect(say('anna smith').text).toBe('And a phone number or email address where we can reach you?');
    const readBack = say(PHONE);
    expect(readBack.text).toMatch(/^I have 0 7 7 0 0.*1 2 3 — is that right\?$/);
    expect(db.leads.list()).toHaveLength(0);

    const done = say('yes');
    expect(done.text).toBe("Thank you. I've let the reception team know; someone will come to talk to you now.");
    const [lead] = db.leads.list();
    expect(lead).toMatchObject({ score: 80, outcome: 'handoff', visitorName: 'Anna Smith', contact: '07700900123' });
    expect(lead!.reasons).toEqual(['wants services we offer', 'a large team', 'wants to start soon']);
    expect(lead!.answers).toMatchObject({ need: 'health checks and vaccinations', size: 'about forty', timeline: 'this month if possible' });
    expect(done.events).toEqual([
      expect.objectContaining({ type: 'handoff', reason: 'hot-lead', urgency: 'high', staffAvailable: true }),
      { type: 'lead', id: lead!.id, score: 80, outcome: 'handoff' },
    ]);
    const handoff = done.events[0] as Extract<DialogDecision['events'][number], { type: 'handoff' }>;
    expect(handoff.summary).toMatch(/^Lead \(score 80: .*\): health checks and vaccinations; about forty; this month if possible; Anna Smith; 07700900123$/);
    expect(dialog.activeFlow).toBeUndefined();
  });

  it('books a call for a hot lead when nobody is on duty', () => {
    const { say, db } = desk(SUNDAY);
    say('business enquiry');
    say('health checks');
    say('fifty people');
    say('as soon as possible');
    say('my name is tom');
    say(PHONE);
    const offer = say('yes');
    expect(offer.text).toBe('Thank you. Nobody from the team is free right now. The team can call you back tomorrow at 09:00. Shall I book that call?');
    expect(offer.events).toEqual([expect.objectContaining({ type: 'handoff', reason: 'hot-lead', staffAvailable: false })]);
    const booked = say('yes please');
    expect(booked.text).toMatch(/^Done\. The team will call you tomorrow at 09:00\. Your reference is /);
    const [appointment] = db.appointments.list();
    expect(appointment).toMatchObject({ serviceId: 'callback', visitorName: 'Tom', contact: '07700900123', startUtc: '2026-12-14T09:00:00.000Z' });
    expect(db.leads.list()[0]).toMatchObject({ outcome: 'call-booked', score: 80 });
    expect(booked.events.map((event) => event.type)).toEqual(['appointment', 'lead']);
  });

  it('offers a warm lead a call and keeps it for follow-up when declined', () => {
    const { say, db } = desk();
    say('staff health checks');
    say('vaccinations'); // 20
    say('about ten'); // 15
    say('not sure yet');
    say('skip');
    const offer = say('skip');
    expect(offer.text).toMatch(/^Thank you\. The team can call you back today at \d\d:\d\d\. Shall I book that call\?$/);
    expect(say('no thanks').text).toBe('All right, the team will be in touch.');
    expect(db.leads.list()[0]).toMatchObject({ score: 35, outcome: 'follow-up', visitorName: null, contact: null });
    expect(db.appointments.list()).toHaveLength(0);
  });

  it('keeps a cold lead for follow-up', () => {
    const { say, db } = desk();
    say('business enquiry');
    say('just information');
    say('two of us');
    say('maybe next year');
    say('anna');
    say('anna at example dot com');
    const done = say('yes');
    expect(done.text).toBe("Thanks, we'll be in touch.");
    expect(db.leads.list()[0]).toMatchObject({ score: 0, outcome: 'follow-up', contact: 'anna@example.com' });
  });

  it('repeats on "repeat" and on silence, skips on "skip"', () => {
    const { say, db } = desk();
    say('business enquiry');
    expect(say('can you repeat that').text).toBe('What would you like the plan to cover?');
    expect(say('').text).toBe('What would you like the plan to cover?');
    expect(say('skip that one').text).toBe('No problem. How many staff would it be for?');
    say('forty');
    expect(db.leads.list()).toHaveLength(0);
  });

  it('asks for the contact again when the read-back is wrong', () => {
    const { say } = desk();
    say('business enquiry');
    for (let i = 0; i < 4; i++) say('skip');
    say(PHONE);
    expect(say('no').text).toBe('Sorry, could you say it again?');
    expect(say('zero seven seven zero zero nine zero zero four five six').text).toMatch(/4 5 6 — is that right\?$/);
  });

  it('answers a question asked in the middle, then asks its own question again', () => {
    const { say, dialog } = desk();
    say('business enquiry');
    say('health checks');
    const parking = say('where can i park');
    expect(parking.text).toBe('There is free parking behind the building for two hours. The entrance is on Mill Lane. So, how many staff would it be for?');
    expect(dialog.activeFlow).toBe('lead');
    expect(say('forty').text).toBe('When would you like to start?');
  });

  it('gives way to a booking request (a new flow replaces the lead)', () => {
    const { say, dialog } = desk();
    say('business enquiry');
    say('health checks');
    say('cancel my appointment');
    expect(dialog.activeFlow).toBe('booking');
  });
});
