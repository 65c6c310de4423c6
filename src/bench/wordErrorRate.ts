import type { WordErrors } from './BenchReport.js';

/**
 * The words of a text as WER counts them: lower case, punctuation as spaces, digits as they are.
 * An apostrophe inside a word stays ("what's" is one word, as the recogniser writes it); a typed
 * ’ counts as one. Quotes around a word ('hello') are punctuation.
 */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/’/g, "'")
    // "wi-fi" and "wifi" are one word said the same way; recognisers write either.
    .replace(/(?<=[\p{L}\p{N}])-(?=[\p{L}\p{N}])/gu, '')
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * Substitutions, deletions and insertions of the cheapest word alignment of `hypothesis` to
 * `reference` (Levenshtein over words; each edit costs 1). The total is the edit distance whatever
 * the alignment; how it splits into S, D and I is not. Tie-break, walking back from the end: a match
 * or substitution first, then a deletion, then an insertion. So "a b" heard as "b a" is 2 S rather
 * than the equally cheap 1 D + 1 I, and the counts are the same on every run.
 */
export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = normaliseWords(reference);
  const hyp = normaliseWords(hypothesis);
  const cols = hyp.length + 1;
  // cost[i * cols + j]: edits to turn the first i reference words into the first j heard ones.
  const cost = new Uint32Array((ref.length + 1) * cols);
  for (let i = 0; i <= ref.length; i++) cost[i * cols] = i;
  for (let j = 0; j <= hyp.length; j++) cost[j] = j;
  const diagonal = (i: number, j: number) => cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= hyp.length; j++) {
      cost[i * cols + j] = Math.min(diagonal(i, j), cost[(i - 1) * cols + j]! + 1, cost[i * cols + j - 1]! + 1);
    }
  }
  const errors: WordErrors = { substitutions: 0, deletions: 0, insertions: 0, referenceWords: ref.length };
  let i = ref.length;
  let j = hyp.length;
  while (i > 0 || j > 0) {
    const here = cost[i * cols + j]!;
    if (i > 0 && j > 0 && here === diagonal(i, j)) {
      if (ref[i - 1] !== hyp[j - 1]) errors.substitutions++;
      i--;
      j--;
    } else if (i > 0 && here === cost[(i - 1) * cols + j]! + 1) {
      errors.deletions++;
      i--;
    } else {
      errors.insertions++;
      j--;
    }
  }
  return errors;
}

/**
 * (S + D + I) / N. With an empty reference (N = 0) it is 0 when nothing was heard either, else 1:
 * every word heard was inserted. jiwer refuses an empty reference; a bench over a corpus should
 * not stop for one line, and a rate above 100 % would say nothing more useful than "all wrong".
 */
export function wordErrorRate(errors: WordErrors): number {
  const wrong = errors.substitutions + errors.deletions + errors.insertions;
  if (errors.referenceWords === 0) return wrong === 0 ? 0 : 1;
  return wrong / errors.referenceWords;
}

/** The errors of two transcripts together, so a file's or a run's WER is sum of errors over sum of N. */
export function addWordErrors(a: WordErrors, b: WordErrors): WordErrors {
  return {
    substitutions: a.substitutions + b.substitutions,
    deletions: a.deletions + b.deletions,
    insertions: a.insertions + b.insertions,
    referenceWords: a.referenceWords + b.referenceWords,
  };
}
