import { expandContractions } from '../../dialog/text/contractions.js';
import { normaliseUtterance } from '../../dialog/text/normaliseUtterance.js';
import type { EndOfTurnVerdict } from './EndOfTurnVerdict.js';

/** The dialog's view of a transcript: the request it names is complete, needs more, or it has none. */
export type IntentCompletenessJudge = (transcript: string) => 'complete' | 'incomplete' | undefined;

/** Options of judgeLexically. */
export interface LexicalOptions {
  /**
   * The dialog's view (createIntentCompleteness). 'complete' makes the verdict complete unless the
   * words end in a clear cue (a trailing preposition, article, conjunction, filler or possessive);
   * 'incomplete' makes it unfinished. Not asked when the words end in a clear cue.
   */
  intent?: IntentCompletenessJudge;
}

/** A verdict, and whether it came from a cue the dialog's view must not override. */
interface Judged {
  verdict: EndOfTurnVerdict;
  clearCue: boolean;
}

const words = (list: string) => new Set(list.split(' '));

const ARTICLES = words('a an the');
/** Determiners that always want their noun; "this"/"that"/"these"/"those" only after a preposition ("on this"). */
const DETERMINERS = words('my your our their his some any every');
const DEMONSTRATIVES = words('this that these those');
const PREPOSITIONS = words('on at for to in with about from of by into onto until till after before between near towards through than via per');
/** "so" and "that" are conjunctions only in some places; see conjunctionCue. */
const CONJUNCTIONS = words('and or but because cause cos if whether although while unless nor plus as so that');
const FILLERS = words('um uh er erm hmm hm mm umm uhm ah eh like');
/** Verbs whose particle is a trailing "in"/"on"/"by"/"out"/"over": "can i come in", "hold on", "drop by". */
const PARTICLE_VERBS = words('come check checked checking log logged sign signed book booked drop dropped fill hand hold carry pop call get got let walk go went plug turn switch put hang stop stand move stay');
/** Heads whose "that" starts a clause ("i was told that"); elsewhere "that" is a pronoun ("can you do that"). */
const THAT_CLAUSE_HEADS = words('said say says told tell think thought know knew sure hope mean means heard hear see saw seems realise realize so such glad sorry afraid worried');
/** "i think so", "i hope so": "so" as a pro-form, not a conjunction. */
const SO_PROFORM_HEADS = words('think hope guess believe suppose said say do not afraid');

const BE = words('is are am was were');
const DO = words('do does did');
const MODALS = words('can could would will shall should may might must');
const HAVE = words('have has had');
const AUXILIARIES = new Set([...BE, ...DO, ...MODALS, ...HAVE, 'be', 'been', 'being']);
const SUBJECT_PRONOUNS = words('i we they he she');
/** Pronouns that can be the subject after an inverted auxiliary ("can i", "is there", "are you"). */
const INVERTED_SUBJECTS = words('i you we they he she it there that this');
const WH = words('what where when how who whom which why whose');
/** A wh-word these words can leave a preposition behind for: "who should i speak to", "where are you from". */
const STRANDING_WH = words('what where who whom which');
/** Before a stranded preposition: a pronoun subject or an intransitive verb ("what is it for", "who do i talk to"). */
const STRANDING_BEFORE = words('it i you we they he she this that speak talk go come wait look pay ask belong apply register sit stand listen');

/**
 * Verbs a "where"/"how" question leaves unfinished without their particle or place: "where do i
 * come (in)", "how do i log (in)", "how do i get (there)". Also what pocketsphinx makes of a
 * trailing "um" after "where do i" ("where do i come"). "go", "park", "sign" and "pay" end such
 * questions, so they are not here.
 */
