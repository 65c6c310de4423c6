/**
 * Letters and digits as people say them when spelling: letter names ("kay", "double you"), the
 * NATO alphabet ("kilo"), single letters and digits as ASR writes them. Used to read booking
 * references and phone numbers back from transcripts (pocketsphinx writes words, not symbols).
 */
export const LETTER_NAMES: Readonly<Record<string, string>> = {
  a: 'A', ay: 'A', eh: 'A', b: 'B', bee: 'B', be: 'B', c: 'C', see: 'C', sea: 'C', cee: 'C', d: 'D', dee: 'D', e: 'E', ee: 'E',
  f: 'F', ef: 'F', eff: 'F', g: 'G', gee: 'G', jee: 'G', h: 'H', aitch: 'H', haitch: 'H', i: 'I', eye: 'I', j: 'J', jay: 'J',
  k: 'K', kay: 'K', l: 'L', el: 'L', ell: 'L', m: 'M', em: 'M', n: 'N', en: 'N', o: 'O', p: 'P', pee: 'P', pea: 'P', q: 'Q',
  queue: 'Q', cue: 'Q', kew: 'Q', r: 'R', are: 'R', ar: 'R', s: 'S', es: 'S', ess: 'S', t: 'T', tee: 'T', tea: 'T', u: 'U',
  you: 'U', yu: 'U', v: 'V', vee: 'V', w: 'W', x: 'X', ex: 'X', y: 'Y', why: 'Y', wy: 'Y', z: 'Z', zed: 'Z', zee: 'Z',
  alpha: 'A', alfa: 'A', bravo: 'B', charlie: 'C', delta: 'D', echo: 'E', foxtrot: 'F', golf: 'G', hotel: 'H', india: 'I',
  juliet: 'J', juliett: 'J', kilo: 'K', lima: 'L', mike: 'M', november: 'N', oscar: 'O', papa: 'P', quebec: 'Q', romeo: 'R',
  sierra: 'S', tango: 'T', uniform: 'U', victor: 'V', whiskey: 'W', whisky: 'W', xray: 'X', yankee: 'Y', zulu: 'Z',
};

/**
 * Letter names that are also everyday words ("a", "are", "you", "see", "why"): a reference made
 * mostly of these is more likely a sentence.
 */
export const AMBIGUOUS_LETTER_WORDS = new Set(['a', 'ay', 'eh', 'be', 'see', 'sea', 'i', 'eye', 'are', 'you', 'why', 'tea', 'pea', 'queue', 'cue', 'ex', 'es', 'em', 'en', 'el', 'o', 'ee']);
