import { describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/siteSchema.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { MONDAY, useFrontDeskDialog } from '../helpers/frontDeskDialog.js';

const NOT_UNDERSTOOD = 'Sorry, I did not catch that. Could you say it again?';

const desk = useFrontDeskDialog({ rules: [{ match: ['secret handshake'], reply: 'You found the rule.' }], notUnderstoodReply: NOT_UNDERSTOOD });

describe('DialogManager: instant answers from site data', () => {
  it('answers opening hours from the schedule and today, pocketsphinx errors included', () => {
    const { say } = desk();
    const hours = say('what are your opening ours');
    expect(hours.intent).toBe('openingHours');
    expect(hours.text).toMatch(/^We're open today until 17:30\. Our usual hours are .*Wednesday 09:00 to 12:30 and 13:30 to 19:00.*closed on Sunday\.$/);
    expect(say('are you open on saturday').text).toBe("On Saturday the 12th we're open 10:00 to 13:00.");
  });

  it('a site configured without opening hours leaves hours questions to the model', () => {
    const { dialog } = desk(MONDAY, siteSchema.parse({ name: 'the office', timezone: 'Europe/London' }));
    expect(dialog.respond('what are your opening hours')).toMatchObject({ kind: 'llm' });
    expect(dialog.respond('are you open now')).toMatchObject({ kind: 'llm' });
  });

  it('says whether the clinic is open now, and when it opens next', () => {
    expect(desk().say('are you open now').text).toBe("Yes, we're open until 17:30.");
    expect(desk('2026-12-07T18:00').say('are you open now').text).toBe("No, we're closed now; we open tomorrow at 09:00.");
    expect(desk('2026-12-12T14:00').say('are you open now').text).toBe("No, we're closed now; we open on Monday the 14th at 09:00.");
    expect(desk('2026-12-25T10:00').say('what are your opening hours today').text).toBe("We're closed today for Christmas Day. We open again on Monday at 09:00.");
  });

  it('answers address, directions, FAQ, thanks and config rules', () => {
    const { say } = desk();
    expect(say('what is your address').text).toBe("We're at 12 River Street, Kingston.");
    expect(say('where is the waiting room').text).toMatch(/^We are on the ground floor\./);
    expect(say('is there parking').text).toBe('There is free parking behind the building for two hours. The entrance is on Mill Lane.');
    expect(say('thank you').text).toBe("You're welcome.");
    expect(say('the secret handshake please')).toMatchObject({ intent: 'rule', text: 'You found the rule.' });
  });

  it('gives the wifi password only when the operator made it public', () => {
    expect(desk().say('what is the wifi password').text).toBe('The wifi network is Riverside-Guest and the password is riverside2026.');
    const site = exampleSite();
    site.wifi = { network: 'Riverside-Guest', password: 'riverside2026', passwordPublic: false };
    const privateText = desk(MONDAY, site).say('what is the wifi password').text;
    expect(privateText).toBe('The wifi network is Riverside-Guest; please ask at the desk for the password.');
    expect(privateText).not.toContain('riverside2026');
  });

  it('sends what it cannot answer to the LLM and logs it as a knowledge gap', () => {
    const { dialog, db } = desk();
    const decision = dialog.respond('do you do travel vaccinations for kenya');
    expect(decision).toEqual({ kind: 'llm', events: [{ type: 'knowledgeGap', question: 'do you do travel vaccinations for kenya' }] });
    expect(db.gaps.list().map((gap) => gap.question)).toEqual(['do you do travel vaccinations for kenya']);
  });

  it('says the not-understood line for an empty transcript with no flow, and re-asks with one', () => {
    const { say } = desk();
    expect(say('')).toEqual({ kind: 'answer', text: NOT_UNDERSTOOD, events: [] });
    say('book a consultation');
    expect(say('  ').text).toBe('What day and time would suit you?');
  });

  it('prepares on a partial without side effects and answers the final the same', () => {
    const { dialog, db } = desk();
    dialog.prepare('what are your opening');
    dialog.prepare('do you do travel vaccinations');
    dialog.prepare('book a consultation tomorrow at ten');
    expect(db.gaps.list()).toHaveLength(0);
    expect(dialog.activeFlow).toBeUndefined();
    // The final differs from the last partial: matched afresh.
    expect(dialog.respond('what are your opening hours today')).toMatchObject({ kind: 'answer', intent: 'openingHours', text: "We're open today until 17:30." });
    dialog.prepare('is there parking');
    expect(dialog.respond('Is there parking?')).toMatchObject({ kind: 'answer', intent: 'faq' });
  });

  it('a reset forgets the flow', () => {
    const { dialog } = desk();
    dialog.respond('book a consultation');
    expect(dialog.activeFlow).toBe('booking');
    dialog.reset();
    expect(dialog.activeFlow).toBeUndefined();
    // The flow is gone: "yes" now means nothing to the dialog.
    expect(dialog.respond('yes').kind).toBe('llm');
  });

  it('ends the flow on goodbye', () => {
    const { dialog, say } = desk();
    say('book a consultation tomorrow at ten');
    expect(say('ok bye').text).toBe('Goodbye, and have a good day.');
    expect(dialog.activeFlow).toBeUndefined();
  });
});

describe('DialogManager: handoff and messages', () => {
  it('calls a person when staff are on duty', () => {
    const { say, db } = desk();
    const decision = say('can i talk to a person please');
    expect(decision.text).toBe("I've let the reception team know; someone will come to the desk shortly.");
    expect(decision.events).toEqual([{ type: 'handoff', id: db.handoffs.list()[0]!.id, reason: 'asked', urgency: 'normal', summary: 'Visitor asked for a person', staffAvailable: true }]);
  });

  it('takes a message honestly when nobody is on duty', () => {
    const { say, db, dialog } = desk('2026-12-13T10:00');
    const handoff = say('can i speak to someone');
    expect(handoff.text).toBe("Nobody is available right now, so I'll take a message. What would you like me to pass on?");
    expect(handoff.events).toEqual([expect.objectContaining({ type: 'handoff', staffAvailable: false })]);
    expect(dialog.activeFlow).toBe('message');
    expect(say('please ask doctor patel to call me about my test results').text).toBe('And your name and a phone number or email?');
    const readBack = say('my name is anna smith my number is zero seven seven zero zero nine zero zero one two three');
    expect(readBack.text).toMatch(/^I have 0 7 7 0 0.* — is that right\?$/);
    const done = say('yes');
    expect(done.text).toBe("Thanks, I've passed your message on to the reception team.");
    const [message] = db.messages.list();
    expect(message).toMatchObject({ text: 'please ask doctor patel to call me about my test results', visitorName: 'Anna Smith', contact: '07700900123' });
    expect(done.events).toEqual([{ type: 'message', id: message!.id }]);
  });

  it('takes a message when asked to', () => {
    const { say, db } = desk();
    expect(say('can i leave a message').text).toBe('Of course. What would you like me to pass on?');
    say('i will be ten minutes late');
    say('no thanks');
    expect(db.messages.list()[0]).toMatchObject({ text: 'i will be ten minutes late', visitorName: null });
  });

  it('calls a person with high urgency for an upset visitor', () => {
    const { say } = desk();
    const decision = say('this is ridiculous i have been waiting for an hour and i am furious');
    expect(decision.events).toEqual([expect.objectContaining({ type: 'handoff', reason: 'upset', urgency: 'high' })]);
    expect(decision.text).toBe("I've let the reception team know; someone will come to the desk shortly.");
  });

  it('a request for a person in the middle of a booking replaces the booking', () => {
    const { say, dialog, db } = desk();
    say('book a consultation tomorrow at ten');
    say('i want to speak to a real person');
    expect(dialog.activeFlow).toBeUndefined();
    expect(db.handoffs.list()[0]!.summary).toBe('Visitor asked for a person (during booking)');
    expect(db.appointments.list()).toHaveLength(0);
  });
});

describe('DialogManager.warmUp', () => {
  const stored = (db: ReturnType<typeof desk>['db']) => ({
    appointments: db.appointments.list({ includeCancelled: true }).length,
    leads: db.leads.list().length,
    messages: db.messages.list().length,
    handoffs: db.handoffs.list().length,
    gaps: db.gaps.list().length,
  });
  const nothing = { appointments: 0, leads: 0, messages: 0, handoffs: 0, gaps: 0 };

  it('writes nothing and starts no flow', () => {
    const { dialog, db } = desk();
    dialog.warmUp();
    dialog.warmUp();
    expect(stored(db)).toEqual(nothing);
    expect(dialog.activeFlow).toBeUndefined();
  });

  it('leaves a conversation in progress where it was: the same replies as without it', () => {
    const script = ['i would like to book a consultation', 'tomorrow at ten', 'yes'];
    // References are random: compare the replies without them.
    const withoutReference = (text: string) => text.replace(/Your reference is .*$/, 'Your reference is …');
    const cold = desk();
    const warm = desk();
    const coldReplies = script.map((text) => withoutReference(cold.say(text).text));
    const warmReplies = script.map((text, i) => {
      if (i > 0) {
        warm.dialog.warmUp();
        expect(warm.dialog.activeFlow).toBe('booking');
      }
      return withoutReference(warm.say(text).text);
    });
    expect(warmReplies[2]).toMatch(/^Done\. You're booked for a consultation tomorrow at 10:00\./);
    expect(warmReplies).toEqual(coldReplies);
    expect(stored(warm.db)).toEqual({ ...nothing, appointments: 1 });
    expect(stored(cold.db)).toEqual(stored(warm.db));
  });
});
