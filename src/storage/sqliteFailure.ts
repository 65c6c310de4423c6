import Database from 'better-sqlite3';
import { KioskVoiceError } from '../errors.js';
import { StorageError } from './StorageError.js';

/**
 * A driver error from a write as a KioskVoiceError the caller can act on. Errors that are
 * already ours (SlotTakenError, AppointmentNotFoundError, …) pass through unchanged.
 */
export function sqliteFailure(error: unknown, what: string): unknown {
  if (error instanceof KioskVoiceError || !(error instanceof Database.SqliteError)) return error;
  if (error.code === 'SQLITE_BUSY') {
    return new StorageError(`${what}: the database stayed locked by another writer`, 'only one kiosk-voice process should write to storage.path; stop the other one', { cause: error });
  }
  if (error.code === 'SQLITE_READONLY') {
    return new StorageError(`${what}: the database is read-only`, 'operator commands open it read-only; write through the kiosk, and check the file and its directory are writable by the service', { cause: error });
  }
  if (error.code === 'SQLITE_FULL') {
    return new StorageError(`${what}: the disk is full`, 'free space in the state directory', { cause: error });
  }
  if (error.code.startsWith('SQLITE_CONSTRAINT')) {
    return new StorageError(`${what}: the database refused the record (${error.message})`, 'this is a bug in the caller: the record breaks a rule of the schema (src/storage/migrations.ts)', { cause: error });
  }
  return new StorageError(`${what}: ${error.message}`, 'run `kiosk-voice doctor`; if the file is damaged, restore it from a backup', { cause: error });
}
