import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/siteSchema.js';
import { SiteCalendar } from '../../src/dialog/time/SiteCalendar.js';
import { ordinal, speakDay, speakSlot, speakTime } from '../../src/dialog/time/speak.js';
import { exampleSite } from '../helpers/exampleSite.js';

const LONDON = 'Europe/London';
const at = (iso: string, zone = LONDON) => DateTime.fromISO(iso, { zone });
const calendar = new SiteCalendar(exampleSite());
const spans = (ranges: { open: DateTime; close: DateTime }[]) => ranges.map((range) => `${range.open.toISO()} ${range.close.toISO()}`);

describe('SiteCalendar hours', () => {
  it('gives the weekday hours in the site zone, with the Wednesday lunch break', () => {
    expect(spans(calendar.hoursOn(at('2026-12-09T15:00')))).toEqual([
      '2026-12-09T09:00:00.000+00:00 2026-12-09T12:30:00.000+00:00',
      '2026-12-09T13:30:00.000+00:00 2026-12-09T19:00:00.000+00:00',
    ]);
    expect(calendar.hoursOn(at('2026-12-06T10:00'))).toEqual([]);
  });

  it('reads the day in the site zone whatever zone the instant carries', () => {
    // 01:30 on Tuesday in London is still Monday evening in New York.
    const instant = at('2026-12-08T01:30').setZone('America/New_York');
    expect(calendar.hoursOn(instant)[0]!.open.toISO()).toBe('2026-12-08T09:00:00.000+00:00');
  });

  it('applies exceptions: a short day and closed holidays, with their names', () => {
    expect(spans(calendar.hoursOn(at('2026-12-24T08:00')))).toEqual(['2026-12-24T09:00:00.000+00:00 2026-12-24T12:00:00.000+00:00']);
    expect(calendar.hoursOn(at('2026-12-25T10:00'))).toEqual([]);
    expect(calendar.exceptionOn(at('2026-12-25T10:00'))).toEqual({ name: 'Christmas Day' });
    expect(calendar.exceptionOn(at('2026-12-23T10:00'))).toBeUndefined();
  });

  it('intersects resource hours with the site hours, holidays included', () => {
    expect(spans(calendar.resourceHoursOn('nurse-room', at('2026-12-07T08:00')))).toEqual(['2026-12-07T09:00:00.000+00:00 2026-12-07T13:00:00.000+00:00']);
    expect(calendar.resourceHoursOn('nurse-room', at('2026-12-08T08:00'))).toEqual([]);
    expect(spans(calendar.resourceHoursOn('dr-patel', at('2026-12-24T08:00')))).toEqual(['2026-12-24T09:00:00.000+00:00 2026-12-24T12:00:00.000+00:00']);
    const friday = siteSchema.parse({
      timezone: LONDON,
      hours: { friday: [{ open: '09:00', close: '12:00' }, { open: '13:00', close: '16:00' }] },
      resources: [{ id: 'room', name: 'the room', hours: { friday: [{ open: '11:00', close: '14:00' }] } }],
    });
    expect(spans(new SiteCalendar(friday).resourceHoursOn('room', at('2026-12-11T08:00')))).toEqual([
      '2026-12-11T11:00:00.000+00:00 2026-12-11T12:00:00.000+00:00',
      '2026-12-11T13:00:00.000+00:00 2026-12-11T14:00:00.000+00:00',
    ]);
  });

  it('knows when it is open: opening inclusive, closing exclusive, lunch closed', () => {
    expect(calendar.isOpenAt(at('2026-12-07T09:00'))).toBe(true);
    expect(calendar.isOpenAt(at('2026-12-07T17:29'))).toBe(true);
    expect(calendar.isOpenAt(at('2026-12-07T17:30'))).toBe(false);
    expect(calendar.isOpenAt(at('2026-12-09T13:00'))).toBe(false);
    expect(calendar.isOpenAt(at('2026-12-06T11:00'))).toBe(false);
  });

  it('finds the next opening across a weekend and the Christmas holidays', () => {
    expect(calendar.nextOpening(at('2026-12-05T14:00'))!.toISO()).toBe('2026-12-07T09:00:00.000+00:00');
    expect(calendar.nextOpening(at('2026-12-09T12:45'))!.toISO()).toBe('2026-12-09T13:30:00.000+00:00');
    expect(calendar.nextOpening(at('2026-12-24T13:00'))!.toISO()).toBe('2026-12-28T09:00:00.000+00:00');
    expect(new SiteCalendar(siteSchema.parse({})).nextOpening(at('2026-12-24T13:00'))).toBeUndefined();
  });
});