const PARTICLE_WANTING = words('come log fill plug hand drop pop turn switch hang check get');
/** Verbs that need an object when they end the words: "can you check", "i would like to book". */
const TRANSITIVE = words('know book rebook check see tell show give make change cancel reschedule move find get have need want bring send order ask arrange schedule reserve put take use buy collect fix print visit meet contact email renew request update pick reach leave lost lose forgot dropped broke shows');
/** After "i" these open a request: "i would like…", "i need…". */
const REQUEST_AFTER_I = words('would want need wanted');
/** Verbs whose first object is a person and the second the thing: "can you tell me" still needs it. */
const DITRANSITIVE = words('tell show give send get find book bring let remind email text');
/** Words a "to" follows: after them a final "two"/"too" is that "to" misheard ("i would like two"). */
const TO_HEADS = words('like want need going have got able try trying wanted wish hoping hope love planning supposed used ought speak talk go come listen get went next');
/** "far", "fore" and "4" after a noun of a request are "for" misheard ("book an appointment four"). */
const FOR_SOUNDALIKES = words('4 far fore');
/** Before these, a "far" or "4" is a distance or a time, not "for": "how far", "at 4". */
const NOT_FOR_BEFORE = words('how so too very that is it not as at to past half quarter until till by from about around before after between and or tomorrow today tonight');
/** A request the visitor is making: a "4" or "far" after its noun is likely "for". */
const REQUEST_WORDS = words('book booking appointment appointments slot slots check checkup consultation can could would like want need get have make arrange schedule reserve see');
/** Asking for an appointment: the request wants a day or time ("is there a slot", "book a check up"). */
const BOOKING_WORDS = words('book booking rebook slot slots reschedule rearrange postpone schedule arrange reserve');
/** Nouns of a booking: asking for "an appointment" wants a time; "my appointment" may be any business with it. */
const BOOKING_NOUNS = words('appointment appointments consultation checkup check');
/** Before a booking noun, these ask for a new one: "i need an appointment", "any appointments". */
const NEW_BOOKING_DETERMINERS = words('a an any another new');
/** Before "my appointment" these move it, so they want a new time: "can i move my appointment". */
const MOVING_VERBS = words('move change');
/** A booking request naming these needs no time: the desk answers "the next free one". */
const TIMELESS_BOOKING = words('cancel cancelled earliest soonest first next asap soon possible available when');
const TIME_WORDS = words(
  'today tomorrow tonight now monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night noon midday midnight oclock pm weekend week month january february march april june july august september october november december asap soon',
);
/** Before a trailing number these make it a time: "at 10", "tomorrow and 10" (pocketsphinx's "at"). */
const TIME_BEFORE_NUMBER = words('at and of past half quarter until till by around about before after from to for oclock');
/** Trailing hedges that leave the words before them to decide: "can i just", "could you please". */
const HEDGES = words('just also please really actually maybe possibly perhaps kindly still quickly');
/** Common verbs, for telling a clause from a bare noun phrase ("the printer is jammed" from "the printer"). */
const VERBS = new Set([
  ...AUXILIARIES,
  ...TRANSITIVE,
  ...words(
    'not go come park pay wait open close work works working worked help speak talk call know think feel hurt lost forgot left made got said told sit look looking print printing break broke broken froze frozen jammed stuck crashed failed stopped shows showing says keeps kept let like likes love lives live stay start finish cancelled booked',
  ),
]);
/** Words ending in "-ed" that are not verbs, for the verb test. */
const ED_NOUNS = words('speed hundred breed greed');

const GREETING_WORDS = words('hello hi hey hiya there good morning afternoon evening excuse me sorry um uh er oh');
const GREETING_HEADS = words('hello hi hey hiya good excuse sorry');
/** Leading words that say nothing about the shape of what follows: "hi sorry um could you…". */
const LEAD_IN = words('hi hello hey hiya um uh er erm hmm oh ah ok okay so well and but yes no yeah sorry excuse please right also');

