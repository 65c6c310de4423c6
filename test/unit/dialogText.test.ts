/**
 * The dialog's language helpers on transcripts as ASR engines write them (pocketsphinx writes
 * words, lower case, no punctuation; others write digits and punctuation).
 */
import { describe, expect, it } from 'vitest';
import { REFERENCE_ALPHABET } from '../../src/storage/bookingReference.js';
import { classifyAnswer, type AnswerKind } from '../../src/dialog/text/classifyAnswer.js';
import { extractContact } from '../../src/dialog/text/extractContact.js';
import { extractName } from '../../src/dialog/text/extractName.js';
import { extractReference } from '../../src/dialog/text/extractReference.js';
import { findService } from '../../src/dialog/text/findService.js';
import { isUpset } from '../../src/dialog/text/isUpset.js';
import { normaliseUtterance } from '../../src/dialog/text/normaliseUtterance.js';
import { numberWordsToDigits } from '../../src/dialog/text/numberWords.js';
import { stem, tokenForm, tokenSimilarity } from '../../src/dialog/text/tokenSimilarity.js';
import { exampleSite } from '../helpers/exampleSite.js';

describe('normaliseUtterance', () => {
  it.each([
    ["What's the Wi-Fi password?", 'what is the wifi password'],
    ['I’m looking for the nurse’s room', 'i am looking for the nurse room'],
    ["I don't want it, I can't", 'i do not want it i can not'],
    ['dont cancel whats that', 'do not cancel what is that'],
    ['twenty five', '25'],
    ['ten thirty', '10 30'],
    ['10:30', '10 30'],
    ['a hundred and twenty', '120'],
    ['seven seven double oh nine hundred one two three', '7 7 double oh 900 1 2 3'],
    ['two thousand twenty six', '2026'],
    ['what are your opening ours', 'what are your opening hours'],
    ['we are ours', 'we are ours'],
    ['can i make a point meant', 'can i make an appointment'],
    ['why fi', 'wifi'],
    ["where's the wife i password", 'where is the wifi password'],
    ['my wife is here', 'my wife is here'],
    ['I need to re schedule', 'i need to reschedule'],
    ['at ten o’clock', 'at 10 oclock'],
    ['1,000 people', '1000 people'],
    ['  ?! ', ''],
  ])('%j → %j', (text, normal) => {
    expect(normaliseUtterance(text)).toBe(normal);
  });

  it('combines number words only as one number phrase', () => {
    expect(numberWordsToDigits(['nineteen', 'eighty', 'four'])).toEqual(['19', '84']);
    expect(numberWordsToDigits(['a', 'thousand', 'and', 'one', 'nights'])).toEqual(['1001', 'nights']);
    expect(numberWordsToDigits(['a', 'cat'])).toEqual(['a', 'cat']);
    expect(numberWordsToDigits(['zero', 'hundred'])).toEqual(['0', 'hundred']);
  });

  it('converts ordinals only when asked (the time parser does, normaliseUtterance does not)', () => {
    const tokens = ['the', 'twenty', 'first', 'and', 'the', 'second', 'one'];
    expect(numberWordsToDigits(tokens, { ordinals: true })).toEqual(['the', '21st', 'and', 'the', '2nd', '1']);
    expect(numberWordsToDigits(tokens)).toEqual(['the', '20', 'first', 'and', 'the', 'second', '1']);
    expect(numberWordsToDigits(['the', 'twelfth', 'the', 'thirtieth'], { ordinals: true })).toEqual(['the', '12th', 'the', '30th']);
  });
});

describe('word similarity', () => {
  const sim = (a: string, b: string) => tokenSimilarity(tokenForm(a), tokenForm(b));
  it('scores exact, same stem, one edit, sound-alike and unrelated words', () => {
    expect(sim('park', 'park')).toBe(1);
    expect(stem('parking')).toBe('park');
    expect(stem('jammed')).toBe('jam');
    expect(sim('parking', 'park')).toBe(0.95);
    expect(sim('receptionist', 'receptionest')).toBe(0.9);
    expect(sim('error', 'era')).toBe(0.8);
    expect(sim('wifi', 'wife')).toBe(0.8);
    expect(sim('prescription', 'perscripshon')).toBe(0.8);
    expect(sim('prescription', 'subscription')).toBe(0);
    expect(sim('prescription', 'prescripton')).toBe(0.9);
    expect(sim('prescription', 'perscription')).toBe(0.8);
    expect(sim('book', 'look')).toBe(0);
    expect(sim('weather', 'where')).toBe(0);
  });
});

