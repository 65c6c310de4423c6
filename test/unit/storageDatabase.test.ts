import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { StorageError } from '../../src/storage/StorageError.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { thrown } from '../helpers/thrown.js';

const tempDir = useTempDirs('kiosk-storage-db-');

const APPOINTMENT = { serviceId: 'consultation', resourceId: 'dr-patel', startUtc: '2026-12-08T10:00:00Z', endUtc: '2026-12-08T10:20:00Z', blockedUntilUtc: '2026-12-08T10:30:00Z', timezone: 'Europe/London' };

/** Reads a setting on a fresh connection, as another program would see the file. */
function inspect<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('FrontDeskDatabase.open', () => {
  it('creates the directory and the file, in WAL mode with FULL sync, foreign keys on and the current schema', () => {
    const file = join(tempDir(), 'state', 'nested', 'frontdesk.sqlite');
    const db = FrontDeskDatabase.open(file);
    try {
      expect(existsSync(file)).toBe(true);
      const connection = (db as unknown as { db: Database.Database }).db;
      expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(connection.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(connection.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(connection.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.integrityCheck()).toEqual([]);
    } finally {
      db.close();
    }
    expect(inspect(file, (raw) => raw.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
    expect(inspect(file, (raw) => raw.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('is idempotent: opening again keeps the data and the schema version', () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    const first = FrontDeskDatabase.open(file);
    const booked = first.appointments.book(APPOINTMENT);
    first.gaps.record('do you do flu jabs');
    first.close();
    const second = FrontDeskDatabase.open(file);
    try {
      expect(second.appointments.findByReference(booked.reference)).toEqual(booked);
      expect(second.gaps.list()).toHaveLength(1);
      expect(second.integrityCheck()).toEqual([]);
    } finally {
      second.close();
    }
    const objects = inspect(file, (raw) => raw.prepare(`SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name`).all());
    expect(objects).toContainEqual({ type: 'trigger', name: 'appointments_no_overlap_insert' });
    expect(objects).toContainEqual({ type: 'trigger', name: 'appointments_no_overlap_update' });
    expect(objects.filter((o) => (o as { type: string }).type === 'table').map((o) => (o as { name: string }).name)).toEqual([
      'appointment_events',
      'appointments',
      'handoffs',
      'knowledge_gaps',
      'leads',
      'messages',
    ]);
    expect(inspect(file, (raw) => raw.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
  });

  it('works in memory', () => {
    const db = FrontDeskDatabase.open(':memory:');
    try {
      expect(db.appointments.book(APPOINTMENT).status).toBe('booked');
    } finally {
      db.close();
    }
  });

  it('says clearly that a read-only open found no database, and creates nothing', () => {
    const file = join(tempDir(), 'missing', 'frontdesk.sqlite');
    const error = thrown(StorageError, () => FrontDeskDatabase.open(file, { readonly: true }));
    expect(error.message).toBe(`no database at ${file} yet`);
    expect(error.hint).toContain('storage.path');
    expect(existsSync(join(file, '..'))).toBe(false);
  });

  it('opens read-only beside a writer: reads what it wrote, refuses writes', () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    const writer = FrontDeskDatabase.open(file);
    const reader = FrontDeskDatabase.open(file, { readonly: true });
    try {
      const booked = writer.appointments.book(APPOINTMENT);
      expect(reader.appointments.list().map((a) => a.reference)).toEqual([booked.reference]);
      const error = thrown(StorageError, () => reader.appointments.book({ ...APPOINTMENT, resourceId: 'nurse-room' }));
      expect(error.message).toContain('read-only');
      thrown(StorageError, () => reader.gaps.record('is there parking'));
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('refuses a file that is not a database, naming it', () => {
    const file = join(tempDir(), 'notes.sqlite');
    writeFileSync(file, 'these are not the tables you are looking for\n'.repeat(100));
    const error = thrown(StorageError, () => FrontDeskDatabase.open(file));
    expect(error.message).toContain(file);
    expect(error.message).toContain('not a database');
    thrown(StorageError, () => FrontDeskDatabase.open(file, { readonly: true }));
  });

  it('refuses a database from a newer kiosk-voice and leaves it as it was', () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    FrontDeskDatabase.open(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    for (const readonly of [false, true]) {
      const error = thrown(StorageError, () => FrontDeskDatabase.open(file, { readonly }));
      expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}, newer than this kiosk-voice knows (${SCHEMA_VERSION})`);
      expect(error.hint).toContain('upgrade kiosk-voice');
    }
    expect(inspect(file, (db) => db.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION + 1);
  });

  it('refuses read-only a SQLite file that is not a front-desk database', () => {
    const file = join(tempDir(), 'other.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    const error = thrown(StorageError, () => FrontDeskDatabase.open(file, { readonly: true }));
    expect(error.message).toContain('is not a kiosk-voice database');
  });

  it('reports a directory it cannot create', () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const error = thrown(StorageError, () => FrontDeskDatabase.open(join(blocker, 'frontdesk.sqlite')));
    expect(error.message).toContain('cannot create the directory');
    expect(error.hint).toContain('storage.path');
  });

  it('reports a path it cannot open as a file', () => {
    const dir = tempDir();
    const error = thrown(StorageError, () => FrontDeskDatabase.open(dir));
    expect(error.message).toContain(dir);
  });

  it('integrityCheck reports a history row that points at no appointment', () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    FrontDeskDatabase.open(file).close();
    const raw = new Database(file);
    raw.pragma('foreign_keys = OFF');
    raw.prepare(`INSERT INTO appointment_events (appointment_id, kind, at) VALUES (99, 'booked', '2026-12-01T09:00:00.000Z')`).run();
    raw.close();
    const db = FrontDeskDatabase.open(file);
    try {
      expect(db.integrityCheck()).toEqual(['appointment_events row 1 points at a missing appointments row']);
    } finally {
      db.close();
    }
  });
});
