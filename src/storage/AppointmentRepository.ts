import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import { AppointmentNotFoundError } from './AppointmentNotFoundError.js';
import { newReference } from './bookingReference.js';
import type { Appointment, AppointmentEvent, NewAppointment } from './records.js';
import { SlotTakenError } from './SlotTakenError.js';
import { sqliteFailure } from './sqliteFailure.js';
import { StorageError } from './StorageError.js';
import { utcInstant } from './utcInstant.js';

interface AppointmentRow {
  id: number;
  reference: string;
  service_id: string;
  resource_id: string;
  start_utc: string;
  end_utc: string;
  blocked_until_utc: string;
  timezone: string;
  visitor_name: string | null;
  contact: string | null;
  status: 'booked' | 'cancelled';
  created_at: string;
  cancelled_at: string | null;
  rescheduled_from: number | null;
}

interface EventRow {
  id: number;
  appointment_id: number;
  kind: AppointmentEvent['kind'];
  at: string;
  replaced_by: number | null;
}

/** Random draws before giving up on a free reference; only a nearly full reference space gets close. */
const REFERENCE_ATTEMPTS = 200;

/** The message of the overlap triggers' RAISE (src/storage/migrations.ts). */
const SLOT_TAKEN = 'slot taken';

/**
 * Appointments and their history. Every write runs in a BEGIN IMMEDIATE transaction: it takes the
 * write lock before reading, so the reference chosen and the rows it replaces cannot change under
 * it, and a second process waits (busy_timeout) instead of failing. Overlaps are refused by the
 * database's triggers; this class only turns that refusal into SlotTakenError.
 */
export class AppointmentRepository {
  private readonly db: Connection;
  private readonly now: () => Date;
  private readonly statements: {
    insert: Statement;
    cancel: Statement;
    event: Statement;
    referenceTaken: Statement;
    byReference: Statement;
    bookedByReference: Statement;
    byNameAndStart: Statement;
    busy: Statement;
    list: Statement;
    history: Statement;
  };

  constructor(db: Connection, now: () => Date) {
    this.db = db;
    this.now = now;
    db.function('fold_name', { deterministic: true }, (name: unknown) => (typeof name === 'string' ? foldName(name) : null));
    this.statements = {
      insert: db.prepare(
        `INSERT INTO appointments (reference, service_id, resource_id, start_utc, end_utc, blocked_until_utc, timezone, visitor_name, contact, status, created_at, rescheduled_from)
         VALUES (@reference, @serviceId, @resourceId, @startUtc, @endUtc, @blockedUntilUtc, @timezone, @visitorName, @contact, 'booked', @createdAt, @rescheduledFrom)
         RETURNING *`,
      ),
      cancel: db.prepare(`UPDATE appointments SET status = 'cancelled', cancelled_at = ? WHERE id = ? RETURNING *`),
      event: db.prepare('INSERT INTO appointment_events (appointment_id, kind, at, replaced_by) VALUES (?, ?, ?, ?)'),
      referenceTaken: db.prepare('SELECT 1 FROM appointments WHERE reference = ?').pluck(),
      byReference: db.prepare('SELECT * FROM appointments WHERE reference = ?'),
      bookedByReference: db.prepare(`SELECT * FROM appointments WHERE reference = ? AND status = 'booked'`),
      byNameAndStart: db.prepare(`SELECT * FROM appointments WHERE status = 'booked' AND start_utc = ? AND fold_name(visitor_name) = ? ORDER BY id LIMIT 1`),
      busy: db.prepare(
        `SELECT resource_id AS resourceId, start_utc AS startUtc, blocked_until_utc AS blockedUntilUtc FROM appointments
          WHERE status = 'booked' AND resource_id IN (SELECT value FROM json_each(?)) AND start_utc < ? AND blocked_until_utc > ?
          ORDER BY start_utc, resource_id`,
      ),
      list: db.prepare(
        `SELECT * FROM appointments
          WHERE (@from IS NULL OR start_utc >= @from) AND (@to IS NULL OR start_utc < @to) AND (@all OR status = 'booked')
          ORDER BY start_utc, id`,
      ),
      history: db.prepare('SELECT * FROM appointment_events WHERE appointment_id = ? ORDER BY id'),
    };
  }

  /** Books `input` under a new reference; SlotTakenError when the resource is booked for any part of [startUtc, blockedUntilUtc). */
  book(input: NewAppointment): Appointment {
    const row = this.write('booking', input, () => {
      const at = this.now().toISOString();
      const booked = this.insert(input, at, null);
      this.statements.event.run(booked.id, 'booked', at, null);
      return booked;
    });
    return toAppointment(row);
  }

  /**
   * Moves the booked appointment `reference` to `input` in one transaction: the old row is
   * cancelled (kept, with a `rescheduled` event naming its replacement) and a new row is booked
   * with a new reference and `rescheduledFrom` = the old id. The new time may overlap the old one
   * (same resource, a few minutes later): the old row no longer blocks it. On SlotTakenError or
   * AppointmentNotFoundError nothing changes. `visitorName`/`contact` left undefined are carried over.
   */
  reschedule(reference: string, input: NewAppointment): Appointment {
    const row = this.write('rescheduling', input, () => {
      const old = this.bookedRow(reference);
      const at = this.now().toISOString();
      this.statements.cancel.run(at, old.id);
      const carried: NewAppointment = {
        ...input,
        visitorName: input.visitorName !== undefined ? input.visitorName : old.visitor_name,
        contact: input.contact !== undefined ? input.contact : old.contact,
      };
      const moved = this.insert(carried, at, old.id);
      this.statements.event.run(old.id, 'rescheduled', at, moved.id);
      this.statements.event.run(moved.id, 'booked', at, null);
      return moved;
    });
    return toAppointment(row);
  }

