import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/siteSchema.js';
import { FrontDesk } from '../../src/dialog/FrontDesk.js';
import { resolveWhen } from '../../src/dialog/time/resolveWhen.js';
import { speakSlot } from '../../src/dialog/time/speak.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const LONDON = 'Europe/London';
const at = (iso: string) => DateTime.fromISO(iso, { zone: LONDON });
const opened: FrontDeskDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});
const tempDir = useTempDirs('frontdesk-');

function open(path = ':memory:') {
  const db = FrontDeskDatabase.open(path);
  opened.push(db);
  return db;
}

/** The example clinic at a fixed moment (a Sunday noon unless said), on a fresh database. */
function desk(nowIso = '2026-12-06T12:00', db = open(), site = exampleSite()) {
  let now = at(nowIso);
  const frontDesk = new FrontDesk({ site, db, now: () => now });
  return { frontDesk, db, setNow: (iso: string) => (now = at(iso)) };
}
const times = (slots: { start: DateTime }[]) => slots.map((slot) => slot.start.toFormat('ccc HH:mm'));

describe('FrontDesk bookings', () => {
  it('books a checked slot and stores UTC times with the buffer and the zone', () => {
    const { frontDesk } = desk();
    const result = frontDesk.book('consultation', at('2026-12-07T10:00'), { name: 'Anna Smith', contact: '07700 900123' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.appointment).toMatchObject({
      serviceId: 'consultation',
      resourceId: 'dr-patel',
      startUtc: '2026-12-07T10:00:00.000Z',
      endUtc: '2026-12-07T10:20:00.000Z',
      blockedUntilUtc: '2026-12-07T10:30:00.000Z',
      timezone: LONDON,
      visitorName: 'Anna Smith',
      contact: '07700 900123',
      status: 'booked',
    });
    expect(result.appointment.reference).toMatch(/^[A-Z0-9]{3}$/);
    expect(frontDesk.findBooking(result.appointment.reference.toLowerCase())?.id).toBe(result.appointment.id);
    expect(frontDesk.findBookingByNameAndStart('anna smith', at('2026-12-07T10:00'))?.id).toBe(result.appointment.id);
  });

  it('refuses a taken slot with the nearest alternatives and keeps one booking', () => {
    const { frontDesk, db } = desk();
    expect(frontDesk.book('checkup', at('2026-12-07T10:00'), {}).ok).toBe(true);
    const second = frontDesk.book('checkup', at('2026-12-07T10:00'), {});
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.reason).toBe('taken');
    expect(times(second.alternatives)).toEqual(['Mon 09:30', 'Mon 10:30', 'Mon 09:15']);
    expect(db.appointments.list()).toHaveLength(1);
  });

  it('refuses out-of-hours, too-soon, too-far and closed days without writing', () => {
    const { frontDesk, db } = desk('2026-12-07T09:30');
    expect(frontDesk.book('consultation', at('2026-12-07T18:00'), {})).toMatchObject({ ok: false, reason: 'outside-hours' });
    const soon = frontDesk.book('consultation', at('2026-12-07T10:00'), {});
    expect(soon).toMatchObject({ ok: false, reason: 'too-soon' });
    expect(soon.ok ? [] : times(soon.alternatives)).toEqual(['Mon 10:30', 'Mon 10:45', 'Mon 11:00']);
    expect(frontDesk.book('consultation', at('2027-03-01T10:00'), {})).toMatchObject({ ok: false, reason: 'too-far' });
    expect(frontDesk.book('consultation', at('2026-12-25T10:00'), {})).toMatchObject({ ok: false, reason: 'closed-day' });
    expect(frontDesk.book('massage', at('2026-12-08T10:00'), {})).toEqual({ ok: false, reason: 'unknown-service', alternatives: [] });
    expect(db.appointments.list()).toEqual([]);
  });

  it('"tomorrow at ten" said on a Saturday is the closed Sunday: refused with Monday alternatives', () => {
    const { frontDesk } = desk('2026-12-05T11:00');
    const when = resolveWhen('tomorrow at ten', frontDesk.now(), frontDesk.calendar)!;
    const start = when.date!.set({ hour: Math.floor(when.minutes! / 60), minute: when.minutes! % 60 });
    const check = frontDesk.check('consultation', start);
    expect(check).toMatchObject({ ok: false, reason: 'closed-day' });
    expect(check.ok ? [] : check.alternatives.map((slot) => speakSlot(slot.start, frontDesk.now()))).toEqual([
      'Monday the 7th at 10:00',
      'Monday the 7th at 09:45',
      'Monday the 7th at 10:15',
    ]);
  });

  it('falls back to another resource when the database finds the slot taken meanwhile', () => {
    const site = exampleSite();
    // Any resource may serve it.
    site.services.find((service) => service.id === 'consultation')!.resources = [];
    const { frontDesk, db } = desk(undefined, undefined, site);
    // Another writer books Dr Patel between this desk's check and its write.
    const realBusy = db.appointments.busy.bind(db.appointments);
    let raced = false;
    db.appointments.busy = (ids, from, to) => {
      if (!raced) {
        raced = true;
        db.appointments.book({ serviceId: 'consultation', resourceId: 'dr-patel', startUtc: '2026-12-07T10:00:00.000Z', endUtc: '2026-12-07T10:20:00.000Z', blockedUntilUtc: '2026-12-07T10:30:00.000Z', timezone: LONDON });
        return [];
      }
      return realBusy(ids, from, to);
    };
    const result = frontDesk.book('consultation', at('2026-12-07T10:00'), {});
    expect(result.ok && result.appointment.resourceId).toBe('nurse-room');
  });

  it("refuses 'taken' when the database finds the only resource taken meanwhile", () => {
    const path = join(tempDir(), 'desk.sqlite');
    const { frontDesk, db } = desk('2026-12-06T12:00', open(path));
    const other = desk('2026-12-06T12:00', open(path)).frontDesk;
    const realBusy = db.appointments.busy.bind(db.appointments);
    let raced = false;
    db.appointments.busy = (ids, from, to) => {
      if (!raced) {
        raced = true;
        expect(other.book('checkup', at('2026-12-07T10:00'), {}).ok).toBe(true);
        return [];
      }
      return realBusy(ids, from, to);
    };
    const result = frontDesk.book('checkup', at('2026-12-07T10:00'), {});
    expect(result).toMatchObject({ ok: false, reason: 'taken' });
    expect(result.ok ? [] : times(result.alternatives)).toEqual(['Mon 09:30', 'Mon 10:30', 'Mon 09:15']);
    expect(realBusy(['nurse-room'], '2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z')).toHaveLength(1);
  });

  it('books 09:00 wall clock on the Mondays after both DST changes', () => {
    const spring = desk('2027-03-26T12:00').frontDesk.book('consultation', at('2027-03-29T09:00'), {});
    const autumn = desk('2026-10-23T12:00').frontDesk.book('consultation', at('2026-10-26T09:00'), {});
    const before = desk('2026-10-22T12:00').frontDesk.book('consultation', at('2026-10-23T09:00'), {});
    expect(spring.ok && spring.appointment.startUtc).toBe('2027-03-29T08:00:00.000Z');
    expect(autumn.ok && autumn.appointment.startUtc).toBe('2026-10-26T09:00:00.000Z');
    expect(before.ok && before.appointment.startUtc).toBe('2026-10-23T08:00:00.000Z');
  });

  it('lists free slots for a part of the day', () => {
    const { frontDesk } = desk();
    expect(times(frontDesk.freeSlots('consultation', at('2026-12-09T00:00'), 2, { partOfDay: 'afternoon' }))).toEqual(['Wed 12:00', 'Wed 13:30']);
  });
});