describe('classifyAnswer', () => {
  const table: [string, AnswerKind | undefined][] = [
    ['yes please', 'yes'], ['Yeah.', 'yes'], ['yep', 'yes'], ['sure', 'yes'], ["that's right", 'yes'], ['correct', 'yes'],
    ['Yes, that is right, thank you.', 'yes'], ['ok', 'yes'], ['okay then', 'yes'], ['um yes at ten is fine', 'yes'],
    ['no problem', 'yes'],
    ['no', 'no'], ['nope', 'no'], ['not really', 'no'], ["it didn't", 'no'], ['um, no, it didn’t', 'no'], ['no, tuesday at ten', 'no'],
    ['say that again', 'repeat'], ['repeat', 'repeat'], ['pardon?', 'repeat'], ['what', 'repeat'], ["sorry I didn't catch that", 'repeat'],
    ['skip', 'skip'], ['next step', 'skip'], ['can we skip this one', 'skip'],
    ['stop', 'stop'], ['never mind', 'stop'], ['cancel that', 'stop'], ['oh just forget it', 'stop'],
    ["i don't know", 'dontKnow'], ['no i do not know', 'dontKnow'], ["I'm not sure", 'dontKnow'], ['no idea', 'dontKnow'],
    ['yes but can it be later', undefined], ['no wait', undefined], ['yes no', undefined], ['what time do you close', undefined],
    ["the printer won't stop beeping", undefined], ['tomorrow at ten', undefined], ['', undefined],
  ];
  it.each(table)('%j → %s', (text, kind) => {
    expect(classifyAnswer(text)).toBe(kind);
  });
});

describe('findService', () => {
  const { services } = exampleSite();
  it.each([
    ['can i book a consultation', 'consultation'],
    ['a check up tomorrow at ten please', 'checkup'],
    ['i need a health check', 'checkup'],
    ['a checkup', 'checkup'],
    ['i need to see a doctor', 'consultation'],
    ['can you call me back', 'callback'],
    ['a consultashun', 'consultation'],
    // Other content words (a name, a day) say nothing against the service.
    ['a consultation tomorrow at ten my name is bob', 'consultation'],
    ['consultation my name is anna smith', 'consultation'],
  ])('%j → %s', (text, id) => {
    expect(findService(text, services)?.id).toBe(id);
  });

  it.each(['the check in screen is frozen', 'tomorrow at ten', 'a haircut', ''])('%j → none', (text) => {
    expect(findService(text, services)).toBeUndefined();
  });

  it('names none when two services fit equally', () => {
    const twins = [
      { ...services[0]!, id: 'a', name: 'massage', phrasings: [] },
      { ...services[0]!, id: 'b', name: 'massage', phrasings: [] },
    ];
    expect(findService('a massage please', twins)).toBeUndefined();
  });
});

describe('extractReference', () => {
  it.each([
    ['k four seven', 'K47'],
    ['K47', 'K47'],
    ['kay 4 7', 'K47'],
    ['kay forty seven', 'K47'],
    ['my reference is k 4 7', 'K47'],
    ["it's bravo seven delta", 'B7D'],
    ['double seven k', '77K'],
    ['the reference is double you 3 9', 'W39'],
    ['d b c', 'DBC'],
    ['b see 3', 'BC3'],
    ['zed 2 m', 'Z2M'],
    ['is it k47 or k48', 'K48'],
  ])('%j → %s', (text, reference) => {
    expect(extractReference(text)).toBe(reference);
  });

  it.each(['see you are', 'a b c', 'tomorrow at ten', 'k 4', 'k 4 7 9', 'my booking on tuesday at 3', 'k o 7', 'i 1 0', ''])('%j → none', (text) => {
    expect(extractReference(text)).toBeUndefined();
  });

  it('only returns symbols of the storage alphabet', () => {
    for (const text of ['k four seven', 'bravo seven delta', 'double you 3 9']) {
      expect([...extractReference(text)!].every((symbol) => REFERENCE_ALPHABET.includes(symbol))).toBe(true);
    }
  });
});

