/** Test signals and sample-exact search, for checking what a speaker really played. */

/** Deterministic white noise at 0.3 of full scale: no stretch of it repeats, so what played is exact. */
export function noise(seconds: number, rate: number, seed = 1): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = Math.round(((x / 2 ** 32) * 2 - 1) * 0.3 * 32767);
  }
  return out;
}

/** Where `needle` first occurs in `haystack`, or -1. */
export function indexOfSequence(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
