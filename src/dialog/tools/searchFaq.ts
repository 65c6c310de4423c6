import type { FrontDesk } from '../FrontDesk.js';
import { wifiAnswer } from '../replies.js';

/** Words that say nothing about what is asked ("where can I …", "do you have …"). */
const STOPWORDS = new Set(
  'a an and are at be can could do does for from get have how i if in is it me my of on or our please tell that the there this to us was we what when where which who why will with would you your'.split(' '),
);

/** Share of an entry's phrasing that must appear in the question: both words of "wifi password", not one. */
const MIN_SCORE = 0.67;

/** Lower-case content words, lightly stemmed so that "toilets" finds "toilet" and "parking" finds "park". */
function contentWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((word) => word.length > 0 && !STOPWORDS.has(word))
    .map((word) => (word.length > 5 && word.endsWith('ing') ? word.slice(0, -3) : word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word));
}

export interface FaqAnswer {
  /** The FAQ entry's id, or one of `hours`, `address`, `directions`, `wifi` for the site's own facts. */
  id: string;
  answer: string;
}

interface Entry {
  id: string;
  phrasings: string[];
  answer: () => string;
}

/**
 * What a visitor may be told, as searchable entries: the operator's FAQ and the public facts of the
 * site. Nothing else of the configuration is reachable from here; the wifi password only when the
 * operator marked it public.
 */
function entries(frontDesk: FrontDesk): Entry[] {
  const { site, calendar } = frontDesk;
  const list: Entry[] = site.faq.map((entry) => ({ id: entry.id, phrasings: entry.phrasings, answer: () => entry.answer }));
  list.push({
    id: 'hours',
    phrasings: ['opening hours', 'open', 'opening times', 'close', 'closing time', 'hours'],
    answer: () => `${calendar.describeToday(frontDesk.now())} ${calendar.describeWeek()}`,
  });
  if (site.address !== undefined) list.push({ id: 'address', phrasings: ['address', 'location', 'located', 'street'], answer: () => `We are at ${site.address}.` });
  if (site.directions !== undefined) list.push({ id: 'directions', phrasings: ['directions', 'find way', 'get there', 'way to'], answer: () => site.directions ?? '' });
  const { wifi } = site;
  if (wifi !== undefined) {
    list.push({
      id: 'wifi',
      phrasings: ['wifi', 'wi fi', 'wireless', 'internet', 'wifi password', 'internet password'],
      answer: () => wifiAnswer(wifi),
    });
  }
  return list;
}

/**
 * The best answer to a question by the words of the entries' phrasings, or undefined when no entry
 * fits well enough — then the honest reply is "I don't know", not the nearest entry.
 */
export function searchFaq(frontDesk: FrontDesk, question: string): FaqAnswer | undefined {
  const asked = new Set(contentWords(question));
  let best: { entry: Entry; score: number } | undefined;
  for (const entry of entries(frontDesk)) {
    for (const phrasing of entry.phrasings) {
      const words = contentWords(phrasing);
      if (words.length === 0) continue;
      const score = words.filter((word) => asked.has(word)).length / words.length;
      if (score >= MIN_SCORE && (best === undefined || score > best.score)) best = { entry, score };
    }
  }
  return best && { id: best.entry.id, answer: best.entry.answer() };
}
