import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KioskVoiceError } from '../errors.js';
import { AppointmentRepository } from './AppointmentRepository.js';
import { HandoffRepository } from './HandoffRepository.js';
import { KnowledgeGapRepository } from './KnowledgeGapRepository.js';
import { LeadRepository } from './LeadRepository.js';
import { MessageRepository } from './MessageRepository.js';
import { checkNotNewer, migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { StorageError } from './StorageError.js';

export interface OpenOptions {
  /** Operator commands: no migration, no writes; the file must exist. */
  readonly?: boolean;
  /** The clock for `createdAt`, `cancelledAt` and event times (tests pin it). Default: the system clock. */
  now?: () => Date;
}

/** How long a write waits for another connection's lock before it fails (the other writer's transactions take milliseconds). */
const BUSY_TIMEOUT_MS = 5000;

const PATH_HINT = 'set storage.path (or --db) to a file in a writable directory — the state directory under systemd';

/**
 * The front desk's SQLite database: appointments (with their history), leads, messages,
 * handoffs and knowledge gaps. One connection per thread that writes (the brain worker); operator
 * commands open it read-only beside it.
 *
 * Settings on every connection:
 * - `journal_mode=WAL`: readers (operator commands) never block the writer, and a crash leaves the
 *   last committed transaction in the log, replayed on the next open.
 * - `synchronous=FULL`: each commit is fsynced to the WAL before it returns. With NORMAL a commit
 *   survives a killed process but not a power cut; a booking is read out to the visitor as
 *   confirmed, so it must survive a pulled plug too. The cost is one fsync per booking: nothing
 *   at a front desk's rate.
 * - `busy_timeout`: a second writer waits for the lock instead of failing at once.
 * - `foreign_keys=ON`: history rows always point at a real appointment.
 */
export class FrontDeskDatabase {
  /** The file (or `:memory:`). */
  readonly path: string;
  readonly appointments: AppointmentRepository;
  readonly leads: LeadRepository;
  readonly messages: MessageRepository;
  readonly handoffs: HandoffRepository;
  readonly gaps: KnowledgeGapRepository;
  private readonly db: Connection;

  private constructor(db: Connection, path: string, now: () => Date) {
    this.db = db;
    this.path = path;
    this.appointments = new AppointmentRepository(db, now);
    this.leads = new LeadRepository(db, now);
    this.messages = new MessageRepository(db, now);
    this.handoffs = new HandoffRepository(db, now);
    this.gaps = new KnowledgeGapRepository(db, now);
  }

  /**
   * Opens (and for writing, creates and upgrades) the database at `path`; `:memory:` keeps
   * nothing. A missing directory is created. Failures are StorageErrors saying what to change.
   */
  static open(path: string, options: OpenOptions = {}): FrontDeskDatabase {
    const readonly = options.readonly ?? false;
    const memory = path === ':memory:';
    if (readonly && memory) throw new StorageError('an in-memory database cannot be opened read-only: it would be empty', 'give the path of the kiosk\'s database file (--db or storage.path)');
    if (readonly && !existsSync(path)) {
      throw new StorageError(`no database at ${path} yet`, 'the kiosk creates it when it first runs with this storage.path; check --db, --config or storage.path ($STATE_DIRECTORY for relative paths)');
    }
    if (!readonly && !memory) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        throw new StorageError(`cannot create the directory for ${path}: ${(error as Error).message}`, PATH_HINT, { cause: error });
      }
    }
    let db: Connection;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (error) {
      throw new StorageError(`cannot open ${path}: ${(error as Error).message}`, PATH_HINT, { cause: error });
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (readonly) {
        checkReadable(db, path);
      } else {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (!memory && mode !== 'wal') throw new StorageError(`${path} could not be switched to WAL mode (it says ${String(mode)})`, 'put storage.path on a local file system (WAL needs shared memory, which network file systems lack)');
        db.pragma('synchronous = FULL');
      }
      db.pragma('foreign_keys = ON');
      if (!readonly) migrate(db, path);
      return new FrontDeskDatabase(db, path, options.now ?? (() => new Date()));
    } catch (error) {
      db.close();
      if (error instanceof KioskVoiceError) throw error;
      throw new StorageError(`${path} is not a usable kiosk-voice database: ${(error as Error).message}`, 'move that file away (the kiosk starts a new one) or point storage.path (or --db) at the right file', { cause: error });
    }
  }

  /** What SQLite's integrity and foreign-key checks found; [] when the file is sound. */
  integrityCheck(): string[] {
    const integrity = (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).filter((line) => line !== 'ok');
    const foreignKeys = (this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]).map(
      (row) => `${row.table} row ${row.rowid} points at a missing ${row.parent} row`,
    );
    return [...integrity, ...foreignKeys];
  }

  /** Closes the connection; with the last connection gone SQLite folds the WAL back into the file. */
  close(): void {
    this.db.close();
  }
}

/** A read-only connection cannot migrate: it needs exactly this build's schema. */
function checkReadable(db: Connection, path: string): void {
  const version = schemaVersion(db);
  checkNotNewer(version, path);
  if (version === 0) throw new StorageError(`${path} is not a kiosk-voice database (it has no front-desk tables)`, 'check --db, --config or storage.path');
  if (version < SCHEMA_VERSION) {
    throw new StorageError(`${path} has schema version ${version}; this kiosk-voice reads version ${SCHEMA_VERSION}`, 'start the kiosk once with this storage.path (it upgrades the file), then run the command again');
  }
}