describe('SiteCalendar sentences', () => {
  it('says when it closes today while open', () => {
    expect(calendar.describeToday(at('2026-12-07T11:00'))).toBe("We're open today until 17:30.");
  });

  it('says when it opens and closes before opening', () => {
    expect(calendar.describeToday(at('2026-12-07T07:45'))).toBe('We open today at 09:00 and close at 17:30.');
  });

  it('mentions the lunch break on Wednesday, before and during it', () => {
    expect(calendar.describeToday(at('2026-12-09T10:00'))).toBe("We're open today until 19:00, with a break from 12:30 to 13:30.");
    expect(calendar.describeToday(at('2026-12-09T12:50'))).toBe("We're closed for a break until 13:30, then open until 19:00.");
    expect(calendar.describeToday(at('2026-12-09T14:00'))).toBe("We're open today until 19:00.");
  });

  it('names the holiday and the next opening on Christmas Day', () => {
    expect(calendar.describeToday(at('2026-12-25T10:00'))).toBe("We're closed today for Christmas Day. We open again on Monday at 09:00.");
  });

  it('gives the special hours of a short day', () => {
    expect(calendar.describeToday(at('2026-12-24T10:00'))).toBe("Today we have special hours for Christmas Eve. We're open today until 12:00.");
  });

  it('after closing and on a closed weekday, says when it opens again', () => {
    expect(calendar.describeToday(at('2026-12-07T18:00'))).toBe("We're closed now. We open again tomorrow at 09:00.");
    expect(calendar.describeToday(at('2026-12-06T12:00'))).toBe("We're closed today. We open again tomorrow at 09:00.");
    expect(calendar.describeToday(at('2026-12-05T14:00'))).toBe("We're closed now. We open again on Monday at 09:00.");
  });

  it('describes the week with equal days grouped and closed days last', () => {
    expect(calendar.describeWeek()).toBe(
      'Monday, Tuesday and Thursday 09:00 to 17:30; Wednesday 09:00 to 12:30 and 13:30 to 19:00; Friday 09:00 to 16:00; Saturday 10:00 to 13:00; closed on Sunday.',
    );
  });

  it('says three or more days in a row as a span', () => {
    const nineToFive = [{ open: '09:00', close: '17:00' }];
    const site = siteSchema.parse({ hours: { monday: nineToFive, tuesday: nineToFive, wednesday: nineToFive, thursday: nineToFive, friday: nineToFive } });
    expect(new SiteCalendar(site).describeWeek()).toBe('Monday to Friday 09:00 to 17:00; closed on Saturday and Sunday.');
    expect(new SiteCalendar(siteSchema.parse({})).describeWeek()).toBe("We're closed every day.");
  });
});

describe('SiteCalendar across DST (opening times are wall clock)', () => {
  const everyDay = [{ open: '09:00', close: '17:00' }];
  const sevenDays = { monday: everyDay, tuesday: everyDay, wednesday: everyDay, thursday: everyDay, friday: everyDay, saturday: everyDay, sunday: everyDay };

  it('Europe/London spring forward (2027-03-28): 09:00 BST on the day, 8 hours before 17:00', () => {
    const london = new SiteCalendar(siteSchema.parse({ timezone: LONDON, hours: sevenDays }));
    const [before] = london.hoursOn(at('2027-03-27T12:00'));
    const [day] = london.hoursOn(at('2027-03-28T12:00'));
    expect(before!.open.toUTC().toISO()).toBe('2027-03-27T09:00:00.000Z');
    expect(day!.open.toUTC().toISO()).toBe('2027-03-28T08:00:00.000Z');
    expect(day!.close.diff(day!.open, 'hours').hours).toBe(8);
    expect(london.isOpenAt(DateTime.fromISO('2027-03-28T08:30:00Z'))).toBe(true);
  });

  it('Europe/London fall back (2026-10-25): 09:00 GMT on the day', () => {
    const london = new SiteCalendar(siteSchema.parse({ timezone: LONDON, hours: sevenDays }));
    expect(london.hoursOn(at('2026-10-24T12:00'))[0]!.open.toUTC().toISO()).toBe('2026-10-24T08:00:00.000Z');
    expect(london.hoursOn(at('2026-10-25T12:00'))[0]!.open.toUTC().toISO()).toBe('2026-10-25T09:00:00.000Z');
    expect(london.nextOpening(at('2026-10-24T18:00'))!.toUTC().toISO()).toBe('2026-10-25T09:00:00.000Z');
  });

  it('America/New_York (2027-03-14 and 2026-11-01)', () => {
    const zone = 'America/New_York';
    const newYork = new SiteCalendar(siteSchema.parse({ timezone: zone, hours: sevenDays }));
    expect(newYork.hoursOn(at('2027-03-13T12:00', zone))[0]!.open.toUTC().toISO()).toBe('2027-03-13T14:00:00.000Z');
    expect(newYork.hoursOn(at('2027-03-14T12:00', zone))[0]!.open.toUTC().toISO()).toBe('2027-03-14T13:00:00.000Z');
    expect(newYork.hoursOn(at('2026-11-01T12:00', zone))[0]!.open.toUTC().toISO()).toBe('2026-11-01T14:00:00.000Z');
    expect(newYork.describeToday(at('2027-03-14T08:00', zone))).toBe('We open today at 09:00 and close at 17:00.');
  });
});

describe('speaking times', () => {
  const now = at('2026-12-07T11:00');

  it('says today, tomorrow, or the weekday with an ordinal', () => {
    expect(speakSlot(at('2026-12-07T15:00'), now)).toBe('today at 15:00');
    expect(speakSlot(at('2026-12-08T10:00'), now)).toBe('tomorrow at 10:00');
    expect(speakSlot(at('2026-12-09T10:00'), now)).toBe('Wednesday the 9th at 10:00');
    expect(speakDay(at('2027-01-04T10:00'), now)).toBe('Monday the 4th of January');
    expect(speakTime(at('2026-12-07T17:30'))).toBe('17:30');
    expect(speakTime(at('2026-12-07T09:05'))).toBe('09:05');
  });

  it('uses English ordinals', () => {
    const expected = { 1: '1st', 2: '2nd', 3: '3rd', 4: '4th', 11: '11th', 12: '12th', 13: '13th', 21: '21st', 22: '22nd', 23: '23rd', 31: '31st' };
    for (const [n, word] of Object.entries(expected)) expect(ordinal(Number(n))).toBe(word);
  });
});
