/**
 * The lexical end-of-turn detector on clean text and on what pocketsphinx actually heard
 * (test/fixtures/endpointing/pocketsphinx-outputs.tsv, made by recogniser-outputs.py there: flite
 * voices rms, slt, awb, kal and espeak-ng through Debian's en-us model).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EndOfTurnCompleteness } from '../../src/turn/endpointing/EndOfTurnVerdict.js';
import { judgeLexically } from '../../src/turn/endpointing/lexicalEndOfTurn.js';

/** [transcript, expected, where it came from: 'clean' or 'pocketsphinx <voice>: <what was said>'] */
const TABLE: [string, EndOfTurnCompleteness, string][] = [
  // clean: unfinished
  ['could you check if there is a slot on', 'unfinished', 'clean'],
  ['is there a slot on', 'unfinished', 'clean'],
  ['book an appointment for', 'unfinished', 'clean'],
  ['i would like to', 'unfinished', 'clean'],
  ['i want to', 'unfinished', 'clean'],
  ['can i', 'unfinished', 'clean'],
  ['could you', 'unfinished', 'clean'],
  ['is there', 'unfinished', 'clean'],
  ['i would like', 'unfinished', 'clean'],
  ['i would like to book', 'unfinished', 'clean'],
  ['can you check', 'unfinished', 'clean'],
  ['can you tell me', 'unfinished', 'clean'],
  ['the printer', 'unfinished', 'clean'],
  ['my appointment', 'unfinished', 'clean'],
  ['i would like to book an appointment', 'unfinished', 'clean'],
  ['is there a free slot', 'unfinished', 'clean'],
  ['where can i park my', 'unfinished', 'clean'],
  ['tell me a story about', 'unfinished', 'clean'],
  ['i was wondering if', 'unfinished', 'clean'],
  ['um', 'unfinished', 'clean'],
  ['could you check if there is a slot on um', 'unfinished', 'clean'],
  ['is there parking you know', 'unfinished', 'clean'],
  ['what is your address i mean', 'unfinished', 'clean'],
  ['can i see the doctor and', 'unfinished', 'clean'],
  ["i'm here to see dr patel's", 'unfinished', 'clean'],
  ['my name is', 'unfinished', 'clean'],
  ['what is', 'unfinished', 'clean'],
  ['and i', 'unfinished', 'clean'],
  ['can i just', 'unfinished', 'clean'],
  ['i would like two', 'unfinished', 'clean (recogniser-style "to" → "two")'],
  ['i need too', 'unfinished', 'clean (recogniser-style "to" → "too")'],
  ['i would like to book an appointment four', 'unfinished', 'clean (recogniser-style "for" → "four")'],
  // clean: complete
  ['what are your opening hours', 'complete', 'clean'],
  ['are you open on saturday', 'complete', 'clean'],
  ['where can i park my car', 'complete', 'clean'],
  ['where can i park', 'complete', 'clean'],
  ['where do i go', 'complete', 'clean'],
  ['where do i sign', 'complete', 'clean'],
  ['how do i pay', 'complete', 'clean'],
  ['when should i come', 'complete', 'clean'],
  ['how do i log', 'unfinished', 'clean'],
  ['how do i get', 'unfinished', 'clean'],
  ['where do i check', 'unfinished', 'clean'],
  ['where do i come', 'unfinished', 'pocketsphinx rms: where do i um (sign in)'],
  ['tell me a story about a little cat', 'complete', 'clean'],
  ['book a check up tomorrow at ten', 'complete', 'clean'],
  ['i would like to book an appointment for friday', 'complete', 'clean'],
  ['is there a slot on thursday morning', 'complete', 'clean'],
  ['can i speak to a person', 'complete', 'clean'],
  ['the printer is not working', 'complete', 'clean'],
  ['i want to cancel my appointment', 'complete', 'clean'],
  ['yes', 'complete', 'clean'],
  ['no', 'complete', 'clean'],
  ['yes please', 'complete', 'clean'],
  ['thank you', 'complete', 'clean'],
  ['goodbye', 'complete', 'clean'],
  ["that's all", 'complete', 'clean'],
  ['twenty five', 'complete', 'clean'],
  ['my name is anna smith', 'complete', 'clean'],
  ['how are you', 'complete', 'clean'],
  ['do you know where the toilets are', 'complete', 'clean'],
  ['where are you from', 'complete', 'clean'],
  ['who should i speak to', 'complete', 'clean'],
  ['can i come in', 'complete', 'clean'],
  ['i think so', 'complete', 'clean'],
  ['what can i book', 'complete', 'clean'],
  ['no i do not', 'complete', 'clean'],
  ['the toilets please', 'complete', 'clean'],
  ['book a check up at four', 'complete', 'clean'],
  // clean: unsure
  ['', 'unsure', 'clean'],
  ['hello', 'unsure', 'clean'],
  ['parking', 'unsure', 'clean'],
  // pocketsphinx: unfinished, with the function-word swaps it makes
  ['but can appointment for', 'unfinished', 'pocketsphinx rms: book an appointment for'],
  ['i need an appointment with a', 'unfinished', 'pocketsphinx slt: i need an appointment with the ("the" → "a")'],
  ['i would like to book an appointment or', 'unfinished', 'pocketsphinx kal: …appointment for ("for" → "or")'],
  ['but an apartment or', 'unfinished', 'pocketsphinx kal: book an appointment for'],
  ['but can a blind man far', 'unfinished', 'pocketsphinx slt: book an appointment for ("for" → "far")'],
  ['and i bought a checkup or', 'unfinished', 'pocketsphinx kal: can i book a check up for'],
  ["and i'd put a check up on", 'unfinished', 'pocketsphinx kal: can i book a check up and ("and" → "on")'],
  ['and i', 'unfinished', 'pocketsphinx kal: can i ("can" → "and")'],
  ['that are hot on', 'unfinished', 'pocketsphinx kal: is there a slot on'],
  ['his vessel up on', 'unfinished', 'pocketsphinx awb: is there a slot on'],
  ['what are your opening goes on', 'unfinished', 'pocketsphinx awb: what are your opening hours on'],
  ['i made an appointment with the', 'unfinished', 'pocketsphinx kal: i need an appointment with the'],
  ['i was wandering and', 'unfinished', 'pocketsphinx kal: i was wondering if ("if" → "and")'],
  ['i would like to but', 'unfinished', 'pocketsphinx kal: i would like to book'],
  ['and', 'unfinished', 'pocketsphinx slt: um'],
  ['is it less ah ah', 'unfinished', 'pocketsphinx espeak-ng: is there a slot on'],
  ['my blind man', 'unfinished', 'pocketsphinx slt: my appointment'],
  ['the you do', 'unfinished', 'pocketsphinx espeak-ng: the printer'],
  ['can i put a check up for', 'unfinished', 'pocketsphinx rms: can i book a check up for'],
  ['i would like the book', 'unfinished', 'pocketsphinx espeak-ng: i would like to book ("to" → "the")'],
  ['where can i parked my', 'unfinished', 'pocketsphinx rms: where can i park my'],
  // pocketsphinx: complete
  ['but to check up the morrow and ten', 'complete', 'pocketsphinx rms: book a check up tomorrow at ten ("at" → "and")'],
  ['but it checked out tomorrow of ten', 'complete', 'pocketsphinx kal: book a check up tomorrow at ten'],
  ['are you a ban on saturday', 'complete', 'pocketsphinx slt: are you open on saturday'],
  ['where the toilets', 'complete', 'pocketsphinx slt: where are the toilets'],
  ['is there a sign on ferries the morning', 'complete', 'pocketsphinx slt: is there a slot on thursday morning'],
  ['the arts on the early morning', 'complete', 'pocketsphinx kal: is there a slot on thursday morning'],
  ['i would like to book an appointment or friday', 'complete', 'pocketsphinx kal: …appointment for friday'],
  ['my name is janice miss', 'complete', 'pocketsphinx rms: my name is anna smith'],
  ['what is the wi-fi password', 'complete', 'pocketsphinx rms: what is the wifi password'],
  ['where can i parked my car', 'complete', 'pocketsphinx rms: where can i park my car'],
  ['when do you post today', 'complete', 'pocketsphinx kal: when do you close today'],
  ["and i'd read a person", 'complete', 'pocketsphinx kal: can i speak to a person'],
  ['what are your opening bucks', 'complete', 'pocketsphinx awb: what are your opening hours'],
  ['i want to handle my appointment', 'complete', 'pocketsphinx kal: i want to cancel my appointment'],
  ['when do you close to date', 'complete', 'pocketsphinx awb: when do you close today'],
];