  /** Cancels the booked appointment `reference` (the row stays, with `cancelledAt` and a `cancelled` event); AppointmentNotFoundError when none is booked. */
  cancel(reference: string): Appointment {
    const row = this.write('cancelling', undefined, () => {
      const old = this.bookedRow(reference);
      const at = this.now().toISOString();
      const cancelled = this.statements.cancel.get(at, old.id) as AppointmentRow;
      this.statements.event.run(old.id, 'cancelled', at, null);
      return cancelled;
    });
    return toAppointment(row);
  }

  /** The appointment with this reference in any status; any case, spaces and dashes ignored ("k 4-7"). */
  findByReference(reference: string): Appointment | undefined {
    const row = this.statements.byReference.get(cleanReference(reference)) as AppointmentRow | undefined;
    return row && toAppointment(row);
  }

  /** The booked appointment starting at `startUtc` for `name` (case and spacing ignored). */
  findByNameAndStart(name: string, startUtc: string): Appointment | undefined {
    const row = this.statements.byNameAndStart.get(utcInstant(startUtc, 'startUtc'), foldName(name)) as AppointmentRow | undefined;
    return row && toAppointment(row);
  }

  /** What blocks each of `resourceIds` in [fromUtc, toUtc): booked rows overlapping the window, buffer included, in start order. */
  busy(resourceIds: string[], fromUtc: string, toUtc: string): { resourceId: string; startUtc: string; blockedUntilUtc: string }[] {
    if (resourceIds.length === 0) return [];
    return this.statements.busy.all(JSON.stringify(resourceIds), utcInstant(toUtc, 'toUtc'), utcInstant(fromUtc, 'fromUtc')) as { resourceId: string; startUtc: string; blockedUntilUtc: string }[];
  }

  /** Appointments starting in [fromUtc, toUtc) (either end open when absent), in start order; booked only unless `includeCancelled`. */
  list(options: { fromUtc?: string; toUtc?: string; includeCancelled?: boolean } = {}): Appointment[] {
    const rows = this.statements.list.all({
      from: options.fromUtc === undefined ? null : utcInstant(options.fromUtc, 'fromUtc'),
      to: options.toUtc === undefined ? null : utcInstant(options.toUtc, 'toUtc'),
      all: options.includeCancelled ? 1 : 0,
    }) as AppointmentRow[];
    return rows.map(toAppointment);
  }

  /** The life of the appointment `reference` (booked, then cancelled or rescheduled), oldest first; [] for an unknown reference. */
  history(reference: string): AppointmentEvent[] {
    const appointment = this.findByReference(reference);
    if (!appointment) return [];
    return (this.statements.history.all(appointment.id) as EventRow[]).map((row) => ({
      id: row.id,
      appointmentId: row.appointment_id,
      kind: row.kind,
      at: row.at,
      replacedBy: row.replaced_by,
    }));
  }

  private bookedRow(reference: string): AppointmentRow {
    const row = this.statements.bookedByReference.get(cleanReference(reference)) as AppointmentRow | undefined;
    if (!row) throw new AppointmentNotFoundError(reference);
    return row;
  }

  private insert(input: NewAppointment, createdAt: string, rescheduledFrom: number | null): AppointmentRow {
    return this.statements.insert.get({
      reference: this.freeReference(),
      serviceId: input.serviceId,
      resourceId: input.resourceId,
      startUtc: utcInstant(input.startUtc, 'startUtc'),
      endUtc: utcInstant(input.endUtc, 'endUtc'),
      blockedUntilUtc: utcInstant(input.blockedUntilUtc, 'blockedUntilUtc'),
      timezone: input.timezone,
      visitorName: input.visitorName ?? null,
      contact: input.contact ?? null,
      createdAt,
      rescheduledFrom,
    }) as AppointmentRow;
  }

  /** Called inside the write transaction, so no other writer can take the reference between the check and the insert; UNIQUE backs it up. */
  private freeReference(): string {
    for (let attempt = 0; attempt < REFERENCE_ATTEMPTS; attempt++) {
      const reference = newReference();
      if (!this.statements.referenceTaken.get(reference)) return reference;
    }
    throw new StorageError('no free booking reference was found: nearly every reference has been used', 'move old appointments to an archive database and start storage.path afresh');
  }

  private write(what: string, input: NewAppointment | undefined, body: () => AppointmentRow): AppointmentRow {
    try {
      return this.db.transaction(body).immediate();
    } catch (error) {
      if (error instanceof Database.SqliteError && error.message === SLOT_TAKEN && input) {
        throw new SlotTakenError(input.resourceId, input.startUtc, { cause: error });
      }
      throw sqliteFailure(error, what);
    }
  }
}

/** How names are compared (registered on the connection as `fold_name`): Unicode-aware, unlike SQLite's lower() and NOCASE. */
function foldName(name: string): string {
  return name.normalize('NFKC').toLocaleLowerCase('en').replace(/\s+/g, ' ').trim();
}

function cleanReference(reference: string): string {
  return reference.replace(/[\s-]+/g, '').toUpperCase();
}

function toAppointment(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    reference: row.reference,
    serviceId: row.service_id,
    resourceId: row.resource_id,
    startUtc: row.start_utc,
    endUtc: row.end_utc,
    blockedUntilUtc: row.blocked_until_utc,
    timezone: row.timezone,
    visitorName: row.visitor_name,
    contact: row.contact,
    status: row.status,
    createdAt: row.created_at,
    cancelledAt: row.cancelled_at,
    rescheduledFrom: row.rescheduled_from,
  };
}
