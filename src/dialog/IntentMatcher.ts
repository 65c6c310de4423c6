import type { KioskConfig } from '../config/schema.js';
import type { SiteConfig } from '../config/siteSchema.js';
import { BOOK_SERVICE_TEMPLATES, INTENT_PHRASINGS, SITE_TEMPLATES, TROUBLESHOOT_TEMPLATES } from './intentPhrasings.js';
import { extractName } from './text/extractName.js';
import { findService } from './text/findService.js';
import { isUpset } from './text/isUpset.js';
import { normaliseUtterance } from './text/normaliseUtterance.js';
import { PhraseIndex, type PhraseHit } from './text/PhraseIndex.js';

export type IntentId =
  | 'rule'
  | 'faq'
  | 'openingHours'
  | 'openNow'
  | 'address'
  | 'directions'
  | 'wifi'
  | 'goodbye'
  | 'thanks'
  | 'human'
  | 'message'
  | 'book'
  | 'reschedule'
  | 'cancel'
  | 'troubleshoot'
  | 'lead';

/** What the fast path made of an utterance. */
export interface IntentMatch {
  intent: IntentId;
  /** 0..1; 1 for a config rule (an exact phrase). */
  score: number;
  /** FAQ id, troubleshooting guide id, service id (for 'book'), or the rule's index as a string. */
  entityId?: string;
  /** The visitor sounds angry or distressed (isUpset): worth a person's attention whatever the intent. */
  upset?: boolean;
  /** The phrasing that matched, normalised. */
  matched: string;
}

/**
 * Below this the utterance is not confidently any intent and goes to the language model. Chosen
 * on the tables in test/unit/intentMatcher.test.ts: the lowest positive there scores 0.73 (a lead
 * phrasing inside a long request), the highest negative hit 0.58 ("where is my wife" ≈ wifi).
 */
export const INTENT_THRESHOLD = 0.7;
/** A site-specific intent (FAQ, guide, lead, named service) within this of the best generic one wins. */
const SPECIFIC_MARGIN = 0.05;
/** Two different intents of the same kind this close: the words fit both, so neither is said. */
const AMBIGUITY_MARGIN = 0.02;

type Tier = 'specific' | 'generic';
interface Candidate {
  intent: Exclude<IntentId, 'rule'>;
  entityId?: string;
  tier: Tier;
}

/**
 * The fast path before the language model: maps a final (or stable partial) transcript to an
 * intent the dialog answers from site data, or undefined when it is not confident.
 *
 * Order: a config rule (`dialog.rules`) whose phrase the transcript contains as whole words
 * (after normalisation, so case, punctuation and contractions do not matter) wins outright, first
 * rule first. Otherwise every phrasing — built-in (intentPhrasings.ts) and from the site (FAQ,
 * troubleshooting guides and their titles, lead phrasings, service names in booking templates) —
 * is scored tolerantly by PhraseIndex (fuzzy and phonetic word similarity, negation, precision);
 * an off-topic hit ("what is the address of the hospital") does not count, but a name the visitor
 * introduces ("my name is anna smith and i need an appointment") is neither off-topic nor imprecise. The best score must
 * reach INTENT_THRESHOLD; a site-specific match close to the best generic one
 * is preferred ("where are the toilets" is the toilets FAQ, not directions); two different intents
 * scoring the same make the answer undefined. All phrasings are prepared in the constructor; a
 * match costs tens of microseconds.
 */
export class IntentMatcher {
  private readonly rules: { phrases: string[] }[];
  private readonly index: PhraseIndex<Candidate>;
  private readonly services: SiteConfig['services'];

