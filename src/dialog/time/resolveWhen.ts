import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import { WEEKDAYS } from '../../config/siteSchema.js';
import { inPartOfDay, type PartOfDay } from './partOfDay.js';
import type { SiteCalendar } from './SiteCalendar.js';
import { normaliseTimeText } from './timeWords.js';

/** What a visitor said about when, resolved in the site's zone. Each part is there only if said. */
export interface WhenRequest {
  /** Start of the day, site zone. */
  date?: DateTime;
  /** Minutes after midnight, wall clock, am/pm resolved. */
  minutes?: number;
  partOfDay?: PartOfDay;
  /** A time without am/pm where both readings fit the hours, or neither does: [am, pm] — ask which. */
  ambiguousMinutes?: number[];
  /** The temporal words found, from the normalised text ("tomorrow 10:30"). */
  matched: string;
}

/** A piece of the normalised text that said something about when, and where it was. */
interface Fragment {
  index: number;
  text: string;
}

/** The clock time inside a chrono match such as "tomorrow at 10:30 pm". */
const CLOCK_TEXT = /\d{1,2}(?::\d{2})?(?:\s*[ap]m)?(?:\s+in the (?:morning|afternoon|evening))?/;
const WEEKDAY_PATTERN = new RegExp(`\\b(?:(next|this|on|coming)\\s+)?(${WEEKDAYS.join('|')})\\b`);
const MONTH_OR_NUMERIC_DATE = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b\d{1,2}[/.-]\d{1,2}\b/;

/**
 * Resolves dates and times in a visitor's words, relative to `now` in the site's zone, or
 * undefined when nothing temporal was said. Works on recogniser text ("tomorrow at ten thirty",
 * "friday at three p m", "half past three"; see normaliseTimeText).
 *
 * Dates are literal — availability is FrontDesk's job ("tomorrow" on a Saturday is Sunday even
 * when the site is closed then):
 * - "today", "tonight", "this morning|afternoon|evening"; "tomorrow"; "the day after tomorrow";
 *   "in 3 days".
 * - "next tuesday": the coming Tuesday after today (a week ahead when today is Tuesday).
 * - "tuesday", "on tuesday", "this tuesday": today when today is Tuesday and the site has not yet
 *   closed for the day; otherwise the coming Tuesday.
 * - "december 9", "9th of december", "9/12" (day first): that date, this year or, once it has
 *   passed, next year. "the 9th": the next 9th from today (this month if not yet past).
 *
 * Times: "at 3", "3:30", "3 pm", "10 in the morning", "noon". Without am/pm the part of the day
 * said decides ("friday afternoon at 3"), else the opening hours of that day (or today when no
 * date was said; the usual weekly hours when that day is closed): of 03:00 and 15:00 the one when
 * the site is open wins (or, in a lunch break, the one between opening and closing). If both or
 * neither are, `ambiguousMinutes` holds both and `minutes` is unset.
 *
 * chrono-node reads the calendar dates and clock times; every day computation is luxon in the
 * site's zone, so the process timezone never matters.
 */
export function resolveWhen(text: string, now: DateTime, calendar: SiteCalendar): WhenRequest | undefined {
  const here = now.setZone(calendar.zone);
  const today = here.startOf('day');
  const normal = normaliseTimeText(text);
  const matched: Fragment[] = [];
  // The site's offset now lets chrono read the text as a visitor here would; only the fields it
  // reads from the words themselves (month, day, hour, minute, meridiem) are used.
  const results = chrono.en.GB.parse(normal, { instant: here.toJSDate(), timezone: here.offset });

  const partOfDay = findPartOfDay(normal, matched);
  let date = relativeDay(normal, today, matched);
  if (date === undefined) date = calendarDate(results, today, matched);
  if (date === undefined) date = dayOfMonth(normal, today, matched);
  if (date === undefined) date = weekday(normal, here, calendar, matched);

  const time = results.find((result) => result.start.isCertain('hour'));
  const request: WhenRequest = { matched: '' };
  if (date !== undefined) request.date = date;
  if (partOfDay !== undefined) request.partOfDay = partOfDay;
  if (time !== undefined) {
    const clock = time.text.match(CLOCK_TEXT);
    matched.push(clock === null ? { index: time.index, text: time.text } : { index: time.index + clock.index!, text: clock[0] });
    const hour = time.start.get('hour') ?? 0;
    const minute = time.start.get('minute') ?? 0;
    const readings = time.start.isCertain('meridiem') || hour === 0 || hour >= 12 ? [hour * 60 + minute] : [hour * 60 + minute, (hour + 12) * 60 + minute];
    const chosen = readings.length === 1 ? readings : pickReading(readings, partOfDay, date ?? today, calendar);
    if (chosen.length === 1) request.minutes = chosen[0]!;
    else request.ambiguousMinutes = chosen;
  }
  if (date === undefined && partOfDay === undefined && time === undefined) return undefined;
  request.matched = matched
    .sort((a, b) => a.index - b.index)
    .filter((fragment, i, all) => !all.some((other, j) => j !== i && other.index <= fragment.index && other.index + other.text.length >= fragment.index + fragment.text.length && (other.text.length > fragment.text.length || j < i)))
    .map((fragment) => fragment.text)
    .join(' ');
  return request;
}

