import { normaliseUtterance } from './normaliseUtterance.js';

/** What a short answer to a flow's question means. */
export type AnswerKind = 'yes' | 'no' | 'repeat' | 'skip' | 'stop' | 'dontKnow';

/**
 * Whole answers, after fillers ("um", "well", "ok so") and politeness ("please", "thanks") are
 * taken off the ends. "no problem" is a yes: said to "shall I book it?" it agrees (British usage);
 * a flow that must not take it so can check the text itself.
 */
const WHOLE: Readonly<Record<AnswerKind, readonly string[]>> = {
  yes: [
    'yes', 'yeah', 'yep', 'yup', 'yes please', 'yes it is', 'yes it did', 'yes that is right', 'yes that is correct', 'sure', 'of course',
    'that is right', 'right', 'correct', 'that is correct', 'ok', 'okay', 'fine', 'that is fine', 'please do', 'go ahead', 'go on then',
    'it did', 'it worked', 'that worked', 'that helped', 'it helped', 'it is working', 'it is working now', 'that fixed it', 'absolutely',
    'definitely', 'sounds good', 'perfect', 'great', 'lovely', 'exactly', 'book it', 'do it', 'yes do it', 'indeed', 'affirmative',
    'no problem', 'all right', 'alright', 'ok then', 'okay then', 'right then', 'that is it', 'that is the 1', 'it has', 'aye',
  ],
  no: [
    'no', 'nope', 'nah', 'no thanks', 'no thank you', 'not really', 'not yet', 'it did not', 'no it did not', 'that did not help',
    'it did not help', 'it did not work', 'that did not work', 'still not working', 'it is still not working', 'it is not', 'that is not right',
    'that is wrong', 'wrong', 'incorrect', 'not that', 'negative', 'not quite', 'it has not', 'no it has not', 'not at all', 'no way',
    'definitely not', 'of course not', 'i do not think so', 'no it is not', 'no that is wrong', 'no that is not right',
  ],
  repeat: [
    'repeat', 'repeat that', 'repeat please', 'please repeat', 'can you repeat that', 'could you repeat that', 'say that again',
    'say it again', 'can you say that again', 'could you say that again', 'pardon', 'pardon me', 'what', 'sorry', 'sorry what',
    'come again', 'excuse me', 'what did you say', 'i did not catch that', 'i did not hear', 'i did not hear you', 'again', 'once more',
    'one more time', '1 more time', 'repeat the step', 'what was that', 'huh',
  ],
  skip: ['skip', 'skip it', 'skip that', 'skip this', 'skip this step', 'skip that step', 'next', 'next step', 'next 1', 'next please', 'move on', 'go to the next step', 'the next step'],
  stop: [
    'stop', 'stop it', 'stop that', 'stop please', 'please stop', 'never mind', 'nevermind', 'cancel', 'cancel that', 'cancel it', 'forget it',
    'forget about it', 'quit', 'exit', 'that is enough', 'enough', 'leave it', 'i want to stop', 'let us stop', 'no stop', 'abort', 'i have changed my mind',
  ],
  dontKnow: [
    'i do not know', 'do not know', 'dunno', 'not sure', 'i am not sure', 'no idea', 'i have no idea', 'i am not certain', 'maybe',
    'i can not remember', 'i do not remember', 'i am unsure', 'hard to say', 'no clue', 'i have no clue', 'not a clue', 'i forget', 'i forgot',
  ],
};

/** Phrases that decide an answer wherever they are in it ("oh never mind then", "I really don't know"). */
const ANYWHERE: readonly [kind: AnswerKind, phrase: string][] = [
  ['stop', 'never mind'], ['stop', 'cancel that'], ['stop', 'forget it'], ['stop', 'stop it'], ['stop', 'please stop'],
  ['dontKnow', 'do not know'], ['dontKnow', 'no idea'], ['dontKnow', 'not sure'],
  ['repeat', 'say that again'], ['repeat', 'say it again'], ['repeat', 'repeat that'], ['repeat', 'can you repeat'], ['repeat', 'could you repeat'],
  ['repeat', 'did not catch'], ['repeat', 'did not hear'],
  ['skip', 'skip this'], ['skip', 'skip that'], ['skip', 'next step'],
];

const EDGE_WORDS = new Set(['um', 'uh', 'er', 'erm', 'hmm', 'oh', 'well', 'so', 'ok', 'okay', 'please', 'thanks', 'thank', 'you', 'then', 'just', 'ah', 'mm']);
/** After a leading yes or no, these mean the answer is not plain ("yes but can it be later"). */
const CONTRAST = new Set(['but', 'though', 'however', 'although', 'except', 'unless', 'actually', 'wait']);
const LEADING: Readonly<Record<string, AnswerKind>> = { yes: 'yes', yeah: 'yes', yep: 'yes', yup: 'yes', no: 'no', nope: 'no', nah: 'no' };

const wholeByPhrase = new Map<string, AnswerKind>(Object.entries(WHOLE).flatMap(([kind, phrases]) => phrases.map((phrase) => [phrase, kind as AnswerKind] as const)));

/**
 * What a visitor's answer to a yes/no (or "did that help?") question means, or undefined when it
 * is something else (a question, new information, a change of topic). In order:
 *
 * 1. the whole answer is one of the known ones, fillers and politeness at its ends aside ("yes
 *    please", "that's right", "it didn't", "pardon", "next step", "cancel that", "I don't know");
 * 2. it contains a phrase that decides it anywhere ("oh never mind", "sorry, I didn't catch that",
 *    "I'm really not sure");
 * 3. it starts with a plain yes or no word ("yes, at ten is fine", "no, Tuesday"), unless a
 *    contrast follows ("yes but …", "no wait …": undefined, the rest matters more) or the other
 *    answer is in it too ("yes no").
 *
 * "no problem" counts as yes (see WHOLE). "stop" is a stop only as a whole answer or one of the
 * phrases, so "it won't stop beeping" is not.
 */
export function classifyAnswer(text: string): AnswerKind | undefined {
  const words = normaliseUtterance(text).split(' ').filter((word) => word !== '');
  const said = wholeByPhrase.get(words.join(' '));
  if (said !== undefined) return said;
  // Fillers at the ends, but never the whole answer ("ok" alone is a yes).
  let start = 0;
  let end = words.length;
  while (end - start > 1 && EDGE_WORDS.has(words[start]!)) start += 1;
  while (end - start > 1 && EDGE_WORDS.has(words[end - 1]!)) end -= 1;
  const core = words.slice(start, end);
  if (core.length === 0) return undefined;
  const joined = core.join(' ');
  const whole = wholeByPhrase.get(joined);
  if (whole !== undefined) return whole;
  const padded = ` ${joined} `;
  for (const [kind, phrase] of ANYWHERE) if (padded.includes(` ${phrase} `)) return kind;
  const leading = LEADING[core[0]!];
  if (leading === undefined || core.some((word) => CONTRAST.has(word))) return undefined;
  const opposite = leading === 'yes' ? 'no' : 'yes';
  return core.slice(1).some((word) => LEADING[word] === opposite) ? undefined : leading;
}
