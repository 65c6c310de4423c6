import { StorageError } from './StorageError.js';

/** An ISO-8601 time that says its zone: `Z` or an offset such as `+01:00`. */
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `value` as the canonical UTC string the database stores (`2026-12-08T10:00:00.000Z`). Stored
 * times are compared as text (the overlap trigger), which is time order only when every row has
 * this exact shape; a time without a zone is refused rather than read in the host's local zone.
 */
export function utcInstant(value: string, field: string): string {
  const millis = ZONED_ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new StorageError(`${field} ${JSON.stringify(value)} is not an ISO-8601 time with a zone`, 'pass a UTC instant such as DateTime.toUTC().toISO() ("2026-12-08T10:00:00.000Z")');
  }
  return new Date(millis).toISOString();
}
