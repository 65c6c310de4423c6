import { describe, expect, it } from 'vitest';
import { PhraseChunker } from '../../src/turn/PhraseChunker.js';

const options = { firstPhraseMinWords: 3, firstPhraseMaxWords: 8, laterPhraseMaxWords: 24 };

/** Streams text in small pieces, like LLM tokens, and collects every phrase. */
function chunk(text: string, pieceLength = 3): string[] {
  const chunker = new PhraseChunker(options);
  const phrases: string[] = [];
  for (let i = 0; i < text.length; i += pieceLength) phrases.push(...chunker.push(text.slice(i, i + pieceLength)));
  const rest = chunker.flush();
  if (rest) phrases.push(rest);
  return phrases;
}

describe('PhraseChunker', () => {
  it('sends the first phrase at a clause boundary once it has a few words', () => {
    expect(chunk('Sure, we are open today, from nine until half past five. See you soon!')).toEqual([
      'Sure, we are open today,',
      'from nine until half past five.',
      'See you soon!',
    ]);
  });

  it('cuts the first phrase after the maximum word count when no punctuation comes', () => {
    const phrases = chunk('the quick brown fox jumps over the lazy dog and keeps on running. Done.');
    expect(phrases[0]).toBe('the quick brown fox jumps over the lazy');
    expect(phrases[1]).toBe('dog and keeps on running.');
  });

  it('never splits times, decimals, thousands or abbreviations', () => {
    const phrases = chunk(
      'Your appointment is at 10:30 with Dr. Smith on Main St. near the bank. It costs 1,250.50 dollars, e.g. cash or card. We close at 5 p.m. today.',
      2,
    );
    expect(phrases).toEqual([
      'Your appointment is at 10:30 with Dr. Smith',
      'on Main St. near the bank.',
      'It costs 1,250.50 dollars, e.g. cash or card.',
      'We close at 5 p.m. today.',
    ]);
    for (const p of phrases) expect(p).not.toMatch(/^\d|^:|^\.|^Smith/);
  });

  it('does not cut at a boundary until the next character shows it is one', () => {
    const chunker = new PhraseChunker(options);
    expect(chunker.push('We open at 10:')).toEqual([]);
    expect(chunker.push('30 and')).toEqual([]);
    expect(chunker.push(' close at 5.')).toEqual([]);
    expect(chunker.push(' Bye')).toEqual(['We open at 10:30 and close at 5.']);
    expect(chunker.flush()).toBe('Bye');
  });

  it('keeps later phrases whole sentences even when they have clauses', () => {
    const phrases = chunk('Hello there, friend. Later, when you come back, ask me again, and I will help.');
    expect(phrases).toEqual(['Hello there, friend.', 'Later, when you come back, ask me again, and I will help.']);
  });

  it('treats a newline as a sentence end and ignores empty text', () => {
    expect(chunk('First line here\nsecond line here\n\n')).toEqual(['First line here', 'second line here']);
    expect(chunk('   ')).toEqual([]);
  });

  it('resets between replies after flush', () => {
    const chunker = new PhraseChunker(options);
    chunker.push('One two three, four ');
    chunker.flush();
    expect(chunker.push('Alpha beta gamma, delta ')).toEqual(['Alpha beta gamma,']);
  });
});