describe('judgeLexically: the table', () => {
  it('has at least 60 rows, measured pocketsphinx outputs among them', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
    expect(TABLE.filter(([, , source]) => source.startsWith('pocketsphinx')).length).toBeGreaterThanOrEqual(30);
  });

  it.each(TABLE)('%j is %s (%s)', (transcript, expected) => {
    expect(judgeLexically(transcript).completeness).toBe(expected);
  });
});

describe('judgeLexically: the rule that decided', () => {
  it.each([
    ['is there a slot on', 'unfinished', 'trailing preposition "on"'],
    ['i need an appointment with the', 'unfinished', 'trailing article "the"'],
    ['can i see my', 'unfinished', 'trailing determiner "my"'],
    ['is there wifi and', 'unfinished', 'trailing conjunction "and"'],
    ['where is the toilet um', 'unfinished', 'trailing filler "um"'],
    ["i'm here for my husband's", 'unfinished', 'trailing possessive "husband\'s"'],
    ['could you', 'unfinished', '"could you" without its verb'],
    ['i would', 'unfinished', 'trailing auxiliary "would"'],
    ['i would like', 'unfinished', '"would like" without its object'],
    ['can you check', 'unfinished', 'verb "check" without its object'],
    ['could you show me', 'unfinished', '"show me" without its object'],
    ['the printer', 'unfinished', 'subject without a verb'],
    ['can i book a check up', 'unfinished', 'booking without a day or time'],
    ['i want too', 'unfinished', '"too" after "want", heard for "to"'],
    ['book an appointment four', 'unfinished', '"4" after a request, heard for "for"'],
    ['what are your opening hours', 'complete', 'question with object'],
    ['are you open on sunday', 'complete', 'ends with a time'],
    ['is there parking here', 'complete', 'yes/no question with object'],
    ['tell me a story about a little cat', 'complete', 'request with object'],
    ['yes please', 'complete', 'short reply'],
    ['0 7 7 0 9', 'complete', 'a number'],
    ['my name is anna smith', 'complete', 'name given'],
    ['what time is it', 'complete', 'wh-question with "be"'],
    ['can you tell me where it is', 'complete', 'embedded question'],
    ['', 'unsure', 'no words yet'],
    ['good morning', 'unsure', 'greeting only'],
  ] as const)('%j: %s, %s', (transcript, completeness, reason) => {
    expect(judgeLexically(transcript)).toEqual({ completeness, reason });
  });

  it('reads written text the way it reads recogniser output', () => {
    expect(judgeLexically('Is there a slot on…')).toEqual(judgeLexically('is there a slot on'));
    expect(judgeLexically("What's the Wi-Fi password?").completeness).toBe('complete');
  });
});

