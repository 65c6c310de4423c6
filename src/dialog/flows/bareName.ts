/** A bare name answer ("anna smith") is at most this many words; longer is a sentence, not a name. */
const MAX_NAME_WORDS = 4;

/**
 * A name said on its own as the answer to "may I have your name?" ("anna smith" → "Anna Smith"),
 * for when the visitor does not say "my name is". Undefined when the words are not only letters.
 */
export function bareName(text: string): string | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > MAX_NAME_WORDS || !words.every((word) => /^\p{L}[\p{L}'-]*$/u.test(word))) return undefined;
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
}
