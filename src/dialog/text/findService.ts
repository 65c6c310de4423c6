import type { ServiceConfig } from '../../config/siteSchema.js';
import { normaliseUtterance } from './normaliseUtterance.js';
import { PhraseIndex } from './PhraseIndex.js';

/** A service counts as named when this much of one of its names is in the words (all content words are). */
const MIN_RECALL = 0.8;

/** Indexes per services array: flows call findService on every turn with the same site. */
const indexes = new WeakMap<readonly ServiceConfig[], PhraseIndex<ServiceConfig>>();

function indexOf(services: readonly ServiceConfig[]): PhraseIndex<ServiceConfig> {
  let index = indexes.get(services);
  if (index === undefined) {
    index = new PhraseIndex(services.flatMap((service) => [service.name, ...service.phrasings].map((phrase) => ({ phrase: normaliseUtterance(phrase), value: service }))));
    indexes.set(services, index);
  }
  return index;
}

/**
 * The service the visitor names, by its name or one of its phrasings, tolerating ASR errors
 * ("a check up tomorrow at ten", "i need to see a doctor"). Other words in the utterance do not
 * count against it (it is usually said with a day and time). When names of two services fit
 * equally well, none is returned: the flow asks.
 */
export function findService(text: string, services: readonly ServiceConfig[]): ServiceConfig | undefined {
  const words = normaliseUtterance(text);
  if (words === '' || services.length === 0) return undefined;
  const found = indexOf(services)
    .score(words.split(' '))
    .filter((hit) => hit.recall >= MIN_RECALL)
    // The most of a name said, then the longest name: "health check" beats "check".
    .sort((a, b) => b.recall - a.recall || b.weight - a.weight);
  const [best, second] = found;
  if (best === undefined) return undefined;
  if (second !== undefined && second.value !== best.value && second.recall === best.recall && second.weight === best.weight) return undefined;
  return best.value;
}