describe('FrontDesk reschedule and cancel', () => {
  it('moves a booking, even onto part of its own time, and keeps the old row as history', () => {
    const { frontDesk, db } = desk();
    const booked = frontDesk.book('checkup', at('2026-12-07T10:00'), { name: 'Anna' });
    if (!booked.ok) throw new Error('booking failed');
    const moved = frontDesk.reschedule(booked.appointment.reference, at('2026-12-07T10:15'));
    expect(moved.ok).toBe(true);
    if (!moved.ok) return;
    expect(moved.previous.id).toBe(booked.appointment.id);
    expect(moved.appointment).toMatchObject({ startUtc: '2026-12-07T10:15:00.000Z', visitorName: 'Anna', rescheduledFrom: booked.appointment.id });
    expect(frontDesk.findBooking(booked.appointment.reference)).toBeUndefined();
    expect(db.appointments.list({ includeCancelled: true }).map((a) => a.status)).toEqual(['cancelled', 'booked']);
  });

  it('checks a move without counting the booking being moved, and only that booking', () => {
    const { frontDesk, db } = desk();
    const booked = frontDesk.book('checkup', at('2026-12-07T10:00'), { name: 'Anna' });
    const other = frontDesk.book('checkup', at('2026-12-07T11:00'), {});
    if (!booked.ok || !other.ok) throw new Error('booking failed');
    const { reference } = booked.appointment;
    expect(frontDesk.check('checkup', at('2026-12-07T10:15'))).toMatchObject({ ok: false, reason: 'taken' });
    const moving = frontDesk.check('checkup', at('2026-12-07T10:15'), { moving: reference });
    expect(moving).toMatchObject({ ok: true, slot: { resourceId: booked.appointment.resourceId } });
    expect(moving.ok && moving.slot.start.toISO()).toBe(at('2026-12-07T10:15').toISO());
    // Another visitor's booking still counts, and a check writes nothing.
    expect(frontDesk.check('checkup', at('2026-12-07T11:00'), { moving: reference })).toMatchObject({ ok: false, reason: 'taken' });
    const unknown = reference === 'ZZZ' ? 'YYY' : 'ZZZ';
    expect(frontDesk.check('checkup', at('2026-12-07T10:15'), { moving: unknown })).toMatchObject({ ok: false, reason: 'taken' });
    expect(db.appointments.list({ includeCancelled: true })).toHaveLength(2);
  });

  it('refuses a move onto a taken time and leaves the booking where it was', () => {
    const { frontDesk } = desk();
    const first = frontDesk.book('checkup', at('2026-12-07T10:00'), {});
    const second = frontDesk.book('checkup', at('2026-12-07T11:00'), {});
    if (!first.ok || !second.ok) throw new Error('booking failed');
    const moved = frontDesk.reschedule(second.appointment.reference, at('2026-12-07T10:00'));
    expect(moved).toMatchObject({ ok: false, reason: 'taken' });
    expect(moved.ok ? [] : times(moved.alternatives)).toEqual(['Mon 09:30', 'Mon 10:30', 'Mon 09:15']);
    expect(frontDesk.findBooking(second.appointment.reference)?.startUtc).toBe('2026-12-07T11:00:00.000Z');
    expect(frontDesk.reschedule('ZZZ', at('2026-12-07T10:00'))).toEqual({ ok: false, reason: 'not-found', alternatives: [] });
  });

  it('cancels by reference once', () => {
    const { frontDesk } = desk();
    const booked = frontDesk.book('consultation', at('2026-12-07T10:00'), {});
    if (!booked.ok) throw new Error('booking failed');
    expect(frontDesk.cancel(booked.appointment.reference)).toMatchObject({ ok: true, appointment: { status: 'cancelled' } });
    expect(frontDesk.cancel(booked.appointment.reference)).toEqual({ ok: false, reason: 'not-found' });
    expect(frontDesk.findBooking(booked.appointment.reference)).toBeUndefined();
    expect(frontDesk.book('consultation', at('2026-12-07T10:00'), {}).ok).toBe(true);
  });
});

