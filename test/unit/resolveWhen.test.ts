import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/siteSchema.js';
import { resolveWhen } from '../../src/dialog/time/resolveWhen.js';
import { SiteCalendar } from '../../src/dialog/time/SiteCalendar.js';
import { normaliseTimeText } from '../../src/dialog/time/timeWords.js';
import { exampleSite } from '../helpers/exampleSite.js';

const LONDON = 'Europe/London';
const calendar = new SiteCalendar(exampleSite());
/** Saturday 5 December 2026, 11:00 in London (open 10:00–13:00; closed on Sundays). */
const saturday = DateTime.fromISO('2026-12-05T11:00', { zone: LONDON });
const monday = DateTime.fromISO('2026-12-07T08:00', { zone: LONDON });

/** The request as plain values: the date as YYYY-MM-DD, times as HH:MM. */
function when(text: string, now = saturday, cal = calendar) {
  const request = resolveWhen(text, now, cal);
  if (request === undefined) return undefined;
  const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return {
    ...(request.date ? { date: request.date.toISODate(), zone: request.date.zoneName, midnight: request.date.hour + request.date.minute } : {}),
    ...(request.minutes !== undefined ? { time: hhmm(request.minutes) } : {}),
    ...(request.ambiguousMinutes ? { ambiguous: request.ambiguousMinutes.map(hhmm) } : {}),
    ...(request.partOfDay ? { partOfDay: request.partOfDay } : {}),
  };
}

describe('normaliseTimeText', () => {
  it.each([
    ['Tomorrow at ten.', 'tomorrow at 10'],
    ['tomorrow at ten thirty', 'tomorrow at 10:30'],
    ['half past three', '3:30'],
    ['a quarter past nine', '9:15'],
    ['quarter to five', '4:45'],
    ['quarter to one', '12:45'],
    ['twenty past ten', '10:20'],
    ['nine oh five', '9:05'],
    ['half three', '3:30'],
    ["ten o'clock", '10:00'],
    ['at 10 30', 'at 10:30'],
    // pocketsphinx's usual slip: "at" heard as "and" after a day; other "and"s are left alone.
    ['i want to book a check up on monday and ten', 'i want to book a check up on monday at 10'],
    ['friday and ten thirty please', 'friday at 10:30 please'],
    ['bread and ten eggs', 'bread and 10 eggs'],
    ['friday at three p m', 'friday at 3 pm'],
    ['at noon', 'at 12:00 pm'],
    ['the twenty first of december', 'the 21st of december'],
    ['the ninth', 'the 9th'],
    ['in two days', 'in 2 days'],
    ['twenty one', '21'],
    ['from ten thirty eleven fifteen', 'from 10:30 11:15'],
    ['the first of january two thousand twenty seven', 'the 1st of january 2027'],
  ])('%s → %s', (text, normal) => {
    expect(normaliseTimeText(text)).toBe(normal);
  });
});

describe('resolveWhen: days', () => {
  it('returns undefined when nothing temporal was said', () => {
    expect(when('can i book an appointment')).toBeUndefined();
    expect(when('i have two kids')).toBeUndefined();
  });

  it('resolves "tomorrow" on a Saturday to the Sunday, closed or not (availability is checked later)', () => {
    expect(when('tomorrow')).toEqual({ date: '2026-12-06', zone: LONDON, midnight: 0 });
  });

  it('resolves today, the day after tomorrow and "in N days"', () => {
    expect(when('today')?.date).toBe('2026-12-05');
    expect(when('the day after tomorrow')?.date).toBe('2026-12-07');
    expect(when('in three days')?.date).toBe('2026-12-08');
  });

  it('"next tuesday" is the coming Tuesday, and a week ahead on a Tuesday', () => {
    expect(when('next tuesday')?.date).toBe('2026-12-08');
    expect(when('next tuesday', DateTime.fromISO('2026-12-08T10:00', { zone: LONDON }))?.date).toBe('2026-12-15');
  });

  it('a plain weekday is today while the site is still open, otherwise the next one', () => {
    expect(when('on monday')?.date).toBe('2026-12-07');
    expect(when('saturday')?.date).toBe('2026-12-05');
    expect(when('saturday', DateTime.fromISO('2026-12-05T13:30', { zone: LONDON }))?.date).toBe('2026-12-12');
    expect(when('next saturday')?.date).toBe('2026-12-12');
  });

  it('reads calendar dates with month names, rolling into next year once passed', () => {
    expect(when('december 9')?.date).toBe('2026-12-09');
    expect(when('9th of december')?.date).toBe('2026-12-09');
    expect(when('on the ninth of december')?.date).toBe('2026-12-09');
    expect(when('december 1st')?.date).toBe('2027-12-01');
    expect(when('january the 4th')?.date).toBe('2027-01-04');
  });

  it('reads "the 9th" as the next 9th', () => {
    expect(when('the 9th')?.date).toBe('2026-12-09');
    expect(when('the third')?.date).toBe('2027-01-03');
    expect(when('tuesday the ninth at 10')).toMatchObject({ date: '2026-12-09', time: '10:00' });
  });
});

