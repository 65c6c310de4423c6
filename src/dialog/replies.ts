import type { DateTime } from 'luxon';
import type { SiteConfig } from '../config/siteSchema.js';
import { speakDay } from './time/speak.js';

/**
 * Small helpers that turn data into words a speech synthesiser says well. They hold no site facts;
 * every sentence the flows speak is built from them and the site config.
 */

/** "K47" → "K, 4, 7": one character at a time, so a visitor can write it down. */
export function spellReference(reference: string): string {
  return [...reference.toUpperCase()].join(', ');
}

/** ["a", "b", "c"] → "a, b or c" (or "and"). */
export function speakList(items: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** The wifi answer, for the fast path and the FAQ tool alike: the password only when the operator made it public. */
export function wifiAnswer(wifi: NonNullable<SiteConfig['wifi']>): string {
  if (wifi.password && wifi.passwordPublic) return `The wifi network is ${wifi.network} and the password is ${wifi.password}.`;
  if (wifi.password) return `The wifi network is ${wifi.network}; please ask at the desk for the password.`;
  return `The wifi network is ${wifi.network}.`;
}

/** "consultation" → "a consultation", "eye test" → "an eye test". */
export function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** "so, what day would suit you?" → "So, what day would suit you?" */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Words that keep their capital inside a sentence. */
const PROPER = /^(?:I|Dr|Mr|Mrs|Ms|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b/;

/** "What day would suit you?" → "what day would suit you?" (to follow "So, "); names keep their capital. */
export function lowerFirst(text: string): string {
  return PROPER.test(text) ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

/** 60 → "an hour's", 120 → "2 hours'", 30 → "30 minutes'" (for "at least an hour's notice"). */
export function speakNotice(minutes: number): string {
  if (minutes === 60) return "an hour's";
  if (minutes % 60 === 0) return `${minutes / 60} hours'`;
  return `${minutes} minutes'`;
}

/** Opening ranges as spoken: "09:00 to 17:30" or "09:00 to 12:30 and 13:30 to 19:00". */
export function speakRanges(ranges: readonly { open: DateTime; close: DateTime }[]): string {
  return speakList(
    ranges.map((range) => `${range.open.toFormat('HH:mm')} to ${range.close.toFormat('HH:mm')}`),
    'and',
  );
}

/** The contact read back for confirmation: "I have 0 7 7 0 0, 9 0 0, 1 2 3 — is that right?" */
export function readBack(spoken: string): string {
  return `I have ${spoken} — is that right?`;
}

/** "today", "tomorrow", "on Tuesday the 9th" (to follow "we're closed", "we open"). */
export function onDay(day: DateTime, now: DateTime): string {
  const spoken = speakDay(day, now);
  return spoken === 'today' || spoken === 'tomorrow' ? spoken : `on ${spoken}`;
}
