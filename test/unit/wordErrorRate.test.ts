import { describe, expect, it } from 'vitest';
import { addWordErrors, normaliseWords, wordErrorRate, wordErrors } from '../../src/bench/wordErrorRate.js';

// The bench's word error rate: the alignment counts and the rate, against pairs counted by hand.

const counts = (reference: string, hypothesis: string) => {
  const { substitutions: S, deletions: D, insertions: I, referenceWords: N } = wordErrors(reference, hypothesis);
  return { S, D, I, N };
};

describe('normaliseWords', () => {
  it('lower-cases, treats punctuation as spaces, keeps apostrophes inside words and digits', () => {
    expect(normaliseWords("  What's   the TIME, please?! Room 12-B… 'quoted' ")).toEqual(["what's", 'the', 'time', 'please', 'room', '12b', 'quoted']);
  });

  it('reads a typed ’ as an apostrophe', () => {
    expect(normaliseWords('What’s on')).toEqual(["what's", 'on']);
  });

  it('joins a hyphenated word: "wi-fi" and "wifi" are the same word, however the recogniser writes it', () => {
    expect(normaliseWords('What is the Wi-Fi password - please')).toEqual(['what', 'is', 'the', 'wifi', 'password', 'please']);
  });

  it('has no words for empty or punctuation-only text', () => {
    expect(normaliseWords('')).toEqual([]);
    expect(normaliseWords(' ... ?! ')).toEqual([]);
  });
});

describe('wordErrors', () => {
  it('counts nothing for an identical transcript', () => {
    expect(counts('where is the reception desk', 'where is the reception desk')).toEqual({ S: 0, D: 0, I: 0, N: 5 });
  });

  it('counts one substitution', () => {
    expect(counts('can i book an appointment', 'can i look an appointment')).toEqual({ S: 1, D: 0, I: 0, N: 5 });
  });

  it('counts one insertion', () => {
    expect(counts('where is the desk', 'where is the desk please')).toEqual({ S: 0, D: 0, I: 1, N: 4 });
  });

  it('counts one deletion', () => {
    expect(counts('is there parking near the building', 'is there parking near building')).toEqual({ S: 0, D: 1, I: 0, N: 6 });
  });

  it('counts a mix: your→you and hours→ours substituted, today inserted', () => {
    expect(counts('what are your opening hours', 'what are you opening ours today')).toEqual({ S: 2, D: 0, I: 1, N: 5 });
  });

  it('counts every heard word as inserted when the reference is empty', () => {
    expect(counts('', 'hello there')).toEqual({ S: 0, D: 0, I: 2, N: 0 });
    expect(counts('', '')).toEqual({ S: 0, D: 0, I: 0, N: 0 });
  });

  it('counts every reference word as deleted when nothing was heard', () => {
    expect(counts('what time do you open', '')).toEqual({ S: 0, D: 5, I: 0, N: 5 });
  });

  it('ignores case and punctuation', () => {
    expect(counts("What's the time?", "what's THE time")).toEqual({ S: 0, D: 0, I: 0, N: 3 });
  });

  it('breaks ties towards substitutions: "a b" heard as "b a" is 2 S, not 1 D + 1 I', () => {
    expect(counts('a b', 'b a')).toEqual({ S: 2, D: 0, I: 0, N: 2 });
  });

  it('agrees with the textbook pair "the cat sat on the mat" / "the cat sit on mat" (1 S, 1 D: 2/6)', () => {
    const errors = wordErrors('the cat sat on the mat', 'the cat sit on mat');
    expect(errors).toEqual({ substitutions: 1, deletions: 1, insertions: 0, referenceWords: 6 });
    expect(wordErrorRate(errors)).toBeCloseTo(2 / 6, 12);
  });
});

describe('wordErrorRate', () => {
  it('is (S + D + I) / N', () => {
    expect(wordErrorRate(wordErrors('what are your opening hours', 'what are you opening ours today'))).toBeCloseTo(3 / 5, 12);
    expect(wordErrorRate({ substitutions: 0, deletions: 0, insertions: 0, referenceWords: 4 })).toBe(0);
  });

  it('can exceed 1 when more is inserted than was said', () => {
    expect(wordErrorRate(wordErrors('yes', 'yes no no no'))).toBe(3);
  });

  it('is 0 for an empty reference heard as nothing, 1 when anything was heard', () => {
    expect(wordErrorRate(wordErrors('', ''))).toBe(0);
    expect(wordErrorRate(wordErrors('', 'hello there friend'))).toBe(1);
  });
});

describe('addWordErrors', () => {
  it('adds each count, so a file’s WER is its summed errors over its summed words', () => {
    const sum = addWordErrors(wordErrors('what time do you open', 'what time do you open'), wordErrors('the cat sat on the mat', 'the cat sit on mat'));
    expect(sum).toEqual({ substitutions: 1, deletions: 1, insertions: 0, referenceWords: 11 });
    expect(wordErrorRate(sum)).toBeCloseTo(2 / 11, 12);
  });
});
