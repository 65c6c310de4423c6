import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppointmentNotFoundError } from '../../src/storage/AppointmentNotFoundError.js';
import { isReference } from '../../src/storage/bookingReference.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import type { NewAppointment } from '../../src/storage/records.js';
import { SlotTakenError } from '../../src/storage/SlotTakenError.js';
import { StorageError } from '../../src/storage/StorageError.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { thrown } from '../helpers/thrown.js';

const tempDir = useTempDirs('kiosk-storage-');
const open: FrontDeskDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** The database's clock, moved by the tests that care when something happened. */
const clock = { now: new Date(0) };
beforeEach(() => {
  clock.now = new Date('2026-12-01T09:00:00.000Z');
});

function database(): { db: FrontDeskDatabase; file: string } {
  const file = join(tempDir(), 'frontdesk.sqlite');
  const db = FrontDeskDatabase.open(file, { now: () => clock.now });
  open.push(db);
  return { db, file };
}

/** A 20-minute appointment at `hhmm` UTC on 8 December 2026 with a 10-minute buffer. */
function slot(hhmm: string, overrides: Partial<NewAppointment> = {}): NewAppointment {
  const start = new Date(`2026-12-08T${hhmm}:00.000Z`);
  const end = new Date(start.getTime() + 20 * 60_000);
  const blocked = new Date(end.getTime() + 10 * 60_000);
  return { serviceId: 'consultation', resourceId: 'dr-patel', startUtc: start.toISOString(), endUtc: end.toISOString(), blockedUntilUtc: blocked.toISOString(), timezone: 'Europe/London', ...overrides };
}

/** A second connection that writes with plain SQL, as another program (or a bug) would. */
function rawConnection(file: string): Database.Database {
  const raw = new Database(file);
  raw.pragma('busy_timeout = 5000');
  return raw;
}

const RAW_INSERT = `INSERT INTO appointments (reference, service_id, resource_id, start_utc, end_utc, blocked_until_utc, timezone, status, created_at)
  VALUES (?, 'consultation', ?, ?, ?, ?, 'Europe/London', 'booked', '2026-12-01T09:00:00.000Z')`;