describe('resolveWhen: times', () => {
  it('understands times said as words (chrono alone drops them)', () => {
    expect(when('tomorrow at ten')).toMatchObject({ date: '2026-12-06', time: '10:00' });
    expect(when('tomorrow at ten thirty', monday)).toMatchObject({ date: '2026-12-08', time: '10:30' });
    expect(when('half past three on monday')).toMatchObject({ date: '2026-12-07', time: '15:30' });
    expect(when('monday at nine thirty')).toMatchObject({ date: '2026-12-07', time: '09:30' });
    expect(when('quarter to five on thursday')).toMatchObject({ date: '2026-12-10', time: '16:45' });
    expect(when('noon on tuesday')).toMatchObject({ date: '2026-12-08', time: '12:00' });
  });

  it('infers pm from the opening hours ("next tuesday at 3" is 15:00, not 03:00)', () => {
    expect(when('next tuesday at 3')).toMatchObject({ date: '2026-12-08', time: '15:00' });
    expect(when('monday at 9')).toMatchObject({ time: '09:00' });
    expect(when('monday at 5')).toMatchObject({ time: '17:00' });
  });

  it('takes 13:00 for "at 1" in the Wednesday lunch break', () => {
    expect(when('wednesday at 1')).toMatchObject({ date: '2026-12-09', time: '13:00' });
  });

  it('uses the usual hours when the day asked for is closed', () => {
    expect(when('tomorrow at 3')).toMatchObject({ date: '2026-12-06', time: '15:00' });
  });

  it('asks back when neither reading is within the hours', () => {
    expect(when('monday at 6')).toEqual({ date: '2026-12-07', zone: LONDON, midnight: 0, ambiguous: ['06:00', '18:00'] });
  });

  it('asks back when both readings are within the hours', () => {
    const long = [{ open: '07:00', close: '21:00' }];
    const cal = new SiteCalendar(siteSchema.parse({ timezone: LONDON, hours: { monday: long } }));
    expect(when('monday at 8', saturday, cal)).toMatchObject({ ambiguous: ['08:00', '20:00'] });
    expect(when('monday at 8 pm', saturday, cal)).toMatchObject({ time: '20:00' });
    expect(when('monday morning at 8', saturday, cal)).toMatchObject({ time: '08:00', partOfDay: 'morning' });
  });

  it('respects am/pm said by a speech recogniser', () => {
    expect(when('friday at three p m')).toMatchObject({ date: '2026-12-11', time: '15:00' });
    expect(when('at 3 pm')).toEqual({ time: '15:00' });
    expect(when('at 9 in the morning')).toMatchObject({ time: '09:00' });
    expect(when('monday at 17:30')).toMatchObject({ time: '17:30' });
  });

  it('resolves an undated time against today\'s hours', () => {
    // Saturday is open 10:00–13:00: 11 is 11:00, and "at 4" fits neither reading.
    expect(when('at 11')).toEqual({ time: '11:00' });
    expect(when('at 4')).toEqual({ ambiguous: ['04:00', '16:00'] });
  });
});

describe('resolveWhen: parts of the day', () => {
  it('reads "friday afternoon" and "tomorrow morning"', () => {
    expect(when('friday afternoon')).toEqual({ date: '2026-12-11', zone: LONDON, midnight: 0, partOfDay: 'afternoon' });
    expect(when('tomorrow morning')).toEqual({ date: '2026-12-06', zone: LONDON, midnight: 0, partOfDay: 'morning' });
    expect(when('tonight')).toMatchObject({ date: '2026-12-05', partOfDay: 'evening' });
    expect(when('friday afternoon at 3')).toMatchObject({ time: '15:00', partOfDay: 'afternoon' });
  });

  it('reports what it matched', () => {
    expect(resolveWhen('could i come tomorrow at ten thirty please', monday, calendar)?.matched).toBe('tomorrow 10:30');
    expect(resolveWhen('friday afternoon', monday, calendar)?.matched).toBe('friday afternoon');
  });
});

describe('resolveWhen across DST', () => {
  it('a date after the spring change starts at local midnight with the new offset', () => {
    const now = DateTime.fromISO('2027-03-27T11:00', { zone: LONDON });
    const request = resolveWhen('monday at nine', now, calendar)!;
    expect(request.date!.toISO()).toBe('2027-03-29T00:00:00.000+01:00');
    expect(request.minutes).toBe(540);
    const tomorrow = resolveWhen('tomorrow', now, calendar)!;
    expect(tomorrow.date!.toISO()).toBe('2027-03-28T00:00:00.000+00:00');
  });

  it('"tomorrow" late in the evening in New York stays in New York', () => {
    const zone = 'America/New_York';
    const nineToFive = [{ open: '09:00', close: '17:00' }];
    const cal = new SiteCalendar(siteSchema.parse({ timezone: zone, hours: { monday: nineToFive, sunday: nineToFive } }));
    // 23:30 on Saturday 31 October in New York is already Sunday in London and UTC.
    const now = DateTime.fromISO('2026-10-31T23:30', { zone });
    expect(resolveWhen('tomorrow at 3', now, cal)!.date!.toISO()).toBe('2026-11-01T00:00:00.000-04:00');
    expect(resolveWhen('tomorrow at 3', now, cal)!.minutes).toBe(900);
    expect(resolveWhen('monday', now, cal)!.date!.toISO()).toBe('2026-11-02T00:00:00.000-05:00');
  });
});