describe('extractContact', () => {
  it.each([
    ['my number is oh seven seven double oh nine hundred one two three', 'phone', '07700900123', '0 7 7 0 0, 9 0 0, 1 2 3'],
    ['0 7 7 0 0 9 0 0 1 2 3', 'phone', '07700900123', '0 7 7 0 0, 9 0 0, 1 2 3'],
    ['07700 900123', 'phone', '07700900123', '0 7 7 0 0, 9 0 0, 1 2 3'],
    ['oh seven seven hundred nine hundred one two three', 'phone', '07700900123', '0 7 7 0 0, 9 0 0, 1 2 3'],
    ["it's zero two zero seven nine four six zero nine five eight", 'phone', '02079460958', '0 2 0, 7 9 4 6, 0 9 5 8'],
    ['call me on four one five five five five two six seven one', 'phone', '4155552671', '4 1 5, 5 5 5, 2 6 7 1'],
    ['plus four four seven seven double oh nine double oh one two three', 'phone', '+447700900123', 'plus 4 4, 7 7 0 0, 9 0 0, 1 2 3'],
    ['my email is anna at example dot com', 'email', 'anna@example.com', 'anna at example dot com'],
    ['anna dot smith at example dot co dot uk', 'email', 'anna.smith@example.co.uk', 'anna dot smith at example dot co dot uk'],
    ['Anna@Example.com', 'email', 'anna@example.com', 'anna at example dot com'],
    ['bob twenty six at gmail dot com', 'email', 'bob26@gmail.com', 'bob26 at gmail dot com'],
    ['my email is a n n a at example dot com', 'email', 'anna@example.com', 'anna at example dot com'],
  ])('%j → %s %s', (text, kind, value, spoken) => {
    expect(extractContact(text)).toEqual({ kind, value, spoken });
  });

  it.each(['tomorrow at ten', 'seven seven', "i'll be there at three", 'meet me at the cafe', 'one two three four five', ''])('%j → none', (text) => {
    expect(extractContact(text)).toBeUndefined();
  });
});

describe('extractName', () => {
  it.each([
    ['my name is anna smith', 'Anna Smith'],
    ["i'm anna", 'Anna'],
    ["it's anna smith", 'Anna Smith'],
    ['its anna smith', 'Anna Smith'],
    ['this is bob', 'Bob'],
    ['this is Bob calling', 'Bob'],
    ["my name's o'brien", "O'Brien"],
    ['i am anna-marie jones and i have an appointment', 'Anna-Marie Jones'],
    ["it's doctor jones", 'Dr Jones'],
    ['my name is anna smith, 07700 900123', 'Anna Smith'],
    ["I'm Sarah from Acme", 'Sarah'],
  ])('%j → %s', (text, name) => {
    expect(extractName(text)).toBe(name);
  });

  it.each([
    "i'm looking for the toilets",
    "i'm not sure",
    "it's broken",
    'this is ridiculous',
    'this is frustrating',
    "i'm here for my appointment",
    "i'm a patient",
    "tomorrow at ten, i'm free then",
    "it is ten o'clock",
    'anna smith',
  ])('%j → none', (text) => {
    expect(extractName(text)).toBeUndefined();
  });
});

describe('isUpset', () => {
  it.each(['this is ridiculous', 'you are useless', "i'm angry", 'I am furious!', 'what a waste of time', 'this is fucking broken', "I'm fed up with this"])(
    '%j → upset',
    (text) => {
      expect(isUpset(text)).toBe(true);
    },
  );
  it.each(["i'm not angry", 'can i book a check up', 'that is not a waste of time', 'thank you', ''])('%j → calm', (text) => {
    expect(isUpset(text)).toBe(false);
  });
});
