/**
 * English contractions written out, so "what's", "whats" and "what is" are one form for matching.
 * ASR engines differ: pocketsphinx's dictionary has "what's", "i'm", "don't"; others drop the
 * apostrophe ("whats", "dont", "im"), so both spellings are listed where the bare one is not a word.
 */
const WHOLE: Record<string, string> = {
  "won't": 'will not', wont: 'will not', "can't": 'can not', cant: 'can not', cannot: 'can not', "shan't": 'shall not',
  "ain't": 'is not', "let's": 'let us', "i'm": 'i am', im: 'i am', dont: 'do not', doesnt: 'does not', didnt: 'did not',
  isnt: 'is not', arent: 'are not', wasnt: 'was not', werent: 'were not', havent: 'have not', hasnt: 'has not',
  couldnt: 'could not', wouldnt: 'would not', shouldnt: 'should not', whats: 'what is', wheres: 'where is', whos: 'who is',
  hows: 'how is', thats: 'that is', theres: 'there is', heres: 'here is', youre: 'you are', theyre: 'they are', ive: 'i have',
  youve: 'you have', itll: 'it will', "o'clock": 'oclock', "ma'am": 'madam', "y'all": 'you all',
};

/** Words whose "'s" is "is", not a possessive ("the nurse's room" stays "the nurse room"). */
const IS_BEFORE_S = new Set(['it', 'what', 'where', 'who', 'how', 'when', 'that', 'there', 'here', 'he', 'she', 'name', 'this', 'why', 'everything', 'nothing', 'something', 'one']);

const SUFFIX: [RegExp, string][] = [
  [/n't$/, ' not'],
  [/'re$/, ' are'],
  [/'ve$/, ' have'],
  [/'ll$/, ' will'],
  [/'d$/, ' would'],
  [/'m$/, ' am'],
];

/**
 * Expands contractions in lower-case text; curly apostrophes count. Other apostrophes are kept
 * (names such as "o'brien" are the caller's business).
 */
export function expandContractions(lowerText: string): string {
  return lowerText.replace(/[\u2018\u2019\u02bc`]/g, "'").replace(/[\p{L}']+/gu, (word) => {
    const whole = WHOLE[word];
    if (whole !== undefined) return whole;
    if (word.endsWith("'s")) {
      const stem = word.slice(0, -2);
      return IS_BEFORE_S.has(stem) ? `${stem} is` : stem;
    }
    for (const [suffix, replacement] of SUFFIX) if (suffix.test(word)) return word.replace(suffix, replacement);
    return word;
  });
}
