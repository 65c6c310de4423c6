import { REFERENCE_ALPHABET, REFERENCE_LENGTH } from '../../storage/bookingReference.js';
import { normaliseUtterance } from './normaliseUtterance.js';
import { AMBIGUOUS_LETTER_WORDS, LETTER_NAMES } from './spokenSymbols.js';

const ALPHABET = new Set(REFERENCE_ALPHABET);

interface SpokenSymbols {
  symbols: string;
  /** How many came from words that are also everyday words ("a", "see", "you"). */
  ambiguous: number;
}

/** The symbols one word stands for ("kay" → K, "47" → 47, "k47" → K47), or undefined. */
function symbolsOf(word: string): SpokenSymbols | undefined {
  const letter = LETTER_NAMES[word];
  if (letter !== undefined) return { symbols: letter, ambiguous: AMBIGUOUS_LETTER_WORDS.has(word) ? 1 : 0 };
  if (/^[a-z0-9]+$/.test(word) && /\d/.test(word) && word.length <= REFERENCE_LENGTH) return { symbols: word.toUpperCase(), ambiguous: 0 };
  return undefined;
}

/**
 * A booking reference spoken in the text: "k four seven", "K47", "kay 4 7", "it's bravo seven
 * delta", "double seven k" → "77K". The symbols must be from the reference alphabet
 * (src/storage/bookingReference.ts) and exactly REFERENCE_LENGTH in a row; words between them
 * break the run. A run made mostly of letter names that are also words ("see you are") is a
 * sentence, not a reference. When more than one run fits, the last one said is taken (people
 * correct themselves: "k4… no, k47"). Undefined when none fits.
 */
export function extractReference(text: string): string | undefined {
  const words = normaliseUtterance(text).split(' ');
  const runs: SpokenSymbols[] = [];
  let run: SpokenSymbols = { symbols: '', ambiguous: 0 };
  const close = () => {
    if (run.symbols.length > 0) runs.push(run);
    run = { symbols: '', ambiguous: 0 };
  };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    // "double seven", "double you" (W), "triple 3"
    const times = word === 'double' ? 2 : word === 'triple' ? 3 : 1;
    if (times > 1 && words[i + 1] === 'you' && times === 2) {
      run.symbols += 'W';
      i += 1;
      continue;
    }
    const next = symbolsOf(times > 1 ? (words[i + 1] ?? '') : word);
    if (next === undefined || [...next.symbols].some((symbol) => !ALPHABET.has(symbol))) {
      close();
      continue;
    }
    if (times > 1) i += 1;
    run.symbols += next.symbols.repeat(times);
    run.ambiguous += next.ambiguous;
  }
  close();
  const fitting = runs.filter((candidate) => candidate.symbols.length === REFERENCE_LENGTH && candidate.ambiguous * 2 < REFERENCE_LENGTH);
  return fitting.at(-1)?.symbols;
}