describe('AppointmentRepository', () => {
  it('books an appointment with a spoken reference and keeps what it was given', () => {
    const { db } = database();
    const booked = db.appointments.book(slot('10:00', { visitorName: 'Anna Smith', contact: '07700 900123', startUtc: '2026-12-08T10:00:00Z' }));
    expect(isReference(booked.reference)).toBe(true);
    expect(booked).toMatchObject({
      serviceId: 'consultation',
      resourceId: 'dr-patel',
      startUtc: '2026-12-08T10:00:00.000Z',
      endUtc: '2026-12-08T10:20:00.000Z',
      blockedUntilUtc: '2026-12-08T10:30:00.000Z',
      visitorName: 'Anna Smith',
      contact: '07700 900123',
      status: 'booked',
      createdAt: '2026-12-01T09:00:00.000Z',
      cancelledAt: null,
      rescheduledFrom: null,
    });
    expect(db.appointments.findByReference(booked.reference)).toEqual(booked);
    expect(db.appointments.history(booked.reference).map((event) => event.kind)).toEqual(['booked']);
  });

  it('stores times given with an offset as canonical UTC and refuses a time without a zone', () => {
    const { db } = database();
    const booked = db.appointments.book(slot('10:00', { startUtc: '2026-12-08T11:00:00+01:00' }));
    expect(booked.startUtc).toBe('2026-12-08T10:00:00.000Z');
    const error = thrown(StorageError, () => db.appointments.book(slot('12:00', { startUtc: '2026-12-08T12:00:00' })));
    expect(error.toUserLine()).toContain('is not an ISO-8601 time with a zone');
  });

  it('refuses an overlapping booking on the same resource with SlotTakenError and writes nothing', () => {
    const { db } = database();
    db.appointments.book(slot('10:00'));
    const error = thrown(SlotTakenError, () => db.appointments.book(slot('10:10', { visitorName: 'Late' })));
    expect(error).toMatchObject({ resourceId: 'dr-patel' });
    expect(db.appointments.list()).toHaveLength(1);
  });

  it('has the database refuse an overlap written with raw SQL, past the repository', () => {
    const { db, file } = database();
    db.appointments.book(slot('10:00'));
    const raw = rawConnection(file);
    try {
      expect(() => raw.prepare(RAW_INSERT).run('ZZZ', 'dr-patel', '2026-12-08T10:15:00.000Z', '2026-12-08T10:35:00.000Z', '2026-12-08T10:35:00.000Z')).toThrow('slot taken');
      // Moving a second booking onto the first with UPDATE is refused as well.
      raw.prepare(RAW_INSERT).run('YYY', 'dr-patel', '2026-12-08T11:00:00.000Z', '2026-12-08T11:20:00.000Z', '2026-12-08T11:20:00.000Z');
      expect(() => raw.prepare(`UPDATE appointments SET start_utc = '2026-12-08T10:05:00.000Z' WHERE reference = 'YYY'`).run()).toThrow('slot taken');
      // A row may still be updated in place (its own time does not conflict with itself).
      raw.prepare(`UPDATE appointments SET visitor_name = 'Bob' WHERE reference = 'YYY'`).run();
      // Plain constraints: the end after the start, the block at least to the end, a known status.
      expect(() => raw.prepare(RAW_INSERT).run('XXX', 'dr-patel', '2026-12-09T10:00:00.000Z', '2026-12-09T10:00:00.000Z', '2026-12-09T10:00:00.000Z')).toThrow(/CHECK constraint/);
      expect(() => raw.prepare(RAW_INSERT).run('XXX', 'dr-patel', '2026-12-09T10:00:00.000Z', '2026-12-09T10:20:00.000Z', '2026-12-09T10:10:00.000Z')).toThrow(/CHECK constraint/);
      expect(() => raw.prepare(`UPDATE appointments SET status = 'pending' WHERE reference = 'YYY'`).run()).toThrow(/CHECK constraint/);
    } finally {
      raw.close();
    }
    expect(db.appointments.list().map((a) => a.startUtc)).toEqual(['2026-12-08T10:00:00.000Z', '2026-12-08T11:00:00.000Z']);
  });

  it('keeps the buffer free: the next booking may start when the buffer ends, not inside it', () => {
    const { db } = database();
    db.appointments.book(slot('10:00')); // 10:00–10:20, blocked to 10:30
    expect(() => db.appointments.book(slot('10:25'))).toThrow(SlotTakenError);
    expect(db.appointments.book(slot('10:30')).startUtc).toBe('2026-12-08T10:30:00.000Z');
    // A new booking's own buffer must not run into the next appointment either: 09:35 ends 09:55, blocked to 10:05.
    expect(() => db.appointments.book(slot('09:35'))).toThrow(SlotTakenError);
    expect(db.appointments.book(slot('09:30')).startUtc).toBe('2026-12-08T09:30:00.000Z');
  });

  it('lets different resources be booked at the same time', () => {
    const { db } = database();
    db.appointments.book(slot('10:00'));
    const other = db.appointments.book(slot('10:00', { resourceId: 'nurse-room', serviceId: 'checkup' }));
    expect(other.resourceId).toBe('nurse-room');
    expect(db.appointments.list()).toHaveLength(2);
  });

  it('cancels: the row and its history stay, and the slot is free again', () => {
    const { db } = database();
    const booked = db.appointments.book(slot('10:00'));
    clock.now = new Date('2026-12-02T12:00:00.000Z');
    const cancelled = db.appointments.cancel(booked.reference.toLowerCase());
    expect(cancelled).toMatchObject({ id: booked.id, status: 'cancelled', cancelledAt: '2026-12-02T12:00:00.000Z' });
    expect(db.appointments.findByReference(booked.reference)?.status).toBe('cancelled');
    expect(db.appointments.history(booked.reference).map((event) => [event.kind, event.at])).toEqual([
      ['booked', '2026-12-01T09:00:00.000Z'],
      ['cancelled', '2026-12-02T12:00:00.000Z'],
    ]);
    expect(db.appointments.list()).toEqual([]);
    expect(db.appointments.list({ includeCancelled: true })).toEqual([cancelled]);
    const again = db.appointments.book(slot('10:00'));
    expect(again.reference).not.toBe(booked.reference);
    thrown(AppointmentNotFoundError, () => db.appointments.cancel(booked.reference));
    thrown(AppointmentNotFoundError, () => db.appointments.cancel('QQQ'));
  });

  it('never books a cancelled row again (history is final), even with raw SQL', () => {
    const { db, file } = database();
    const booked = db.appointments.book(slot('10:00'));
    db.appointments.cancel(booked.reference);
    const raw = rawConnection(file);
    try {
      expect(() => raw.prepare(`UPDATE appointments SET status = 'booked', cancelled_at = NULL WHERE id = ?`).run(booked.id)).toThrow('cancelled appointments are history');
    } finally {
      raw.close();
    }
  });

  it('reschedules in one step: old cancelled with a link to the new, the new carrying name and contact', () => {
    const { db } = database();
    const booked = db.appointments.book(slot('10:00', { visitorName: 'Anna Smith', contact: 'anna@example.com' }));
    // Ten minutes later on the same resource overlaps the old time: allowed, the old row stops blocking.
    const moved = db.appointments.reschedule(booked.reference, slot('10:10'));
    expect(moved).toMatchObject({ status: 'booked', startUtc: '2026-12-08T10:10:00.000Z', rescheduledFrom: booked.id, visitorName: 'Anna Smith', contact: 'anna@example.com' });
    expect(moved.reference).not.toBe(booked.reference);
    expect(db.appointments.findByReference(booked.reference)).toMatchObject({ status: 'cancelled' });
    expect(db.appointments.history(booked.reference).map((event) => [event.kind, event.replacedBy])).toEqual([
      ['booked', null],
      ['rescheduled', moved.id],
    ]);
    expect(db.appointments.list().map((a) => a.reference)).toEqual([moved.reference]);
  });

  it('leaves the old booking untouched when the new time is taken or the reference is unknown', () => {
    const { db } = database();
    const mine = db.appointments.book(slot('10:00'));
    db.appointments.book(slot('11:00'));
    thrown(SlotTakenError, () => db.appointments.reschedule(mine.reference, slot('11:05')));
    expect(db.appointments.findByReference(mine.reference)).toEqual(mine);
    expect(db.appointments.history(mine.reference)).toHaveLength(1);
    expect(db.appointments.list()).toHaveLength(2);
    thrown(AppointmentNotFoundError, () => db.appointments.reschedule('QQQ', slot('14:00')));
    expect(db.appointments.list()).toHaveLength(2);
  });

  it('finds by reference in any case and spacing, and by name and start (booked only)', () => {
    const { db } = database();
    const booked = db.appointments.book(slot('10:00', { visitorName: 'Zoë  Ó Briain' }));
    const spoken = booked.reference.toLowerCase().split('').join(' ');
    expect(db.appointments.findByReference(spoken)?.id).toBe(booked.id);
    expect(db.appointments.findByReference('Q')).toBeUndefined();
    expect(db.appointments.findByNameAndStart('ZOË ó briain', '2026-12-08T10:00:00Z')?.id).toBe(booked.id);
    expect(db.appointments.findByNameAndStart('Zoë Ó Briain', '2026-12-08T10:30:00Z')).toBeUndefined();
    expect(db.appointments.findByNameAndStart('Anna', '2026-12-08T10:00:00Z')).toBeUndefined();
    db.appointments.cancel(booked.reference);
    expect(db.appointments.findByNameAndStart('Zoë Ó Briain', '2026-12-08T10:00:00Z')).toBeUndefined();
  });

  it('reports what blocks the asked resources in a window, buffers included', () => {
    const { db } = database();
    db.appointments.book(slot('10:00'));
    db.appointments.book(slot('12:00'));
    db.appointments.book(slot('10:00', { resourceId: 'nurse-room' }));
    const cancelled = db.appointments.book(slot('14:00'));
    db.appointments.cancel(cancelled.reference);
    // 10:25 is inside the first one's buffer, so that booking still blocks the window.
    expect(db.appointments.busy(['dr-patel'], '2026-12-08T10:25:00Z', '2026-12-08T15:00:00Z')).toEqual([
      { resourceId: 'dr-patel', startUtc: '2026-12-08T10:00:00.000Z', blockedUntilUtc: '2026-12-08T10:30:00.000Z' },
      { resourceId: 'dr-patel', startUtc: '2026-12-08T12:00:00.000Z', blockedUntilUtc: '2026-12-08T12:30:00.000Z' },
    ]);
    expect(db.appointments.busy(['dr-patel'], '2026-12-08T10:30:00Z', '2026-12-08T12:00:00Z')).toEqual([]);
    expect(db.appointments.busy(['dr-patel', 'nurse-room'], '2026-12-08T10:00:00Z', '2026-12-08T10:01:00Z').map((b) => b.resourceId)).toEqual(['dr-patel', 'nurse-room']);
    expect(db.appointments.busy([], '2026-12-08T00:00:00Z', '2026-12-09T00:00:00Z')).toEqual([]);
  });

  it('lists by start time within [from, to)', () => {
    const { db } = database();
    for (const time of ['16:00', '09:00', '12:00']) db.appointments.book(slot(time));
    const starts = (options: Parameters<typeof db.appointments.list>[0]) => db.appointments.list(options).map((a) => a.startUtc.slice(11, 16));
    expect(starts({})).toEqual(['09:00', '12:00', '16:00']);
    expect(starts({ fromUtc: '2026-12-08T12:00:00Z' })).toEqual(['12:00', '16:00']);
    expect(starts({ toUtc: '2026-12-08T12:00:00Z' })).toEqual(['09:00']);
    expect(starts({ fromUtc: '2026-12-08T09:30:00Z', toUtc: '2026-12-08T16:00:00Z' })).toEqual(['12:00']);
  });

  it('gives every appointment its own reference, cancelled ones included, and the database enforces it', () => {
    const { db, file } = database();
    const references = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const start = new Date(Date.UTC(2027, 0, 1) + i * 30 * 60_000);
      const booked = db.appointments.book({
        serviceId: 'consultation',
        resourceId: 'dr-patel',
        startUtc: start.toISOString(),
        endUtc: new Date(start.getTime() + 20 * 60_000).toISOString(),
        blockedUntilUtc: new Date(start.getTime() + 30 * 60_000).toISOString(),
        timezone: 'Europe/London',
      });
      if (i % 3 === 0) db.appointments.cancel(booked.reference);
      references.add(booked.reference);
    }
    expect(references.size).toBe(600);
    const taken = [...references][0]!;
    const raw = rawConnection(file);
    try {
      expect(() => raw.prepare(RAW_INSERT).run(taken.toLowerCase(), 'nurse-room', '2028-01-01T10:00:00.000Z', '2028-01-01T10:20:00.000Z', '2028-01-01T10:20:00.000Z')).toThrow(/UNIQUE constraint/);
    } finally {
      raw.close();
    }
  });
});
