import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { type SiteConfig, siteSchema } from '../../src/config/siteSchema.js';
import { SiteCalendar } from '../../src/dialog/time/SiteCalendar.js';
import type { BookingCheck, Slot } from '../../src/dialog/time/Slot.js';
import { type BusyPeriod, IMPLICIT_RESOURCE, SlotFinder } from '../../src/dialog/time/SlotFinder.js';
import { exampleSite } from '../helpers/exampleSite.js';

const LONDON = 'Europe/London';
const at = (iso: string) => DateTime.fromISO(iso, { zone: LONDON });
/** Sunday 6 December 2026, noon: the whole of Monday is bookable. */
const sunday = at('2026-12-06T12:00');

const weekdays = [{ open: '09:00', close: '17:30' }];
/** One room, so conflicts are plain; a 20-minute visit with 10 minutes' buffer. */
const oneRoom = siteSchema.parse({
  timezone: LONDON,
  hours: { monday: weekdays, tuesday: weekdays, wednesday: [{ open: '09:00', close: '12:30' }, { open: '13:30', close: '19:00' }], thursday: weekdays, friday: weekdays },
  services: [
    { id: 'visit', name: 'visit', durationMinutes: 20, bufferMinutes: 10 },
    { id: 'long', name: 'long visit', durationMinutes: 30, bufferMinutes: 15 },
    { id: 'quick', name: 'quick visit', durationMinutes: 15 },
  ],
  resources: [{ id: 'room', name: 'the room' }],
});

/** A finder over a fixed list of booked periods (the database's `busy`, without the database). */
function finder(site: SiteConfig, booked: BusyPeriod[] = []) {
  const busy = (ids: string[], fromUtc: string, toUtc: string) =>
    booked.filter((b) => ids.includes(b.resourceId) && Date.parse(b.startUtc) < Date.parse(toUtc) && Date.parse(b.blockedUntilUtc) > Date.parse(fromUtc));
  return new SlotFinder({ site, calendar: new SiteCalendar(site), busy });
}
const booking = (resourceId: string, start: string, end: string): BusyPeriod => ({ resourceId, startUtc: at(start).toUTC().toISO()!, blockedUntilUtc: at(end).toUTC().toISO()! });
const times = (slots: Slot[]) => slots.map((slot) => slot.start.toFormat("ccc HH:mm"));
const refusal = (check: BookingCheck) => (check.ok ? { ok: true, at: check.slot.start.toFormat('ccc HH:mm') } : { reason: check.reason, alternatives: times(check.alternatives) });

