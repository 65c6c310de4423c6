/**
 * How much a word tells about what a visitor wants, for the tolerant matchers in this folder. The
 * lists are deliberately short and explicit: a word not listed is a content word (weight 1).
 *
 * Words are in their normalised form (see normaliseUtterance: "what's" is already "what is").
 */
export const WORD_CLASSES = {
  /**
   * Grammar: articles, pronouns, auxiliaries, prepositions, negations. They hardly carry intent,
   * but "are you open" still needs "you" to differ from "open the door", so phrasings give them a
   * small weight. (What a negation does is in PhraseIndex.)
   */
  stop: new Set([
    'a', 'an', 'the', 'i', 'me', 'my', 'mine', 'you', 'your', 'yours', 'we', 'us', 'our', 'it', 'its', 'this', 'that', 'these', 'those',
    'there', 'their', 'here', 'is', 'are', 'am', 'was', 'were', 'be', 'been', 'do', 'does', 'did', 'can', 'could', 'would', 'will',
    'shall', 'should', 'may', 'might', 'must', 'to', 'of', 'for', 'in', 'on', 'at', 'with', 'from', 'by', 'about', 'into', 'and', 'or',
    'if', 'any', 'some', 'have', 'has', 'had', 'he', 'she', 'him', 'her', 'they', 'them', 'not', 'never', 'without', 'nor',
  ]),
  /**
   * Politeness and hesitation around the request ("hi, sorry, I was just wondering…"): ignored in
   * the visitor's words, so a long polite question scores like the short one.
   */
  filler: new Set([
    'hi', 'hello', 'hey', 'hiya', 'um', 'uh', 'er', 'erm', 'hmm', 'oh', 'ok', 'okay', 'so', 'well', 'please', 'just', 'sorry',
    'excuse', 'wondering', 'wonder', 'possibly', 'actually', 'basically', 'really', 'quick', 'question', 'bother', 'mind', 'kindly', 'again',
  ]),
  /**
   * Question words, generic verbs and time words: they shape a request but do not name it; half weight.
   */
  weak: new Set([
    'what', 'when', 'where', 'how', 'who', 'which', 'why', 'tell', 'know', 'want', 'like', 'need', 'get', 'got', 'make', 'let', 'see', 'give',
    'find', 'go', 'going', 'time', 'anywhere', 'somewhere', 'still', 'also', 'help', 'thing', 'something', 'anything', 'able', 'way', 'new', 'up', 'lot', 'much', 'very',
  ]),
  /**
   * Days, times and parts of the day: the values a request carries ("book a check-up tomorrow at
   * half past ten"), weak in a phrasing and weaker still in the visitor's words, so a time said
   * with a request does not drown it. Numbers count as these too.
   */
  slot: new Set([
    'now', 'today', 'tomorrow', 'tonight', 'week', 'weekend', 'next', 'day', 'days', 'monday', 'tuesday', 'wednesday', 'thursday',
    'friday', 'saturday', 'sunday', 'morning', 'afternoon', 'evening', 'pm', 'oclock', 'half', 'quarter', 'past', 'noon', 'midday',
    'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december', 'st', 'nd', 'rd', 'th',
  ]),
  /** Words that turn the next few words around: "I'm not interested in booking". */
  negation: new Set(['not', 'never', 'without', 'nor']),
  /** Words after which a negation no longer applies ("I don't know but can I book"). */
  scopeEnd: new Set(['but', 'and', 'so', 'what', 'when', 'where', 'how', 'who', 'which', 'why', 'because', 'though', 'although']),
} as const;

/**
 * Weights of the word classes: in a phrasing (how much of it an utterance must contain) and in
 * an utterance (how much of it a phrasing must explain). Fillers weigh nothing in either.
 */
export const WORD_WEIGHT: Readonly<Record<WordClass, { readonly phrase: number; readonly utterance: number }>> = {
  stop: { phrase: 0.3, utterance: 0 },
  filler: { phrase: 0, utterance: 0 },
  weak: { phrase: 0.5, utterance: 0.5 },
  slot: { phrase: 0.5, utterance: 0.2 },
  content: { phrase: 1, utterance: 1 },
};

export type WordClass = 'stop' | 'filler' | 'weak' | 'slot' | 'content';

/** The class of one normalised word. */
export function wordClass(word: string): WordClass {
  if (WORD_CLASSES.stop.has(word)) return 'stop';
  // A lone letter other than "a" and "i" is ASR debris ("the toilet s").
  if (WORD_CLASSES.filler.has(word) || (word.length === 1 && /\p{L}/u.test(word))) return 'filler';
  if (WORD_CLASSES.weak.has(word)) return 'weak';
  if (WORD_CLASSES.slot.has(word) || /^\d+(st|nd|rd|th)?$/.test(word)) return 'slot';
  return 'content';
}
