import type { DateTime } from 'luxon';

/**
 * Times and dates as the kiosk says them. The 24-hour clock ("17:30") is unambiguous when spoken
 * and needs no am/pm; TTS voices read it as "seventeen thirty".
 */

/** "10:00", "17:30" (in the zone the DateTime carries). */
export function speakTime(t: DateTime): string {
  return t.toFormat('HH:mm');
}

/** "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st". */
export function ordinal(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Days ahead after which the month is said too, so "Tuesday the 9th" cannot be taken for an earlier 9th. */
const SAY_MONTH_FROM_DAYS = 28;

/**
 * The day relative to now: "today", "tomorrow", or "Tuesday the 9th" ("Tuesday the 9th of
 * February" four weeks or more ahead). Both must be in the same zone (the site's).
 */
export function speakDay(day: DateTime, now: DateTime): string {
  const days = Math.round(day.startOf('day').diff(now.startOf('day'), 'days').days);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  const english = day.setLocale('en-GB');
  const base = `${english.toFormat('cccc')} the ${ordinal(day.day)}`;
  return Math.abs(days) >= SAY_MONTH_FROM_DAYS ? `${base} of ${english.toFormat('LLLL')}` : base;
}

/** "today at 15:00", "tomorrow at 10:00", "Tuesday the 9th at 10:00". */
export function speakSlot(start: DateTime, now: DateTime): string {
  return `${speakDay(start, now)} at ${speakTime(start)}`;
}
