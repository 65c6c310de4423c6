import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { extractReference } from '../../src/dialog/text/extractReference.js';
import { withoutSpelledRuns } from '../../src/dialog/text/withoutSpelledRuns.js';
import { resolveWhen } from '../../src/dialog/time/resolveWhen.js';
import { SiteCalendar } from '../../src/dialog/time/SiteCalendar.js';
import { normaliseTimeText } from '../../src/dialog/time/timeWords.js';
import { isIssuable, REFERENCE_ALPHABET } from '../../src/storage/bookingReference.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { MONDAY, useFrontDeskDialog } from '../helpers/frontDeskDialog.js';

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

const desk = useFrontDeskDialog();

/** A reference as a visitor reads it out to pocketsphinx: "K47" → "k four seven". */
function spoken(reference: string): string {
  return [...reference.toLowerCase()].map((char) => (/\d/.test(char) ? DIGIT_WORDS[Number(char)] : char)).join(' ');
}

function referenceIn(text: string): string {
  const found = /Your reference is ((?:[A-Z0-9], ){2}[A-Z0-9])\./.exec(text);
  if (!found) throw new Error(`no reference in "${text}"`);
  return found[1]!.replace(/, /g, '');
}

const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone });

describe('booking on transcripts', () => {
  it('books in two utterances, writing nothing before the yes', () => {
    const { say, booked } = desk();
    const ask = say("i'd like to book a consultation tomorrow at ten");
    expect(ask.text).toBe('Tomorrow at 10:00 for a consultation — shall I book it?');
    expect(ask.flow).toBe('booking');
    expect(booked()).toHaveLength(0);

    const done = say('yes');
    expect(done.text).toMatch(/^Done\. You're booked for a consultation tomorrow at 10:00\. Your reference is [A-Z0-9], [A-Z0-9], [A-Z0-9]\.$/);
    const rows = booked();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ serviceId: 'consultation', startUtc: '2026-12-08T10:00:00.000Z', reference: referenceIn(done.text) });
    expect(done.events).toEqual([{ type: 'appointment', action: 'booked', reference: rows[0]!.reference, serviceId: 'consultation', startUtc: '2026-12-08T10:00:00.000Z' }]);
  });

  it('asks for the service, offers the first free times of a day and takes "the second one" (ASR errors included)', () => {
    const { say, booked, dialog } = desk();
    const service = say('can i make a point meant for monday');
    expect(service.text).toBe('Would you like a consultation, a check-up or a call back?');
    // The nurse's room does check-ups on Monday 09:00–13:00; with an hour's notice from 10:00 the first is 11:00.
    const times = say('a check up please');
    expect(times.text).toBe('Today I have 11:00, 11:15 or 11:30. Which would you like?');
    const confirm = say('the second one');
    expect(confirm.text).toBe('Today at 11:15 for a check-up — shall I book it?');
    expect(say('yes please').text).toMatch(/^Done\. You're booked for a check-up today at 11:15\./);
    expect(booked()[0]).toMatchObject({ serviceId: 'checkup', resourceId: 'nurse-room', startUtc: '2026-12-07T11:15:00.000Z' });
    expect(dialog.activeFlow).toBeUndefined();
  });

  it('takes a time said in words from the offered list ("nine thirty")', () => {
    const { say } = desk();
    expect(say('book a check up on friday').text).toBe('On Friday the 11th I have 09:00, 09:15 or 09:30. Which would you like?');
    expect(say('nine thirty').text).toBe('Friday the 11th at 09:30 for a check-up — shall I book it?');
  });

  it('refuses a taken slot with up to three alternatives, never saying who has it', () => {
    const { say, frontDesk, booked, zone } = desk();
    const first = frontDesk.book('consultation', at('2026-12-08T10:00', zone), { name: 'Zebedee Quill', contact: '07700900999' });
    expect(first.ok).toBe(true);

    const refused = say('book a consultation tomorrow at ten');
    expect(refused.text).toMatch(/^Sorry, tomorrow at 10:00 is already taken\. I could offer tomorrow at \d\d:\d\d(, \d\d:\d\d)*( or \d\d:\d\d)?\. Would one of those suit you\?$/);
    expect(refused.text).not.toMatch(/zebedee|quill|07700/i);
    const offered = [...refused.text.matchAll(/\d\d:\d\d/g)].slice(1).map((m) => m[0]);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.length).toBeLessThanOrEqual(3);

    const confirm = say('the first one');
    expect(confirm.text).toBe(`Tomorrow at ${offered[0]} for a consultation — shall I book it?`);
    expect(booked()).toHaveLength(1);
    say('yes');
    expect(booked()).toHaveLength(2);
  });

  it('refuses a time outside opening hours and says the hours', () => {
    const { say, booked } = desk();
    const refused = say('i want to book a consultation tomorrow at 7 pm');
    expect(refused.text).toMatch(/^Sorry, 19:00 is outside our opening hours; tomorrow we're open 09:00 to 17:30\. I could offer /);
    expect(booked()).toHaveLength(0);
  });

  it('refuses a time inside the minimum notice', () => {
    const { say, booked } = desk();
    const refused = say('can i book a consultation today at half past ten');
    expect(refused.text).toMatch(/^Sorry, I need at least an hour's notice for a booking\. I could offer today at 11:00/);
    expect(booked()).toHaveLength(0);
  });

  it('"tomorrow" on a Saturday, when the clinic is closed on Sundays, is refused with Monday alternatives', () => {
    const { say } = desk('2026-12-12T10:00');
    const refused = say('book a consultation tomorrow at ten');
    expect(refused.text).toMatch(/^Sorry, we're closed tomorrow\. I could offer Monday the 14th at \d\d:\d\d/);
    expect(refused.text).not.toMatch(/Sunday|Tuesday/);
  });

  it('names the holiday when a day is closed for one', () => {
    const { say } = desk('2026-12-21T10:00');
    expect(say('book a consultation on the 25th at ten').text).toMatch(/^Sorry, we're closed on Friday the 25th for Christmas Day\. I could offer /);
  });

  it('books across the spring DST change at the wall-clock time asked for', () => {
    // Friday 26 March 2027; the clocks go forward on Sunday the 28th, so Monday 10:00 is 09:00 UTC.
    const { say, booked } = desk('2027-03-26T10:00');
    expect(say('book a consultation on monday at ten').text).toBe('Monday the 29th at 10:00 for a consultation — shall I book it?');
    say('yes');
    expect(booked()[0]!.startUtc).toBe('2027-03-29T09:00:00.000Z');
  });

  it('books across the autumn DST change at the wall-clock time asked for', () => {
    // Friday 23 October 2026; the clocks go back on Sunday the 25th, so Monday 10:00 is 10:00 UTC.
    const { say, booked } = desk('2026-10-23T10:00');
    say('book a consultation on monday at ten');
    say('yes');
    expect(booked()[0]!.startUtc).toBe('2026-10-26T10:00:00.000Z');
  });

  it('asks again after a "no" and books the new time', () => {
    const { say, booked } = desk();
    say('book a consultation tomorrow at ten');
    expect(say('no').text).toBe('What day and time would suit you instead?');
    expect(booked()).toHaveLength(0);
    expect(say('wednesday at eleven').text).toBe('Wednesday the 9th at 11:00 for a consultation — shall I book it?');
    say('yes');
    expect(booked()[0]!.startUtc).toBe('2026-12-09T11:00:00.000Z');
  });

  it('keeps the name said anywhere in the conversation with the booking', () => {
    const { say, booked } = desk();
    say('hi i need an appointment');
    expect(say('a consultation please').text).toBe('What day and time would suit you?');
    expect(say('my name is anna smith').text).toBe('What day and time would suit you?');
    say('tomorrow at 2 pm');
    say('yes');
    expect(booked()[0]).toMatchObject({ visitorName: 'Anna Smith', startUtc: '2026-12-08T14:00:00.000Z' });
  });

  it('apologises and offers alternatives when the slot is taken between the question and the yes', () => {
    const { say, frontDesk, booked, zone } = desk();
    say('book a consultation tomorrow at ten');
    expect(frontDesk.book('consultation', at('2026-12-08T10:00', zone), { name: 'Someone Else' }).ok).toBe(true);
    const lost = say('yes');
    expect(lost.text).toMatch(/^Sorry, that time has just been taken\. I could offer /);
    expect(lost.events).toEqual([]);
    expect(booked()).toHaveLength(1);
  });

  it('repeats the pending question on silence and on "sorry what"', () => {
    const { say } = desk();
    say('book a consultation');
    expect(say('').text).toBe('What day and time would suit you?');
    expect(say('sorry can you say that again').text).toBe('What day and time would suit you?');
  });

  it('answers a question in the middle and asks the pending question again', () => {
    const { say, dialog } = desk();
    say('i would like to book a consultation');
    const hours = say('what are your opening hours today');
    expect(hours.text).toBe("We're open today until 17:30. So, what day and time would suit you?");
    expect(dialog.activeFlow).toBe('booking');
  });
});

describe('booking: asking back', () => {
  it('asks am or pm when both fit the hours, and takes "in the evening"', () => {
    const site = exampleSite();
    site.hours.monday = [{ open: '07:00', close: '20:00' }];
    const { say, booked } = desk(MONDAY, site);
    expect(say('book a consultation next monday at 7').text).toBe('Did you mean 07:00 or 19:00?');
    expect(say('in the evening').text).toBe('Monday the 14th at 19:00 for a consultation — shall I book it?');
    expect(booked()).toHaveLength(0);
  });

  it('offers the first free times to a visitor who does not mind when, and "yes" takes the first', () => {
    const { say, booked } = desk();
    say('book a check up');
    const offer = say("i don't know");
    expect(offer.text).toBe('The first free times are today at 11:00, 11:15 or 11:30. Would one of those suit you?');
    expect(say('yes').text).toBe('Today at 11:00 for a check-up — shall I book it?');
    say('yes');
    expect(booked()[0]!.startUtc).toBe('2026-12-07T11:00:00.000Z');
  });

  it('offers the next free times when a day asked for is closed', () => {
    const { say } = desk();
    expect(say('book a consultation on sunday').text).toMatch(/^Sorry, we're closed on Sunday the 13th\. I could offer Monday the 14th at 09:00, 09:15 or 09:30\. Would one of those suit you\?$/);
  });

  it('takes another part of the same day instead of the times offered', () => {
    const { say } = desk();
    say('book a consultation on thursday');
    expect(say('do you have something in the afternoon').text).toBe('On Thursday the 10th in the afternoon I have 12:00, 12:15 or 12:30. Which would you like?');
  });

  it('stops without booking on "never mind"', () => {
    const { say, booked, dialog } = desk();
    say('book a consultation tomorrow at ten');
    expect(say('oh never mind').text).toBe("All right, I haven't booked anything.");
    expect(dialog.activeFlow).toBeUndefined();
    expect(booked()).toHaveLength(0);
  });

  it('changes the time on "no, make it eleven" and keeps the day', () => {
    const { say } = desk();
    say('book a consultation tomorrow at ten');
    expect(say('no make it eleven').text).toBe('Tomorrow at 11:00 for a consultation — shall I book it?');
  });
});

describe('rescheduling and cancelling', () => {
  function withBooking(nowIso = MONDAY) {
    const context = desk(nowIso);
    const result = context.frontDesk.book('consultation', at('2026-12-08T10:00', context.zone), { name: 'Anna Smith' });
    if (!result.ok) throw new Error('could not book the fixture');
    return { ...context, reference: result.appointment.reference };
  }

  it('reschedules by the reference, after a confirmation', () => {
    const { say, db, reference } = withBooking();
    expect(say('i need to change my appointment').text).toBe("What's your booking reference?");
    expect(say(`it's ${spoken(reference)}`).text).toBe("I've found your consultation tomorrow at 10:00. What day and time would you like instead?");
    expect(say('wednesday at eleven').text).toBe('Move your consultation from tomorrow at 10:00 to Wednesday the 9th at 11:00 — shall I do that?');
    expect(db.appointments.findByReference(reference)!.status).toBe('booked');
    const done = say('yes');
    expect(done.text).toMatch(/^Done\. Your consultation is now on Wednesday the 9th at 11:00\. Your reference is /);
    expect(db.appointments.findByReference(reference)!.status).toBe('cancelled');
    const moved = db.appointments.findByReference(referenceIn(done.text))!;
    expect(moved).toMatchObject({ status: 'booked', startUtc: '2026-12-09T11:00:00.000Z', visitorName: 'Anna Smith' });
    expect(done.events).toEqual([{ type: 'appointment', action: 'rescheduled', reference: moved.reference, serviceId: 'consultation', startUtc: moved.startUtc }]);
  });

  it('every reference the kiosk can issue, spelled with a new time in one utterance, is read as both', () => {
    const calendar = new SiteCalendar(exampleSite());
    const now = DateTime.fromISO('2026-12-07T10:00', { zone: 'Europe/London' });
    const misread: string[] = [];
    for (const a of REFERENCE_ALPHABET) {
      for (const b of REFERENCE_ALPHABET) {
        for (const c of REFERENCE_ALPHABET) {
          const reference = a + b + c;
          if (!isIssuable(reference)) continue;
          const text = `please move booking ${spoken(reference)} to thursday at three`;
          const when = resolveWhen(withoutSpelledRuns(normaliseTimeText(text)), now, calendar);
          if (extractReference(text) !== reference || when?.date?.toISODate() !== '2026-12-10' || when.minutes !== 15 * 60) misread.push(reference);
        }
      }
    }
    expect(misread).toEqual([]);
  });

  it('takes the reference and the new time in one utterance', () => {
    const { say, reference } = withBooking();
    expect(say(`please move booking ${spoken(reference)} to thursday at three`).text).toBe(
      "I've found your consultation tomorrow at 10:00. Move your consultation from tomorrow at 10:00 to Thursday the 10th at 15:00 — shall I do that?",
    );
  });

  it('moves a booking by a quarter of an hour, overlapping its own old time', () => {
    const { say, db, reference } = withBooking();
    say(`move my appointment ${spoken(reference)}`);
    expect(say('tomorrow at 10 15').text).toBe('Move your consultation from tomorrow at 10:00 to tomorrow at 10:15 — shall I do that?');
    expect(say('yes').text).toMatch(/^Done\. Your consultation is now tomorrow at 10:15\./);
    expect(db.appointments.list().map((row) => [row.startUtc, row.status])).toEqual([['2026-12-08T10:15:00.000Z', 'booked']]);
    expect(db.appointments.list({ includeCancelled: true })).toHaveLength(2);
  });

  it('cancels by the reference, after a confirmation', () => {
    const { say, db, reference } = withBooking();
    expect(say('i want to cancel my appointment').text).toBe("What's your booking reference?");
    expect(say(spoken(reference)).text).toBe('Cancel your consultation tomorrow at 10:00?');
    expect(db.appointments.findByReference(reference)!.status).toBe('booked');
    const done = say('yes');
    expect(done.text).toBe('Done. Your consultation tomorrow at 10:00 is cancelled.');
    expect(db.appointments.findByReference(reference)!.status).toBe('cancelled');
    expect(done.events).toEqual([{ type: 'appointment', action: 'cancelled', reference, serviceId: 'consultation', startUtc: '2026-12-08T10:00:00.000Z' }]);
  });

  it('keeps the booking when the visitor says no to cancelling', () => {
    const { say, db, reference } = withBooking();
    say(`cancel my booking ${spoken(reference)}`);
    expect(say('no').text).toBe('All right, your booking stays as it is.');
    expect(db.appointments.findByReference(reference)!.status).toBe('booked');
  });

  it('finds a booking by name and time when the reference is lost', () => {
    const { say } = withBooking();
    expect(say('cancel my appointment tomorrow at ten').text).toBe(
      "What's your booking reference? If you don't have it, tell me the name the booking is under and its day and time.",
    );
    expect(say('my name is anna smith').text).toBe('Cancel your consultation tomorrow at 10:00?');
  });

  it('says only that a wrong reference is unknown, and offers a person after the second', () => {
    const { say, db, reference } = withBooking();
    const wrong = reference === 'ZZZ' ? 'YYY' : 'ZZZ';
    say('cancel my appointment');
    const first = say(spoken(wrong));
    expect(first.text).toBe(`I can't find a booking with reference ${[...wrong].join(', ')}. Could you say the reference again?`);
    const second = say(spoken(wrong));
    expect(second.text).toBe(`I can't find a booking with reference ${[...wrong].join(', ')}. Would you like me to ask the reception team to help?`);
    for (const text of [first.text, second.text]) expect(text).not.toMatch(/anna|smith|10:00|consultation/i);
    const handoff = say('yes please');
    expect(handoff.events[0]).toMatchObject({ type: 'handoff', reason: 'asked' });
    expect(db.appointments.findByReference(reference)!.status).toBe('booked');
  });
});