describe('FrontDesk messages, leads, gaps and handoffs', () => {
  it('stores messages, leads and knowledge gaps', () => {
    const { frontDesk, db } = desk();
    expect(frontDesk.takeMessage({ visitorName: 'Anna', text: 'Please call me about my results' })).toMatchObject({ visitorName: 'Anna', contact: null, text: 'Please call me about my results' });
    frontDesk.saveLead({ answers: { need: 'health checks' }, score: 70, reasons: ['a large team'], outcome: 'handoff', visitorName: 'Bob', contact: 'bob@example.com' });
    frontDesk.recordGap('do you do flu jabs');
    frontDesk.recordGap('Do you do flu jabs?');
    expect(db.messages.list()).toHaveLength(1);
    expect(db.leads.list()[0]).toMatchObject({ score: 70, outcome: 'handoff' });
    expect(db.gaps.list()[0]).toMatchObject({ count: 2 });
  });

  it('raises a stored handoff saying whether staff are in (opening hours by default)', () => {
    const { frontDesk, db, setNow } = desk('2026-12-07T11:00');
    const event = frontDesk.requestHandoff({ reason: 'asked', urgency: 'normal', summary: 'Visitor asked for a person' });
    expect(event).toEqual({ type: 'handoff', id: db.handoffs.list()[0]!.id, reason: 'asked', urgency: 'normal', summary: 'Visitor asked for a person', staffAvailable: true });
    setNow('2026-12-07T20:00');
    expect(frontDesk.requestHandoff({ reason: 'upset', urgency: 'high', summary: 'Upset visitor' }).staffAvailable).toBe(false);
    setNow('2026-12-25T11:00');
    expect(frontDesk.staffAvailable()).toBe(false);
    expect(db.handoffs.list().map((h) => h.staffAvailable)).toEqual([true, false]);
  });

  it('uses site.handoff.staffedHours when set', () => {
    const early = [{ open: '08:00', close: '10:00' }];
    const site = siteSchema.parse({ ...exampleSite(), handoff: { contact: 'reception', staffedHours: { monday: early } } });
    const { frontDesk, setNow } = desk('2026-12-07T08:30', open(), site);
    expect(frontDesk.staffAvailable()).toBe(true);
    setNow('2026-12-07T11:00');
    expect(frontDesk.staffAvailable()).toBe(false);
  });

  it('gives now() in the site zone', () => {
    const db = open();
    const frontDesk = new FrontDesk({ site: exampleSite(), db, now: () => DateTime.fromISO('2026-12-07T11:00:00Z', { zone: 'America/Los_Angeles' }) });
    expect(frontDesk.now().zoneName).toBe(LONDON);
    expect(frontDesk.now().hour).toBe(11);
  });
});
