import { afterEach, describe, expect, it, vi } from 'vitest';
import { isReference, newReference, REFERENCE_ALPHABET, REFERENCE_LENGTH } from '../../src/storage/bookingReference.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { StorageError } from '../../src/storage/StorageError.js';
import { thrown } from '../helpers/thrown.js';

/** Lets a test decide the "random" references, to force collisions. */
const forced = vi.hoisted(() => ({ queue: [] as string[] }));
vi.mock('../../src/storage/bookingReference.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/storage/bookingReference.js')>();
  return { ...real, newReference: () => forced.queue.shift() ?? real.newReference() };
});

const appointment = (hour: number) => ({
  serviceId: 'consultation',
  resourceId: 'dr-patel',
  startUtc: `2026-12-08T${String(hour).padStart(2, '0')}:00:00Z`,
  endUtc: `2026-12-08T${String(hour).padStart(2, '0')}:20:00Z`,
  blockedUntilUtc: `2026-12-08T${String(hour).padStart(2, '0')}:30:00Z`,
  timezone: 'Europe/London',
});

afterEach(() => {
  forced.queue.length = 0;
});

describe('booking references', () => {
  it('use only unambiguous characters: no I, L, O, 0 or 1', () => {
    expect(REFERENCE_ALPHABET).not.toMatch(/[AILO01]/);
    expect(new Set(REFERENCE_ALPHABET).size).toBe(REFERENCE_ALPHABET.length);
    for (let i = 0; i < 500; i++) {
      const reference = newReference();
      expect(reference).toHaveLength(REFERENCE_LENGTH);
      expect([...reference].every((c) => REFERENCE_ALPHABET.includes(c))).toBe(true);
    }
  });

  it('recognise the shape in any case', () => {
    expect(isReference('K47')).toBe(true);
    expect(isReference('k47')).toBe(true);
    expect(isReference('K4')).toBe(false);
    expect(isReference('K470')).toBe(false);
    expect(isReference('KO7')).toBe(false);
    expect(isReference('K 4')).toBe(false);
  });

  it('are drawn again when the one drawn is taken, cancelled rows included', () => {
    const db = FrontDeskDatabase.open(':memory:');
    try {
      forced.queue.push('K47');
      const first = db.appointments.book(appointment(9));
      db.appointments.cancel(first.reference);
      forced.queue.push('K47', 'K47', 'M22');
      const second = db.appointments.book(appointment(10));
      expect([first.reference, second.reference]).toEqual(['K47', 'M22']);
      expect(forced.queue).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('fail with a StorageError, not a loop, when no free reference can be drawn', () => {
    const db = FrontDeskDatabase.open(':memory:');
    try {
      forced.queue.push('K47');
      db.appointments.book(appointment(9));
      forced.queue.push(...Array<string>(200).fill('K47'));
      const error = thrown(StorageError, () => db.appointments.book(appointment(11)));
      expect(error.message).toContain('no free booking reference');
      expect(db.appointments.list()).toHaveLength(1);
    } finally {
      db.close();
    }
  });
});