/** Whole replies the dialog expects at a prompt; matched on the normalised words. */
const SHORT_REPLIES = new Set([
  'yes', 'no', 'yeah', 'yep', 'yup', 'nope', 'nah', 'ok', 'okay', 'sure', 'fine', 'great', 'perfect', 'lovely', 'right', 'correct',
  'exactly', 'absolutely', 'definitely', 'of course', 'please', 'thanks', 'thank you', 'thank you very much', 'thanks a lot',
  'thanks very much', 'cheers', 'goodbye', 'bye', 'bye bye', 'see you', 'see you later', 'that is all', 'that is it',
  'that is everything', 'that is fine', 'that is great', 'that is right', 'that is correct', 'that is perfect', 'that is all thanks',
  'that is all thank you', 'not really', 'no problem', 'all good', 'sounds good', 'that sounds good', 'nothing else', 'got it',
  'i do not know', 'no idea', 'i am fine', 'i am good', 'have a nice day', 'not at all',
]);
/** A short reply may open with these: "yes please", "no thanks", "ok goodbye". */
const REPLY_OPENERS = words('yes no yeah ok okay great right fine');

const verdict = (completeness: EndOfTurnVerdict['completeness'], reason: string, clearCue = false): Judged => ({ verdict: { completeness, reason }, clearCue });
const isNumber = (word: string) => /^\d+(st|nd|rd|th)?$/.test(word);
const isVerb = (word: string) => VERBS.has(word) || (word.length > 4 && word.endsWith('ed') && !ED_NOUNS.has(word));
/** A word that can end a finished clause: not grammar that waits for something after it. */
const isContent = (word: string) =>
  !ARTICLES.has(word) && !DETERMINERS.has(word) && !PREPOSITIONS.has(word) && !CONJUNCTIONS.has(word) && !AUXILIARIES.has(word) &&
  !SUBJECT_PRONOUNS.has(word) && !FILLERS.has(word) && !WH.has(word);

/**
 * Whether the words so far look finished, from their shape alone: pure, synchronous, and about
 * 25 µs for a 20-word transcript, so the ears worker can ask at every pause.
 *
 * `transcript` is recogniser output (lower case, no punctuation; anything else is normalised as
 * the dialog does). Rules, first match wins:
 * - nothing yet, or only a greeting ("hello"): unsure — the visitor has not started the request.
 * - a short reply ("yes please", "that's all", "thank you") or a number: complete.
 * - a clear cue at the end: a filler, article, determiner, possessive, preposition or
 *   conjunction ("…a slot on", "…and", "um"): unfinished. Particles ("come in") and prepositions a
 *   wh-question strands ("where are you from") are not cues.
 * - the recogniser's swaps of those words: a final "two"/"too" after "like"/"want"/"need"… is
 *   "to"; a final "four"/"far" after a request's noun is "for": unfinished.
 * - a name after "my name is": complete.
 * - an auxiliary or modal without its verb ("can i", "is there", "i would"), a bare subject pronoun
 *   ("and i"), a verb without its object ("can you check", "can you tell me"), a booking without a
 *   day or time ("i would like to book an appointment"), a subject without a verb ("the printer"):
 *   unfinished; but "how are you", "do you know where it is" and "what can i book" are complete.
 * - a time at the end ("…tomorrow at ten"), a question or request ending in its object, a clause
 *   ending in a content word: complete. Fewer than three words that none of
 *   this decides ("parking"), or anything else: unsure.
 *
 * With `options.intent` the dialog's view then decides where the words gave no clear cue.
 */
export function judgeLexically(transcript: string, options: LexicalOptions = {}): EndOfTurnVerdict {
  const normal = normaliseUtterance(transcript);
  const tokens = normal === '' ? [] : normal.split(' ');
  const judged = judgeTokens(tokens, lastRawWord(transcript));
  if (options.intent === undefined || judged.clearCue || tokens.length === 0) return judged.verdict;
  const intent = options.intent(transcript);
  if (intent === 'incomplete') return { completeness: 'unfinished', reason: `intent incomplete (words: ${judged.verdict.reason})` };
  if (intent === 'complete') return { completeness: 'complete', reason: `intent complete (words: ${judged.verdict.reason})` };
  return judged.verdict;
}