/** Of the am and pm readings, the one the part of day or the opening hours allow; both when that does not decide. */
function pickReading(readings: number[], partOfDay: PartOfDay | undefined, day: DateTime, calendar: SiteCalendar): number[] {
  if (partOfDay !== undefined) {
    const inPart = readings.filter((minutes) => inPartOfDay(minutes, partOfDay));
    if (inPart.length === 1) return inPart;
  }
  let ranges = calendar.hoursOn(day).map((range) => [wallMinutes(range.open), wallMinutes(range.close)] as const);
  if (ranges.length === 0) {
    // A closed day still has a usual answer: "tomorrow at 3" on a Saturday means 15:00 for a site
    // open 9 to 5 on weekdays; the booking then refuses the closed day.
    ranges = [0, 1, 2, 3, 4, 5, 6].flatMap((i) => calendar.hoursOn(day.plus({ days: i })).map((range) => [wallMinutes(range.open), wallMinutes(range.close)] as const));
  }
  const open = readings.filter((minutes) => ranges.some(([from, to]) => minutes >= from && minutes < to));
  if (open.length === 1) return open;
  // "at 1" on a day with a 12:30–13:30 lunch break still means 13:00, not 01:00.
  const first = Math.min(...ranges.map(([from]) => from));
  const last = Math.max(...ranges.map(([, to]) => to));
  const spanned = open.length === 0 ? readings.filter((minutes) => minutes >= first && minutes < last) : [];
  return spanned.length === 1 ? spanned : readings;
}

const wallMinutes = (t: DateTime) => t.hour * 60 + t.minute;

function findPartOfDay(text: string, matched: Fragment[]): PartOfDay | undefined {
  const found = text.match(/\b(morning|afternoon|evening|tonight)\b/);
  if (found === null) return undefined;
  matched.push({ index: found.index!, text: found[0] });
  return found[1] === 'tonight' ? 'evening' : (found[1] as PartOfDay);
}

function relativeDay(text: string, today: DateTime, matched: Fragment[]): DateTime | undefined {
  const patterns: [RegExp, (m: RegExpMatchArray) => number][] = [
    [/\b(?:the )?day after tomorrow\b/, () => 2],
    [/\btomorrow\b/, () => 1],
    [/\b(?:today|tonight|this (?:morning|afternoon|evening))\b/, () => 0],
    [/\bin (\d{1,2}) days?\b/, (m) => Number(m[1])],
  ];
  for (const [pattern, days] of patterns) {
    const found = text.match(pattern);
    if (found !== null) {
      matched.push({ index: found.index!, text: found[0] });
      return today.plus({ days: days(found) });
    }
  }
  return undefined;
}

/** A date chrono read from a month name or a numeric date; the year is the next one it has not passed in. */
function calendarDate(results: chrono.ParsedResult[], today: DateTime, matched: Fragment[]): DateTime | undefined {
  const result = results.find((r) => r.start.isCertain('day') && r.start.isCertain('month') && MONTH_OR_NUMERIC_DATE.test(r.text));
  if (result === undefined) return undefined;
  const month = result.start.get('month')!;
  const day = result.start.get('day')!;
  matched.push({ index: result.index, text: result.text.replace(/\s+at\s.*$/, '') });
  if (result.start.isCertain('year')) return DateTime.fromObject({ year: result.start.get('year')!, month, day }, { zone: today.zone });
  for (const year of [today.year, today.year + 1]) {
    const candidate = DateTime.fromObject({ year, month, day }, { zone: today.zone });
    if (candidate.isValid && candidate >= today) return candidate;
  }
  return undefined;
}

/** "the 9th", "on the 21st": the next such day of the month from today. */
function dayOfMonth(text: string, today: DateTime, matched: Fragment[]): DateTime | undefined {
  const found = text.match(/\bthe (\d{1,2})(?:st|nd|rd|th)\b/);
  if (found === null) return undefined;
  const day = Number(found[1]);
  for (let i = 0; i < 12; i += 1) {
    const month = today.startOf('month').plus({ months: i });
    const candidate = month.set({ day });
    if (candidate.isValid && candidate.month === month.month && candidate >= today) {
      matched.push({ index: found.index!, text: found[0] });
      return candidate;
    }
  }
  return undefined;
}

function weekday(text: string, now: DateTime, calendar: SiteCalendar, matched: Fragment[]): DateTime | undefined {
  const found = text.match(WEEKDAY_PATTERN);
  if (found === null) return undefined;
  matched.push({ index: found.index!, text: found[0] });
  const today = now.startOf('day');
  const wanted = WEEKDAYS.indexOf(found[2] as (typeof WEEKDAYS)[number]) + 1;
  const ahead = (wanted - today.weekday + 7) % 7;
  if (ahead > 0) return today.plus({ days: ahead });
  const stillOpenToday = calendar.hoursOn(today).some((range) => range.close > now);
  return found[1] !== 'next' && stillOpenToday ? today : today.plus({ days: 7 });
}
