import type { Database } from 'better-sqlite3';
import { StorageError } from './StorageError.js';

/**
 * The schema, as numbered steps. `PRAGMA user_version` records the last step applied; opening a
 * database applies the missing steps in order, each in its own BEGIN IMMEDIATE transaction with the
 * version bump, so a crash mid-upgrade leaves the previous version intact and two processes opening
 * a fresh file cannot both run a step (the second waits, then sees the new version). Never edit a
 * released step: add one.
 */

/** A canonical UTC instant as the repositories write it; text order is time order only in this exact shape. */
const ISO_UTC = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'";
const isoUtc = (column: string, nullable = false) => (nullable ? `CHECK (${column} IS NULL OR ${column} GLOB ${ISO_UTC})` : `CHECK (${column} GLOB ${ISO_UTC})`);

/** The overlap rule shared by both triggers: booked rows of one resource occupy [start_utc, blocked_until_utc). */
const overlapping = (excludeSelf: string) => `
  SELECT RAISE(ABORT, 'slot taken') FROM appointments
   WHERE status = 'booked' AND resource_id = NEW.resource_id ${excludeSelf}
     AND start_utc < NEW.blocked_until_utc AND NEW.start_utc < blocked_until_utc`;

export const MIGRATIONS: readonly string[] = [
  // 1: appointments with their history, leads, messages, handoffs, knowledge gaps.
  `
  CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(reference) = 3),
    service_id TEXT NOT NULL CHECK (length(service_id) > 0),
    resource_id TEXT NOT NULL CHECK (length(resource_id) > 0),
    start_utc TEXT NOT NULL ${isoUtc('start_utc')},
    end_utc TEXT NOT NULL ${isoUtc('end_utc')},
    blocked_until_utc TEXT NOT NULL ${isoUtc('blocked_until_utc')},
    timezone TEXT NOT NULL,
    visitor_name TEXT,
    contact TEXT,
    status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    created_at TEXT NOT NULL ${isoUtc('created_at')},
    cancelled_at TEXT ${isoUtc('cancelled_at', true)},
    rescheduled_from INTEGER REFERENCES appointments(id),
    CHECK (end_utc > start_utc),
    CHECK (blocked_until_utc >= end_utc),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
  );
  CREATE INDEX appointments_booked_by_resource ON appointments (resource_id, start_utc) WHERE status = 'booked';
  CREATE INDEX appointments_by_start ON appointments (start_utc);

  -- The invariant lives here, not in the code that calls: no writer (another process, a raw SQL
  -- session, a future bug) can leave two booked rows of one resource overlapping.
  CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
  WHEN NEW.status = 'booked'
  BEGIN ${overlapping('')}; END;
  CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE ON appointments
  WHEN NEW.status = 'booked'
  BEGIN ${overlapping('AND id <> OLD.id')}; END;
  -- Cancelled rows are history: they are never booked again or moved (a new booking is a new row).
  CREATE TRIGGER appointments_cancelled_is_final BEFORE UPDATE ON appointments
  WHEN OLD.status = 'cancelled'
  BEGIN SELECT RAISE(ABORT, 'cancelled appointments are history'); END;

  CREATE TABLE appointment_events (
    id INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    kind TEXT NOT NULL CHECK (kind IN ('booked', 'cancelled', 'rescheduled')),
    at TEXT NOT NULL ${isoUtc('at')},
    -- For 'rescheduled': the appointment that replaced this one.
    replaced_by INTEGER REFERENCES appointments(id),
    CHECK ((kind = 'rescheduled') = (replaced_by IS NOT NULL))
  );
  CREATE INDEX appointment_events_by_appointment ON appointment_events (appointment_id, id);

  CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    answers TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object'),
    score INTEGER NOT NULL,
    reasons TEXT NOT NULL CHECK (json_valid(reasons) AND json_type(reasons) = 'array'),
    outcome TEXT NOT NULL CHECK (outcome IN ('handoff', 'call-booked', 'follow-up')),
    visitor_name TEXT,
    contact TEXT,
    created_at TEXT NOT NULL ${isoUtc('created_at')}
  );

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    visitor_name TEXT,
    contact TEXT,
    text TEXT NOT NULL CHECK (length(text) > 0),
    created_at TEXT NOT NULL ${isoUtc('created_at')}
  );

  CREATE TABLE handoffs (
    id INTEGER PRIMARY KEY,
    reason TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('low', 'normal', 'high')),
    summary TEXT NOT NULL,
    staff_available INTEGER NOT NULL CHECK (staff_available IN (0, 1)),
    created_at TEXT NOT NULL ${isoUtc('created_at')}
  );

  CREATE TABLE knowledge_gaps (
    id INTEGER PRIMARY KEY,
    -- The wording of the first time it was asked; 'normalised' is what makes two askings the same.
    question TEXT NOT NULL,
    normalised TEXT NOT NULL UNIQUE CHECK (length(normalised) > 0),
    count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    first_asked_at TEXT NOT NULL ${isoUtc('first_asked_at')},
    last_asked_at TEXT NOT NULL ${isoUtc('last_asked_at')}
  );
  `,
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The version recorded in the file (0 for a new, empty database). */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the steps `db` lacks; refuses a database written by a newer build. */
export function migrate(db: Database, path: string): void {
  for (;;) {
    const applied = db
      .transaction(() => {
        // Read inside the write lock: another process may have migrated while we waited for it.
        const version = schemaVersion(db);
        checkNotNewer(version, path);
        if (version >= SCHEMA_VERSION) return false;
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

/** A newer kiosk-voice's tables may mean rules this build does not keep: do not touch them. */
export function checkNotNewer(version: number, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      `${path} has schema version ${version}, newer than this kiosk-voice knows (${SCHEMA_VERSION})`,
      'upgrade kiosk-voice to the version that wrote it, or point storage.path (or --db) at another file',
    );
  }
}
