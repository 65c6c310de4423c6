import { DateTime } from 'luxon';
import { WEEKDAYS, type OpenRange, type SiteConfig, type Weekday, type WeeklyHours } from '../../config/siteSchema.js';
import { ordinal, speakTime } from './speak.js';

/** One open stretch of a particular day, in the site's zone. */
export interface OpenInterval {
  open: DateTime;
  close: DateTime;
}

/** How far ahead `nextOpening` looks: a year covers every exception the config can hold. */
const SEARCH_DAYS = 370;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/** "Monday", "Monday and Tuesday", "Monday, Tuesday and Thursday". */
function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

const capital = (day: Weekday) => day.charAt(0).toUpperCase() + day.slice(1);

/**
 * The site's opening hours as dates and times, all in the site's zone. Opening times are wall
 * clock: "09:00" is 09:00 local on a DST change day too (its UTC offset differs from the day
 * before). Exceptions replace a weekday's hours for their date.
 */
export class SiteCalendar {
  readonly zone: string;
  private readonly exceptions: Map<string, SiteConfig['exceptions'][number]>;

  constructor(private readonly site: SiteConfig) {
    this.zone = site.timezone;
    this.exceptions = new Map(site.exceptions.map((exception) => [exception.date, exception]));
  }

  /** The site's open intervals on the day `day` falls on (exceptions applied); empty when closed. */
  hoursOn(day: DateTime): OpenInterval[] {
    return this.intervals(this.rangesOn(this.site.hours, day), day);
  }

  /**
   * When a resource works on the day: its own hours intersected with the site's (so a holiday
   * closes every resource). A resource without its own hours, or one the config does not list
   * (the implicit "desk" of a site without resources), works whenever the site is open.
   */
  resourceHoursOn(resourceId: string, day: DateTime): OpenInterval[] {
    const site = this.hoursOn(day);
    const own = this.site.resources.find((resource) => resource.id === resourceId)?.hours;
    if (own === undefined) return site;
    const mine = this.intervals(own[this.weekday(day)], day);
    const both: OpenInterval[] = [];
    for (const a of site) {
      for (const b of mine) {
        const open = a.open > b.open ? a.open : b.open;
        const close = a.close < b.close ? a.close : b.close;
        if (open < close) both.push({ open, close });
      }
    }
    return both.sort((x, y) => x.open.toMillis() - y.open.toMillis());
  }

  /** Whether the site is open at the instant `t` (open ≤ t < close). */
  /** Whether the site has opening hours at all (a site configured without them has nothing to say about them). */
  hasHours(): boolean {
    return Object.values(this.site.hours).some((ranges) => ranges.length > 0) || this.site.exceptions.some((exception) => exception.hours.length > 0);
  }

  isOpenAt(t: DateTime): boolean {
    return this.hoursOn(t).some((range) => range.open <= t && t < range.close);
  }

  /**
   * Whether someone can come to the desk at `t`: site.handoff.staffedHours, or the opening hours
   * when absent. On an exception date the exception's hours apply (nobody is in on Christmas Day).
   */
  isStaffedAt(t: DateTime): boolean {
    const weekly = this.site.handoff.staffedHours ?? this.site.hours;
    return this.intervals(this.rangesOn(weekly, t), t).some((range) => range.open <= t && t < range.close);
  }

  /** The exception (holiday, short day) for the day `day` falls on, if any. */
  exceptionOn(day: DateTime): { name?: string } | undefined {
    const exception = this.exceptions.get(this.local(day).toISODate() ?? '');
    if (exception === undefined) return undefined;
    return exception.name === undefined ? {} : { name: exception.name };
  }

  /** The start of the first open interval that begins after `after`, within a year; undefined when the site never opens. */
  nextOpening(after: DateTime): DateTime | undefined {
    const from = this.local(after);
    for (let i = 0; i < SEARCH_DAYS; i += 1) {
      const opening = this.hoursOn(from.startOf('day').plus({ days: i })).find((range) => range.open > from);
      if (opening !== undefined) return opening.open;
    }
    return undefined;
  }