  constructor(site: SiteConfig, rules: KioskConfig['dialog']['rules']) {
    this.rules = rules.map((rule) => ({ phrases: rule.match.map(normaliseUtterance).filter((phrase) => phrase !== '') }));
    this.services = site.services;
    const entries: { phrase: string; value: Candidate }[] = [];
    const add = (phrase: string, value: Candidate) => {
      const normal = normaliseUtterance(phrase);
      if (normal !== '') entries.push({ phrase: normal, value });
    };
    for (const [intent, phrasings] of Object.entries(INTENT_PHRASINGS) as [Candidate['intent'], string[]][]) {
      for (const phrasing of phrasings) add(phrasing, { intent, tier: 'generic' });
    }
    for (const [intent, templates] of Object.entries(SITE_TEMPLATES) as [Candidate['intent'], string[]][]) {
      for (const template of templates) add(template.replaceAll('{site}', site.name), { intent, tier: 'generic' });
    }
    for (const entry of site.faq) for (const phrasing of entry.phrasings) add(phrasing, { intent: 'faq', entityId: entry.id, tier: 'specific' });
    for (const guide of site.troubleshooting) {
      const value: Candidate = { intent: 'troubleshoot', entityId: guide.id, tier: 'specific' };
      for (const phrasing of [...guide.phrasings, guide.title]) add(phrasing, value);
      for (const template of TROUBLESHOOT_TEMPLATES) add(template.replaceAll('{t}', guide.title), value);
    }
    for (const phrasing of site.leads.phrasings) add(phrasing, { intent: 'lead', tier: 'specific' });
    for (const service of site.services) {
      for (const name of [service.name, ...service.phrasings]) {
        for (const template of BOOK_SERVICE_TEMPLATES) add(template.replaceAll('{s}', name), { intent: 'book', entityId: service.id, tier: 'specific' });
      }
    }
    this.index = new PhraseIndex(entries, [site.name, ...site.resources.map((resource) => resource.name)].flatMap((name) => normaliseUtterance(name).split(' ')));
  }

  /** The intent of `transcript`, or undefined when nothing matches confidently (then: the LLM). */
  match(transcript: string): IntentMatch | undefined {
    const normal = normaliseUtterance(transcript);
    if (normal === '') return undefined;
    const upset = isUpset(transcript);
    const padded = ` ${normal} `;
    for (const [index, rule] of this.rules.entries()) {
      const phrase = rule.phrases.find((candidate) => padded.includes(` ${candidate} `));
      if (phrase !== undefined) return { intent: 'rule', score: 1, entityId: String(index), upset, matched: phrase };
    }
    // A name the visitor gives is not another topic: "my name is anna smith and i need an appointment".
    // Only after "name is": "i am worried about…" must not make "worried" a name that explains nothing.
    const name = padded.includes(' name is ') ? extractName(transcript) : undefined;
    const neutralWords = name === undefined ? undefined : new Set(['name', ...normaliseUtterance(name).split(' ')]);
    const best = pickBest(this.index.score(normal.split(' '), neutralWords === undefined ? {} : { neutralWords }));
    if (best === undefined) return undefined;
    const { intent, entityId } = best.value;
    const serviceId = intent === 'book' && entityId === undefined ? findService(normal, this.services)?.id : entityId;
    return { intent, score: best.score, ...(serviceId === undefined ? {} : { entityId: serviceId }), upset, matched: best.phrase };
  }
}

const keyOf = (candidate: Candidate) => `${candidate.intent}:${candidate.entityId ?? ''}`;

/** The winning hit per the rules in IntentMatcher's description, or undefined. */
function pickBest(hits: readonly PhraseHit<Candidate>[]): PhraseHit<Candidate> | undefined {
  // Hits come best first: keep each intent/entity's best.
  const byKey = new Map<string, PhraseHit<Candidate>>();
  for (const hit of hits) {
    if (hit.score < INTENT_THRESHOLD) break;
    // The utterance names as many other things as the phrase: it is about something else.
    if (hit.offTopic) continue;
    if (!byKey.has(keyOf(hit.value))) byKey.set(keyOf(hit.value), hit);
  }
  const ranked = [...byKey.values()];
  const top = ranked[0];
  if (top === undefined) return undefined;
  const specific = ranked.find((hit) => hit.value.tier === 'specific');
  const chosen = specific !== undefined && specific.score >= top.score - SPECIFIC_MARGIN ? specific : top;
  const rival = ranked.find((hit) => hit !== chosen && hit.value.tier === chosen.value.tier && hit.score >= chosen.score - AMBIGUITY_MARGIN);
  return rival === undefined ? chosen : undefined;
}
