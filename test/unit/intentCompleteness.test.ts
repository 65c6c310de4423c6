/**
 * The front desk's view of whether a transcript is a finished request, on the example clinic
 * (systemd/config.example.yaml) at a fixed weekday morning in its timezone, through the real
 * intent matcher and date parser.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createIntentCompleteness } from '../../src/dialog/intentCompleteness.js';
import { judgeLexically } from '../../src/turn/endpointing/lexicalEndOfTurn.js';
import { exampleSite } from '../helpers/exampleSite.js';

/** Wednesday 2 December 2026, 10:00 in London: the clinic is open (09:00–12:30, 13:30–19:00). */
const wednesdayMorning = DateTime.fromISO('2026-12-02T10:00', { zone: 'Europe/London' });
const judge = createIntentCompleteness(exampleSite(), [{ match: ['secret handshake'], reply: 'You found the rule.' }], () => wednesdayMorning);

describe('createIntentCompleteness', () => {
  it.each([
    'what are your opening hours',
    'are you open now',
    'what is your address',
    'how do i get to the waiting room',
    'what is the wifi password',
    'where can i park',
    'where are the toilets',
    'can i talk to a person',
    'thank you',
    'goodbye',
    'do you know the secret handshake',
  ])('%j: an intent answered at once is complete', (transcript) => {
    expect(judge(transcript)).toBe('complete');
  });

  it.each([
    'book a check up tomorrow at ten',
    "i'd like to book a check up for tomorrow at half past ten",
    'can i book a consultation for friday at three',
    'is there an appointment available on thursday morning',
    'i need to reschedule my appointment to friday at ten',
  ])('%j: a booking with its day and time is complete', (transcript) => {
    expect(judge(transcript)).toBe('complete');
  });

  it.each([
    'i would like to book an appointment',
    'book a check up on',
    'i would like to book a check up on',
    'can i book a consultation for friday',
    'i need to reschedule my appointment',
  ])('%j: a booking without a time is incomplete', (transcript) => {
    expect(judge(transcript)).toBe('incomplete');
  });

  it('leaves a booking with a time but no day to the words', () => {
    expect(judge('can i book a check up at ten')).toBeUndefined();
  });

  it.each(['tell me a story about a little cat', 'what is the capital of france', 'the weather is nice', '', 'i want to cancel my appointment', 'the printer is not working'])(
    '%j: no confident match, or an intent that takes a reference or free text, has no view',
    (transcript) => {
      expect(judge(transcript)).toBeUndefined();
    },
  );

  it('reads the clock at each booking judgement and not otherwise', () => {
    const readings: DateTime[] = [];
    const clock = () => {
      readings.push(wednesdayMorning);
      return wednesdayMorning;
    };
    const counted = createIntentCompleteness(exampleSite(), [], clock);
    expect(readings).toHaveLength(0);
    counted('what are your opening hours');
    expect(readings).toHaveLength(0);
    expect(counted('book a check up tomorrow at ten')).toBe('complete');
    expect(counted('book a check up tomorrow')).toBe('incomplete');
    expect(readings).toHaveLength(2);
  });

  it('feeds the lexical detector: the dialog decides where the words do not, a clear cue still wins', () => {
    expect(judgeLexically('wifi', { intent: judge }).completeness).toBe('complete');
    expect(judgeLexically('i would like to book a check up for friday', { intent: judge }).completeness).toBe('unfinished');
    expect(judgeLexically('what are your opening hours on', { intent: judge })).toEqual({ completeness: 'unfinished', reason: 'trailing preposition "on"' });
  });
});