describe('judgeLexically: the dialog intent option', () => {
  const complete = () => 'complete' as const;
  const incomplete = () => 'incomplete' as const;
  const none = () => undefined;

  it('makes a verdict without a clear cue complete when the dialog says complete', () => {
    expect(judgeLexically('parking', { intent: complete })).toEqual({ completeness: 'complete', reason: 'intent complete (words: too few words to judge by)' });
    expect(judgeLexically('the printer', { intent: complete }).completeness).toBe('complete');
  });

  it('keeps a clear cue unfinished whatever the dialog says', () => {
    for (const text of ['what are your opening hours on', 'where is the', 'is there wifi and', 'what is the wifi password um']) {
      expect(judgeLexically(text, { intent: complete }).completeness).toBe('unfinished');
    }
  });

  it('makes the verdict unfinished when the dialog says incomplete', () => {
    expect(judgeLexically('i would like to book an appointment for friday', { intent: incomplete })).toEqual({
      completeness: 'unfinished',
      reason: 'intent incomplete (words: ends with a time)',
    });
  });

  it('leaves the words to decide when the dialog has no view', () => {
    expect(judgeLexically('can i', { intent: none })).toEqual(judgeLexically('can i'));
    expect(judgeLexically('what are your opening hours', { intent: none })).toEqual(judgeLexically('what are your opening hours'));
  });

  it('does not ask the dialog about an empty transcript or one ending in a clear cue', () => {
    const asked: string[] = [];
    const recording = (text: string) => {
      asked.push(text);
      return 'complete' as const;
    };
    judgeLexically('', { intent: recording });
    judgeLexically('is there a slot on', { intent: recording });
    judgeLexically('are you open', { intent: recording });
    expect(asked).toEqual(['are you open']);
  });
});

describe('judgeLexically on every measured pocketsphinx output', () => {
  const rows = readFileSync(new URL('../fixtures/endpointing/pocketsphinx-outputs.tsv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string, string, EndOfTurnCompleteness]);
  const share = (expected: EndOfTurnCompleteness, got: EndOfTurnCompleteness, voices: (voice: string) => boolean) => {
    const of = rows.filter(([voice, , , wanted]) => wanted === expected && voices(voice));
    return of.filter(([, , heard]) => judgeLexically(heard).completeness === got).length / of.length;
  };
  const flite = (voice: string) => voice !== 'espeak-ng';
  const any = () => true;

  it('judges the clean phrases it was built on as the table expects', () => {
    const wrong = rows.filter(([, said, , expected]) => judgeLexically(said).completeness !== expected).map(([, said]) => said);
    expect([...new Set(wrong)]).toEqual([]);
  });

  // Floors a little under what was measured (flite: 88% unfinished, 96% complete), so a rule
  // change that loses ground on real recogniser output fails here.
  it('finds most unfinished phrases unfinished and rarely cuts one off', () => {
    expect(share('unfinished', 'unfinished', flite)).toBeGreaterThanOrEqual(0.85);
    expect(share('unfinished', 'complete', flite)).toBeLessThanOrEqual(0.06);
    expect(share('unfinished', 'complete', any)).toBeLessThanOrEqual(0.12);
  });

  it('finds most complete phrases complete and seldom holds one back', () => {
    expect(share('complete', 'complete', flite)).toBeGreaterThanOrEqual(0.93);
    expect(share('complete', 'unfinished', any)).toBeLessThanOrEqual(0.06);
  });
});
