/**
 * Known pocketsphinx mis-hearings at a front desk, repaired only in a context where the repair
 * cannot be wrong: "ours" becomes "hours" only after "opening", "your" and the like, never alone.
 * Everything else is left to the fuzzy and phonetic matching. Applied to normalised text (lower
 * case, single spaces, contractions expanded, number words as digits).
 */
const REPAIRS: readonly [pattern: RegExp, replacement: string][] = [
  [/\b(opening|business|office|working|surgery|clinic|your|the) ours\b/g, '$1 hours'],
  [/\b(a point meant|a point ment|a point mint|a pointment|appoint meant|appoint ment|an a point meant)\b/g, 'an appointment'],
  [/\b(wi fi|why fi|wi fie|why fie|wi fy|why fy|y fi|wifey|wify)\b/g, 'wifi'],
  [/\bwife i (password|network|code|name|connection|login)\b/g, 'wifi $1'],
  [/\bthe wife i\b/g, 'the wifi'],
  [/\bre (schedule|book|arrange)\b/g, 're$1'],
  [/\bgood bye\b/g, 'goodbye'],
  [/\bo clock\b/g, 'oclock'],
];

/** `text` with the known mis-hearings replaced. */
export function repairAsr(text: string): string {
  let out = text;
  for (const [pattern, replacement] of REPAIRS) out = out.replace(pattern, replacement);
  return out;
}