/** The last word as heard, with its apostrophe: the normalised text has lost "doctor's". */
function lastRawWord(transcript: string): string {
  const found = transcript.toLowerCase().replace(/[\u2018\u2019\u02bc`]/g, "'").match(/[\p{L}']+(?=[^\p{L}\p{N}']*$)/u);
  return found === null ? '' : found[0];
}

function judgeTokens(tokens: readonly string[], rawLast: string): Judged {
  if (tokens.length === 0) return verdict('unsure', 'no words yet');
  const whole = tokens.join(' ');
  if (tokens.every((word) => GREETING_WORDS.has(word)) && tokens.some((word) => GREETING_HEADS.has(word))) return verdict('unsure', 'greeting only');
  if (isShortReply(tokens)) return verdict('complete', 'short reply');
  if (tokens.some(isNumber) && tokens.every((word) => isNumber(word) || word === 'oh' || word === 'double')) return verdict('complete', 'a number');
  if (/'s$/.test(rawLast) && !expandContractions(rawLast).endsWith(' is')) return verdict('unfinished', `trailing possessive "${rawLast}"`, true);
  const cue = clearCue(tokens);
  if (cue !== undefined) return verdict('unfinished', cue, true);
  const swap = misheardCue(tokens);
  if (swap !== undefined) return verdict('unfinished', swap);
  if (/\bname is \S/.test(whole) || /\bi am called \S/.test(whole)) return verdict('complete', 'name given');
  return judgeShape(withoutHedges(tokens));
}

function isShortReply(tokens: readonly string[]): boolean {
  if (SHORT_REPLIES.has(tokens.join(' '))) return true;
  return tokens.length > 1 && REPLY_OPENERS.has(tokens[0]!) && SHORT_REPLIES.has(tokens.slice(1).join(' '));
}

/** A final word that plainly waits for more, as a reason; undefined when there is none. */
function clearCue(tokens: readonly string[]): string | undefined {
  const last = tokens[tokens.length - 1]!;
  const before = tokens[tokens.length - 2];
  const two = tokens.slice(-2).join(' ');
  // "do you know" is a question that goes on ("…where the toilets are"), not the filler.
  if (two === 'you know' && !AUXILIARIES.has(tokens[tokens.length - 3] ?? '')) return 'trailing filler "you know"';
  if (two === 'i mean') return 'trailing filler "i mean"';
  if (last === 'like' && (before === 'would' || before === 'feel')) return `"${before} like" without its object`;
  if (FILLERS.has(last)) return `trailing filler "${last}"`;
  // "oh" is zero in a phone number ("0 7 7 oh"); "well" is an adverb after a verb ("not feeling well").
  if ((last === 'oh' || last === 'well') && (before === undefined || LEAD_IN.has(before))) return `trailing filler "${last}"`;
  if (ARTICLES.has(last)) return `trailing article "${last}"`;
  if (DETERMINERS.has(last)) return `trailing determiner "${last}"`;
  if (DEMONSTRATIVES.has(last) && before !== undefined && PREPOSITIONS.has(before)) return `trailing determiner "${last}"`;
  if (PREPOSITIONS.has(last) && !isParticle(last, before) && !isStranded(tokens)) return `trailing preposition "${last}"`;
  if (CONJUNCTIONS.has(last) && isConjunctionHere(last, before)) return `trailing conjunction "${last}"`;
  return undefined;
}

function isParticle(word: string, before: string | undefined): boolean {
  return before !== undefined && ['in', 'on', 'by'].includes(word) && PARTICLE_VERBS.has(before);
}

/** "what is it for", "who should i speak to", "where are you from": the wh-word is the preposition's object. */
function isStranded(tokens: readonly string[]): boolean {
  const start = leadInEnd(tokens);
  const before = tokens[tokens.length - 2];
  return STRANDING_WH.has(tokens[start] ?? '') && before !== undefined && STRANDING_BEFORE.has(before) && tokens.length - start >= 3;
}

function isConjunctionHere(word: string, before: string | undefined): boolean {
  if (word === 'so') return before === undefined || !SO_PROFORM_HEADS.has(before);
  if (word === 'that') return before !== undefined && THAT_CLAUSE_HEADS.has(before);
  if (word === 'as') return before !== undefined && before !== 'well' && before !== 'same';
  return true;
}

/** A final word the small recognisers put for "to" or "for", read as what it stood for. */
function misheardCue(tokens: readonly string[]): string | undefined {
  const last = tokens[tokens.length - 1]!;
  const before = tokens[tokens.length - 2];
  if (before === undefined) return undefined;
  if ((last === '2' || last === 'too') && TO_HEADS.has(before)) return `"${last}" after "${before}", heard for "to"`;
  const isRequest = tokens.slice(0, -1).some((word) => REQUEST_WORDS.has(word));
  if (FOR_SOUNDALIKES.has(last) && isRequest && !NOT_FOR_BEFORE.has(before) && !isNumber(before) && !TIME_WORDS.has(before)) {
    return `"${last}" after a request, heard for "for"`;
  }
  return undefined;
}

/** The words without trailing hedges after a pronoun or auxiliary: "can i just" is judged as "can i". */
function withoutHedges(tokens: readonly string[]): readonly string[] {
  let end = tokens.length;
  while (end > 1 && HEDGES.has(tokens[end - 1]!) && (INVERTED_SUBJECTS.has(tokens[end - 2]!) || AUXILIARIES.has(tokens[end - 2]!))) end -= 1;
  return end === tokens.length ? tokens : tokens.slice(0, end);
}

/** Where the request starts after greetings and hesitations ("hi sorry um could you…"). */
function leadInEnd(tokens: readonly string[]): number {
  let start = 0;
  while (start < tokens.length - 1 && LEAD_IN.has(tokens[start]!)) start += 1;
  return start;
}

/** The structure of a transcript with no clear cue at its end. */
function judgeShape(tokens: readonly string[]): Judged {
  const last = tokens[tokens.length - 1]!;
  const before = tokens[tokens.length - 2];
  const start = leadInEnd(tokens);
  const first = tokens[start]!;
  const isWhQuestion = WH.has(first);
  const hasWh = tokens.slice(start, -1).some((word) => WH.has(word));

  if (last === 'please' || last === 'thanks' || (last === 'you' && before === 'thank')) return verdict('complete', 'polite ending');
  const auxiliary = auxiliaryEnding(tokens, hasWh, isWhQuestion);
  if (auxiliary !== undefined) return auxiliary;
  if (SUBJECT_PRONOUNS.has(last)) return verdict('unfinished', `subject "${last}" without a verb`);
  if ((last === 'me' || last === 'us') && before !== undefined && DITRANSITIVE.has(before) && !isWhQuestion) return verdict('unfinished', `"${before} ${last}" without its object`);
  if (TIME_WORDS.has(last) || (isNumber(last) && (before === undefined || TIME_BEFORE_NUMBER.has(before) || TIME_WORDS.has(before) || isNumber(before)))) {
    return verdict('complete', 'ends with a time');
  }
  if (PARTICLE_WANTING.has(last) && (first === 'where' || first === 'how') && AUXILIARIES.has(tokens[start + 1] ?? '') && tokens.length - start >= 4) {
    return verdict('unfinished', `"${first} … ${last}" without its particle or place`);
  }
  if (TRANSITIVE.has(last)) return isWhQuestion ? verdict('complete', 'wh-question ending in its verb') : verdict('unfinished', `verb "${last}" without its object`);
  // A verb right after an article is a noun: "the check in screen", "my call back".
  const hasVerb = tokens.some((word, i) => isVerb(word) && !(i > 0 && (ARTICLES.has(tokens[i - 1]!) || DETERMINERS.has(tokens[i - 1]!))));
  if ((ARTICLES.has(first) || DETERMINERS.has(first) || DEMONSTRATIVES.has(first)) && !hasVerb) return verdict('unfinished', 'subject without a verb');
  if (isBookingWithoutTime(tokens, isWhQuestion)) return verdict('unfinished', 'booking without a day or time');
  // Only a particle, a stranded preposition or a pro-form "so" gets past clearCue: "can i come in", "where are you from".
  if ((PREPOSITIONS.has(last) || CONJUNCTIONS.has(last)) && hasVerb) return verdict('complete', `"${before} ${last}" ends the clause`);
  if (!isContent(last)) return verdict('unsure', `ends in "${last}"`);
  // A word the lists do not know after "to" is a verb whose object may follow ("i would like to boot").
  if (before === 'to' && TO_HEADS.has(tokens[tokens.length - 3] ?? '') && !isVerb(last) && !TIME_WORDS.has(last)) return verdict('unsure', `unknown verb "${last}" after "to"`);
  const long = tokens.length - start >= 3;
  if (!long) return verdict('unsure', 'too few words to judge by');
  if (isWhQuestion && long) return verdict('complete', 'question with object');
  if (AUXILIARIES.has(first) && long) return verdict('complete', 'yes/no question with object');
  if (isRequestOpening(tokens, start) && long) return verdict('complete', 'request with object');
  if (hasVerb) return verdict('complete', isNumber(last) ? 'clause ending in a number' : 'clause ending in a content word');
  return verdict('unsure', 'no verb to judge by');
}

/** Words ending in an auxiliary, a modal, or an auxiliary and its subject: "can i", "it is", "where is". */
function auxiliaryEnding(tokens: readonly string[], hasWh: boolean, isWhQuestion: boolean): Judged | undefined {
  const last = tokens[tokens.length - 1]!;
  const before = tokens[tokens.length - 2];
  const opensWithReply = REPLY_OPENERS.has(tokens[0]!);
  // "don't you" is "do not you": the negation sits between the auxiliary and its subject.
  const auxiliaryBefore = before === 'not' ? tokens[tokens.length - 3] : before;
  // After a subject the auxiliary is the main verb: "can you do that", "i have it".
  const mainVerb = before !== 'not' && INVERTED_SUBJECTS.has(tokens[tokens.length - 3] ?? '');
  if (before !== undefined && auxiliaryBefore !== undefined && !mainVerb && INVERTED_SUBJECTS.has(last) && AUXILIARIES.has(auxiliaryBefore)) {
    // "how are you", "what time is it": the wh-word is the complement of "be".
    if (BE.has(auxiliaryBefore) && isWhQuestion) return verdict('complete', 'wh-question with "be"');
    return verdict('unfinished', `"${auxiliaryBefore} ${last}" without its verb`);
  }
  if (last === 'not' && before !== undefined && AUXILIARIES.has(before)) {
    return opensWithReply ? verdict('complete', 'short answer') : verdict('unfinished', `"${before} not" without its complement`);
  }
  if (!AUXILIARIES.has(last)) return undefined;
  if (before !== undefined && WH.has(before)) return verdict('unfinished', `"${before} ${last}" without the rest`);
  // "do you know where it is", "yes i can": the clause is whole without more.
  if (isWhQuestion) return verdict('complete', 'wh-question ending in its verb');
  if (hasWh || opensWithReply) return verdict('complete', hasWh ? 'embedded question' : 'short answer');
  return verdict('unfinished', `trailing auxiliary "${last}"`);
}

/** "tell me…", "book…", "i would like…", "i need…": the words open a request. */
function isRequestOpening(tokens: readonly string[], start: number): boolean {
  const first = tokens[start]!;
  const second = tokens[start + 1];
  return TRANSITIVE.has(first) || first === 'call' || first === 'help' || (first === 'i' && second !== undefined && REQUEST_AFTER_I.has(second));
}

function isBookingWithoutTime(tokens: readonly string[], isWhQuestion: boolean): boolean {
  const isBooking = tokens.some(
    (word, i) =>
      BOOKING_WORDS.has(word) ||
      (BOOKING_NOUNS.has(word) && i > 0 && (NEW_BOOKING_DETERMINERS.has(tokens[i - 1]!) || (i > 1 && MOVING_VERBS.has(tokens[i - 2]!)))),
  );
  if (isWhQuestion || !isBooking) return false;
  return !tokens.some((word) => TIME_WORDS.has(word) || isNumber(word) || TIMELESS_BOOKING.has(word));
}