describe('SlotFinder: the grid and the hours', () => {
  it('offers slots on the step grid from opening, in the site zone', () => {
    const slots = finder(oneRoom).freeSlots('visit', at('2026-12-07T00:00'), sunday, 3);
    expect(times(slots)).toEqual(['Mon 09:00', 'Mon 09:15', 'Mon 09:30']);
    expect(slots[0]).toMatchObject({ serviceId: 'visit', resourceId: 'room' });
    expect(slots[0]!.end.toISO()).toBe('2026-12-07T09:20:00.000+00:00');
  });

  it('ends the appointment by closing time; the buffer may run past it', () => {
    const rooms = finder(oneRoom);
    const monday = rooms.freeSlots('long', at('2026-12-07T16:30'), sunday, 10, { sameDayOnly: true });
    expect(times(monday)).toEqual(['Mon 16:30', 'Mon 16:45', 'Mon 17:00']);
    expect(refusal(rooms.check('long', at('2026-12-07T17:00'), sunday))).toEqual({ ok: true, at: 'Mon 17:00' });
    expect(refusal(rooms.check('visit', at('2026-12-07T17:15'), sunday)).reason).toBe('outside-hours');
  });

  it('keeps an appointment out of the Wednesday lunch break', () => {
    const rooms = finder(oneRoom);
    expect(refusal(rooms.check('visit', at('2026-12-09T12:15'), sunday))).toMatchObject({ reason: 'outside-hours', alternatives: ['Wed 12:00', 'Wed 11:45', 'Wed 11:30'] });
    expect(refusal(rooms.check('visit', at('2026-12-09T12:00'), sunday))).toEqual({ ok: true, at: 'Wed 12:00' });
    expect(times(rooms.freeSlots('visit', at('2026-12-09T12:00'), sunday, 2))).toEqual(['Wed 12:00', 'Wed 13:30']);
  });

  it('refuses a closed day and offers the nearest times on the next open day', () => {
    expect(refusal(finder(oneRoom).check('visit', at('2026-12-12T10:00'), sunday))).toEqual({ reason: 'closed-day', alternatives: ['Mon 10:00', 'Mon 09:45', 'Mon 10:15'] });
  });

  it('refuses a time outside the hours of the only resource the service uses', () => {
    const site = exampleSite();
    const check = finder(site).check('checkup', at('2026-12-08T10:00'), sunday);
    expect(refusal(check)).toMatchObject({ reason: 'outside-hours' });
    // The nurse's room works Monday mornings, Wednesday afternoons and Fridays.
    expect(times(check.ok ? [] : check.alternatives)).toEqual(['Wed 13:30', 'Wed 13:45', 'Wed 14:00']);
  });

  it('filters by part of the day and by day', () => {
    const rooms = finder(oneRoom);
    expect(times(rooms.freeSlots('visit', at('2026-12-07T00:00'), sunday, 2, { partOfDay: 'afternoon' }))).toEqual(['Mon 12:00', 'Mon 12:15']);
    expect(times(rooms.freeSlots('visit', at('2026-12-09T00:00'), sunday, 2, { partOfDay: 'evening' }))).toEqual(['Wed 17:00', 'Wed 17:15']);
    expect(rooms.freeSlots('visit', at('2026-12-12T00:00'), sunday, 3, { sameDayOnly: true })).toEqual([]);
    expect(rooms.freeSlots('nothing', at('2026-12-07T00:00'), sunday)).toEqual([]);
  });
});

describe('SlotFinder: notice and horizon', () => {
  const mondayMorning = at('2026-12-07T09:30');

  it('refuses too short notice and offers the first times after it, nearest first', () => {
    expect(refusal(finder(oneRoom).check('visit', at('2026-12-07T10:00'), mondayMorning))).toEqual({ reason: 'too-soon', alternatives: ['Mon 10:30', 'Mon 10:45', 'Mon 11:00'] });
    expect(refusal(finder(oneRoom).check('visit', at('2026-12-07T10:30'), mondayMorning))).toEqual({ ok: true, at: 'Mon 10:30' });
  });

  it('refuses the past', () => {
    expect(refusal(finder(oneRoom).check('visit', at('2026-12-04T10:00'), mondayMorning))).toEqual({ reason: 'past', alternatives: ['Mon 10:30', 'Mon 10:45', 'Mon 11:00'] });
  });

  it('refuses beyond maxDaysAhead and offers the last bookable days', () => {
    // 60 days after Monday 7 December is Friday 5 February 2027.
    const rooms = finder(oneRoom);
    expect(refusal(rooms.check('visit', at('2027-02-05T10:00'), mondayMorning))).toEqual({ ok: true, at: 'Fri 10:00' });
    const far = refusal(rooms.check('visit', at('2027-02-08T10:00'), mondayMorning));
    expect(far).toEqual({ reason: 'too-far', alternatives: ['Fri 10:00', 'Fri 09:45', 'Fri 10:15'] });
  });

  it('refuses an unknown service without alternatives', () => {
    expect(finder(oneRoom).check('massage', at('2026-12-07T10:00'), sunday)).toEqual({ ok: false, reason: 'unknown-service', alternatives: [] });
  });
});