  /**
   * Today's hours as a sentence for TTS, relative to `now`:
   * "We're open today until 17:30." / "We open today at 09:00 and close at 17:30." /
   * "We're closed today for Christmas Day. We open again on Monday at 09:00."
   */
  describeToday(now: DateTime): string {
    const here = this.local(now);
    const today = this.hoursOn(here);
    const exception = this.exceptionOn(here);
    const ahead = today.filter((range) => range.close > here);
    const sentences: string[] = [];
    if (ahead.length === 0) {
      if (today.length > 0) sentences.push("We're closed now.");
      else sentences.push(exception?.name ? `We're closed today for ${exception.name}.` : "We're closed today.");
      const next = this.nextOpening(here);
      sentences.push(next === undefined ? "I don't have a date when we open again." : `We open again ${this.speakOpening(next, here)}.`);
      return sentences.join(' ');
    }
    if (exception?.name) sentences.push(`Today we have special hours for ${exception.name}.`);
    const first = ahead[0]!;
    const last = ahead[ahead.length - 1]!;
    const breaks = ahead.slice(1).map((range, i) => `${speakTime(ahead[i]!.close)} to ${speakTime(range.open)}`);
    const breakText = breaks.length === 0 ? '' : `, with a break from ${listWords(breaks)}`;
    if (first.open <= here) sentences.push(`We're open today until ${speakTime(last.close)}${breakText}.`);
    else if (ahead.length < today.length) sentences.push(`We're closed for a break until ${speakTime(first.open)}, then open until ${speakTime(last.close)}${breakText}.`);
    else sentences.push(`We open today at ${speakTime(first.open)} and close at ${speakTime(last.close)}${breakText}.`);
    return sentences.join(' ');
  }

  /**
   * The regular week as one sentence for TTS, equal days grouped and three or more days in a row
   * said as a span: "Monday to Thursday 09:00 to 17:30; Friday 09:00 to 16:00; closed on Sunday."
   */
  describeWeek(): string {
    const groups = new Map<string, Weekday[]>();
    for (const day of WEEKDAYS) {
      const key = this.site.hours[day].map((range) => `${range.open} to ${range.close}`).join(' and ');
      groups.set(key, [...(groups.get(key) ?? []), day]);
    }
    const parts: string[] = [];
    let closed: Weekday[] = [];
    for (const [hours, days] of groups) {
      if (hours === '') closed = days;
      else parts.push(`${this.speakDays(days)} ${hours}`);
    }
    if (parts.length === 0) return "We're closed every day.";
    if (closed.length > 0) parts.push(`closed on ${this.speakDays(closed)}`);
    return `${parts.join('; ')}.`;
  }

  /** "Monday to Wednesday and Friday": runs of three or more weekdays said as spans. */
  private speakDays(days: Weekday[]): string {
    const words: string[] = [];
    let i = 0;
    while (i < days.length) {
      let j = i;
      while (j + 1 < days.length && WEEKDAYS.indexOf(days[j + 1]!) === WEEKDAYS.indexOf(days[j]!) + 1) j += 1;
      if (j - i >= 2) {
        words.push(`${capital(days[i]!)} to ${capital(days[j]!)}`);
        i = j + 1;
      } else {
        words.push(capital(days[i]!));
        i += 1;
      }
    }
    return listWords(words);
  }

  /** "tomorrow at 09:00", "on Monday at 09:00" (within a week), "on Monday the 4th at 09:00". */
  private speakOpening(opening: DateTime, now: DateTime): string {
    const days = Math.round(opening.startOf('day').diff(now.startOf('day'), 'days').days);
    const time = speakTime(opening);
    if (days === 0) return `today at ${time}`;
    if (days === 1) return `tomorrow at ${time}`;
    const weekday = opening.setLocale('en-GB').toFormat('cccc');
    return days < 7 ? `on ${weekday} at ${time}` : `on ${weekday} the ${ordinal(opening.day)} at ${time}`;
  }

  /** The configured ranges for the day (the exception's when the date has one). */
  private rangesOn(weekly: WeeklyHours, day: DateTime): OpenRange[] {
    return this.exceptions.get(this.local(day).toISODate() ?? '')?.hours ?? weekly[this.weekday(day)];
  }

  private intervals(ranges: OpenRange[], day: DateTime): OpenInterval[] {
    const midnight = this.local(day).startOf('day');
    // Built from the wall-clock fields, not by adding minutes to midnight, so that 09:00 stays
    // 09:00 on the day the clocks change.
    const at = (time: string) => midnight.set({ hour: Math.floor(minutesOf(time) / 60), minute: minutesOf(time) % 60 });
    return ranges.map((range) => ({ open: at(range.open), close: at(range.close) }));
  }

  private weekday(day: DateTime): Weekday {
    return WEEKDAYS[this.local(day).weekday - 1]!;
  }

  private local(t: DateTime): DateTime {
    return t.setZone(this.zone);
  }
}
