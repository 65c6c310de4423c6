/** Ordinal words and the index they pick; "last" is resolved against the number of choices. */
const ORDINALS: [RegExp, number][] = [
  [/\b(?:first|1st|earliest|number (?:one|1)|option (?:one|1))\b/, 0],
  [/\b(?:second|2nd|middle|number (?:two|2)|option (?:two|2))\b/, 1],
  [/\b(?:third|3rd|number (?:three|3)|option (?:three|3))\b/, 2],
];
const LAST = /\b(?:last|latest|later one)\b/;

/**
 * Which of `count` offered choices the visitor picked by position ("the first one", "the second",
 * "the last one"), or undefined when the words pick none (or one beyond the list).
 */
export function pickOrdinal(text: string, count: number): number | undefined {
  const words = text.toLowerCase();
  if (count > 0 && LAST.test(words)) return count - 1;
  const found = ORDINALS.find(([pattern]) => pattern.test(words));
  return found !== undefined && found[1] < count ? found[1] : undefined;
}