describe('SlotFinder: conflicts and buffers', () => {
  const tenOClock = [booking('room', '2026-12-07T10:00', '2026-12-07T10:30')];

  it('refuses a taken time with up to 3 alternatives, nearest first (ties: earlier first)', () => {
    expect(refusal(finder(oneRoom, tenOClock).check('visit', at('2026-12-07T10:00'), sunday))).toEqual({ reason: 'taken', alternatives: ['Mon 09:30', 'Mon 10:30', 'Mon 09:15'] });
  });

  it('keeps the buffer of a booking free, and mine clear of the next booking', () => {
    const rooms = finder(oneRoom, tenOClock);
    // 10:15 starts inside the 10:00 booking's buffer.
    expect(refusal(rooms.check('quick', at('2026-12-07T10:15'), sunday)).reason).toBe('taken');
    expect(refusal(rooms.check('quick', at('2026-12-07T10:30'), sunday))).toEqual({ ok: true, at: 'Mon 10:30' });
    // A 20-minute visit at 09:45 would end at 10:05; even a visit at 09:40 ending 10:00 has its buffer run into 10:00.
    expect(refusal(rooms.check('visit', at('2026-12-07T09:40'), sunday)).reason).toBe('taken');
    expect(refusal(rooms.check('quick', at('2026-12-07T09:45'), sunday))).toEqual({ ok: true, at: 'Mon 09:45' });
  });

  it('moves to the next day, nearest to the asked time, when the day is full', () => {
    const full = [booking('room', '2026-12-07T09:00', '2026-12-07T17:30')];
    expect(refusal(finder(oneRoom, full).check('visit', at('2026-12-07T11:00'), sunday))).toEqual({ reason: 'taken', alternatives: ['Tue 11:00', 'Tue 10:45', 'Tue 11:15'] });
  });

  it('takes another resource when the first is booked, and the implicit desk when there are none', () => {
    const site = exampleSite();
    // Any resource may serve it.
    site.services.find((service) => service.id === 'consultation')!.resources = [];
    const busy = [booking('dr-patel', '2026-12-07T10:00', '2026-12-07T10:30')];
    const check = finder(site, busy).check('consultation', at('2026-12-07T10:00'), sunday);
    expect(check.ok && check.slot.resourceId).toBe('nurse-room');
    const desk = siteSchema.parse({ hours: { monday: weekdays }, services: [{ id: 'chat', name: 'chat', durationMinutes: 15 }] });
    const slot = finder(desk).freeSlots('chat', at('2026-12-07T00:00'), sunday, 1)[0]!;
    expect(slot.resourceId).toBe(IMPLICIT_RESOURCE);
  });

  it('ignores the appointment being moved', () => {
    const check = finder(oneRoom, tenOClock).check('visit', at('2026-12-07T10:15'), sunday, { ignore: tenOClock[0]! });
    expect(refusal(check)).toEqual({ ok: true, at: 'Mon 10:15' });
  });
});

describe('SlotFinder across DST', () => {
  it('09:00 on the Monday after the spring change is 09:00 BST (08:00 UTC)', () => {
    const friday = at('2027-03-26T12:00');
    const [first] = finder(oneRoom).freeSlots('visit', at('2027-03-27T00:00'), friday, 1);
    expect(first!.start.toISO()).toBe('2027-03-29T09:00:00.000+01:00');
    expect(first!.start.toUTC().toISO()).toBe('2027-03-29T08:00:00.000Z');
  });

  it('09:00 on the Monday after the autumn change is 09:00 GMT (09:00 UTC), the Friday before 08:00 UTC', () => {
    const thursday = at('2026-10-22T12:00');
    const rooms = finder(oneRoom);
    const friday = rooms.check('visit', at('2026-10-23T09:00'), thursday);
    const monday = rooms.check('visit', at('2026-10-26T09:00'), thursday);
    expect(friday.ok && friday.slot.start.toUTC().toISO()).toBe('2026-10-23T08:00:00.000Z');
    expect(monday.ok && monday.slot.start.toUTC().toISO()).toBe('2026-10-26T09:00:00.000Z');
  });

  it('a site open on the change day itself keeps its wall-clock grid (America/New_York)', () => {
    const zone = 'America/New_York';
    const site = siteSchema.parse({ timezone: zone, hours: { sunday: [{ open: '09:00', close: '11:00' }] }, services: [{ id: 'visit', name: 'visit', durationMinutes: 60 }], booking: { slotStepMinutes: 60 } });
    const now = DateTime.fromISO('2027-03-13T12:00', { zone });
    const slots = finder(site).freeSlots('visit', now, now, 5);
    expect(slots.map((slot) => slot.start.toISO())).toEqual(['2027-03-14T09:00:00.000-04:00', '2027-03-14T10:00:00.000-04:00', '2027-03-21T09:00:00.000-04:00', '2027-03-21T10:00:00.000-04:00', '2027-03-28T09:00:00.000-04:00']);
  });
});
