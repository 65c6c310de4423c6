import { DateTime } from 'luxon';
import type { KioskConfig } from '../config/schema.js';
import type { SiteConfig } from '../config/siteSchema.js';
import type { IntentCompletenessJudge } from '../turn/endpointing/lexicalEndOfTurn.js';
import { IntentMatcher, type IntentId } from './IntentMatcher.js';
import { resolveWhen } from './time/resolveWhen.js';
import { SiteCalendar } from './time/SiteCalendar.js';

export type { IntentCompletenessJudge } from '../turn/endpointing/lexicalEndOfTurn.js';

/** Intents the dialog answers as soon as it knows them: nothing more is needed to reply. */
const ANSWERED_AT_ONCE: ReadonlySet<IntentId> = new Set(['openingHours', 'openNow', 'address', 'directions', 'wifi', 'faq', 'goodbye', 'thanks', 'rule', 'human']);
/** Intents that want a day and a time before the desk can act on them. */
const WANTS_A_TIME: ReadonlySet<IntentId> = new Set(['book', 'reschedule']);

/**
 * The front desk's view of whether a transcript at a pause is a finished request, for the lexical
 * end-of-turn detector (`LexicalOptions.intent`). Built once per site; each call is the fast-path
 * intent match (tens of microseconds) and, for a booking, the date parser (well under a
 * millisecond). Reads nothing and writes nothing: the ears worker has no database.
 *
 * - An intent answered at once (opening hours, open now, address, directions, wifi, FAQ, goodbye,
 *   thanks, a config rule, a person): 'complete'.
 * - book or reschedule with a day and a time (a clock time, or a part of the day: "thursday
 *   morning" is a time the desk offers slots in): 'complete'. Without a time ("book a check up",
 *   "…on", "…on friday"): 'incomplete'. A time without a day ("at ten") is left to the words:
 *   undefined.
 * - Any other intent (cancel, message, troubleshoot, lead: they carry a reference or free text the
 *   dialog asks for anyway), or no confident match: undefined.
 */
export function createIntentCompleteness(
  site: SiteConfig,
  rules: KioskConfig['dialog']['rules'],
  now: () => DateTime = () => DateTime.now(),
): IntentCompletenessJudge {
  const matcher = new IntentMatcher(site, rules);
  const calendar = new SiteCalendar(site);
  return (transcript) => {
    const match = matcher.match(transcript);
    if (match === undefined) return undefined;
    if (ANSWERED_AT_ONCE.has(match.intent)) return 'complete';
    if (!WANTS_A_TIME.has(match.intent)) return undefined;
    const when = resolveWhen(transcript, now(), calendar);
    const hasTime = when !== undefined && (when.minutes !== undefined || when.ambiguousMinutes !== undefined || when.partOfDay !== undefined);
    if (hasTime && when.date !== undefined) return 'complete';
    return hasTime ? undefined : 'incomplete';
  };
}
