import { expandContractions } from './contractions.js';

/** What introduces a name: "my name is", "I'm", "it's", "this is", "call me". Longer ones first. */
const LEAD_INS = ['my name is', 'the name is', 'name is', 'i am called', 'they call me', 'i am', 'it is', 'this is', 'call me', 'its', 'im'];

/**
 * Words that follow a lead-in but are not names ("I'm looking for…", "it's not working", "this
 * is ridiculous"). The check is on the first word after the lead-in; later words end the name
 * instead.
 */
const NOT_NAMES = new Set([
  'a', 'an', 'the', 'not', 'no', 'yes', 'just', 'here', 'there', 'looking', 'trying', 'wondering', 'interested', 'calling', 'phoning',
  'ringing', 'sure', 'afraid', 'sorry', 'fine', 'good', 'ok', 'okay', 'well', 'so', 'very', 'really', 'quite', 'too', 'also', 'still',
  'in', 'at', 'on', 'with', 'from', 'for', 'about', 'after', 'to', 'by', 'going', 'having', 'waiting', 'late', 'early', 'back', 'ready',
  'glad', 'happy', 'angry', 'upset', 'ill', 'sick', 'unwell', 'new', 'my', 'your', 'his', 'her', 'our', 'their', 'this', 'that', 'it',
  'booked', 'due', 'over', 'done', 'finished', 'broken', 'frozen', 'stuck', 'jammed', 'working', 'ridiculous', 'useless', 'urgent',
  'important', 'fine', 'correct', 'right', 'wrong', 'true', 'free', 'busy', 'available', 'open', 'closed', 'hoping', 'thinking',
  'meant', 'supposed', 'able', 'unable', 'confused', 'lost', 'hungry', 'tired', 'cold', 'hot', 'what', 'how', 'when', 'where', 'who',
  'why', 'which', 'all', 'only', 'never', 'always', 'probably', 'definitely', 'maybe', 'about', 'around', 'like', 'nothing', 'something',
  'everything', 'anything', 'someone', 'nobody', 'okay', 'great', 'terrible', 'awful', 'impossible', 'possible', 'you', 'me', 'him',
  'them', 'us', 'and', 'or', 'but', 'is', 'was', 'will', 'would', 'can', 'could', 'do', 'did', 'have', 'had', 'get', 'got', 'coming',
  'leaving', 'staying', 'off', 'out', 'up', 'down', 'tomorrow', 'today', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday',
  'saturday', 'sunday', 'morning', 'afternoon', 'evening', 'half', 'quarter', 'one', 'two', 'three', 'four', 'five', 'six', 'seven',
  'eight', 'nine', 'ten', 'eleven', 'twelve', 'me', 'alright', 'all', 'regarding', 'concerning', 'patient',
]);

/** Word shapes that are not names: "this is frustrating", "it's hopeless", "this is unbelievable". */
const NOT_NAME_SHAPE = /^(\p{L}{3,}ing|\p{L}{3,}ous|\p{L}{3,}ful|\p{L}{3,}able|\p{L}{3,}ible|\p{L}{3,}less)$/u;

/** Words that end a name ("I'm Anna and…", "this is Bob calling", "it's Anna Smith from Acme"). */
const NAME_ENDS = new Set([...NOT_NAMES, 'please', 'thanks', 'thank', 'speaking', 'i']);
/** Honorifics kept in front of the name, said as written. */
const TITLES: Readonly<Record<string, string>> = { mr: 'Mr', mrs: 'Mrs', ms: 'Ms', miss: 'Miss', dr: 'Dr', doctor: 'Dr', mister: 'Mr' };

const MAX_NAME_WORDS = 3;

const titleCase = (word: string) => word.replace(/(^|[-'])(\p{L})/gu, (_, start: string, letter: string) => start + letter.toUpperCase());

/**
 * A visitor's name introduced in what they said: "my name is anna smith", "I'm Anna", "it's Anna
 * Smith", "this is Bob calling" → "Anna Smith", "Anna", "Bob". Up to three words after the
 * lead-in, title-cased, hyphens and apostrophes kept ("O'Brien", "Anna-Marie"); a title in front
 * stays ("it's Dr Jones"). Not a name: what follows "I'm looking for…", "I'm not sure", "it's
 * broken", "this is frustrating" (see NOT_NAMES and NOT_NAME_SHAPE: a heuristic, names are an open set). A bare name with no lead-in is not taken here: whether "Anna Smith"
 * alone is a name depends on the question just asked, which only the flow knows.
 */
export function extractName(text: string): string | undefined {
  const words = expandContractions(text.toLowerCase())
    .replace(/[^\p{L}\p{N}'\s-]+/gu, ' ')
    .split(/\s+/)
    .map((word) => word.replace(/^['-]+|['-]+$/g, ''))
    .filter((word) => word !== '');
  for (let i = 0; i < words.length; i += 1) {
    const leadIn = LEAD_INS.find((phrase) => phrase.split(' ').every((part, k) => words[i + k] === part));
    if (leadIn === undefined) continue;
    let at = i + leadIn.split(' ').length;
    const title = TITLES[words[at] ?? ''];
    if (title !== undefined) at += 1;
    const name: string[] = [];
    for (let k = at; k < words.length && name.length < MAX_NAME_WORDS; k += 1) {
      const word = words[k]!;
      const first = name.length === 0;
      if ((first ? NOT_NAMES : NAME_ENDS).has(word) || (first && NOT_NAME_SHAPE.test(word)) || !/^\p{L}[\p{L}'-]*$/u.test(word) || word.length < 2) break;
      name.push(titleCase(word));
    }
    if (name.length > 0) return [...(title === undefined ? [] : [title]), ...name].join(' ');
  }
  return undefined;
}
