import { doubleMetaphone } from 'double-metaphone';
import { distance } from 'fastest-levenshtein';

/** A word prepared once for repeated comparison: its light stem and its Double Metaphone codes. */
export interface TokenForm {
  readonly word: string;
  readonly stem: string;
  /** Primary and alternate codes; empty for digits and one-letter words (too short to say anything). */
  readonly codes: readonly string[];
}

/**
 * A light English stemmer, enough for "parking"/"park", "hours"/"hour", "booked"/"book". Both
 * sides of every comparison are stemmed the same way, so an odd stem ("thi" for "this") is harmless.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  else return w;
  // "jammed" → "jamm" → "jam", "stopping" → "stop"
  const last = w.at(-1);
  return last !== undefined && last === w.at(-2) && !'lsz'.includes(last) ? w.slice(0, -1) : w;
}

/** The comparison form of one normalised word. */
export function tokenForm(word: string): TokenForm {
  // Repeated sounds collapse ("ARR" for "error" is "AR", as for "era").
  const codes = word.length < 2 || /^\d+$/.test(word) ? [] : [...new Set(doubleMetaphone(word).map((code) => code.replace(/(.)\1+/g, '$1')))].filter((code) => code.length >= 2);
  return { word, stem: stem(word), codes };
}

/** Similarity of equal stems that are not the same word ("parking"/"park"): just below an exact match. */
const SAME_STEM = 0.95;
/** One edit in a word of five letters or more ("receptionest"): a likely mis-hearing. */
const ONE_EDIT = 0.9;
/** Sounds the same (Double Metaphone) with at most 60% of the letters edited ("wife"/"wifi", "era"/"error"). */
const SOUNDS_ALIKE = 0.8;
/** Two edits in a word of eight letters or more ("perscription"). */
const TWO_EDITS = 0.8;

/**
 * How alike two words are, 0..1: exact 1; same stem 0.95; otherwise fuzzy (edit distance on the
 * stems) or phonetic (Double Metaphone) similarity, and 0 below those. Short words must match
 * exactly or by sound: one edit turns "book" into "look".
 */
export function tokenSimilarity(a: TokenForm, b: TokenForm): number {
  if (a.word === b.word) return 1;
  if (a.stem === b.stem) return SAME_STEM;
  const longest = Math.max(a.stem.length, b.stem.length);
  if (Math.abs(a.stem.length - b.stem.length) > 2 || longest < 3) return 0;
  const soundAlike = a.codes.some((code) => b.codes.includes(code));
  // Without the same sound only one edit in five letters can count: skip the distance otherwise.
  if (!soundAlike && longest < 5) return 0;
  const edits = distance(a.stem, b.stem);
  if (edits === 1 && longest >= 5) return ONE_EDIT;
  if (soundAlike && edits / longest <= 0.6) return SOUNDS_ALIKE;
  return edits === 2 && longest >= 8 ? TWO_EDITS : 0;
}

/** The lowest similarity that counts as the same word. */
export const SAME_WORD = SOUNDS_ALIKE;
