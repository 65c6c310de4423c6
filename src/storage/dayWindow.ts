import { DateTime } from 'luxon';
import { OperatorInputError } from './OperatorInputError.js';

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `--from`/`--to` days (YYYY-MM-DD, both inclusive, in the site's zone) as the UTC window
 * [start of `from`, start of the day after `to`) that AppointmentRepository.list takes. Days are
 * taken in the site's zone so that "2026-12-08" means that day at the front desk, wherever the
 * operator's terminal is, and a DST day is as long as it really is.
 */
export function dayWindow(from: string | undefined, to: string | undefined, zone: string): { fromUtc?: string; toUtc?: string } {
  const start = from === undefined ? undefined : day(from, '--from', zone);
  const end = to === undefined ? undefined : day(to, '--to', zone).plus({ days: 1 });
  if (start && end && end <= start) throw new OperatorInputError(`--to ${to} is before --from ${from}`, 'give --to the same day as --from or a later one');
  return { ...(start && { fromUtc: start.toUTC().toISO()! }), ...(end && { toUtc: end.toUTC().toISO()! }) };
}

function day(text: string, option: string, zone: string): DateTime {
  const parsed = CALENDAR_DATE.test(text) ? DateTime.fromISO(text, { zone }) : undefined;
  if (!parsed?.isValid) throw new OperatorInputError(`${option} ${JSON.stringify(text)} is not a date`, `write it as YYYY-MM-DD, e.g. ${option} 2026-12-08`);
  return parsed.startOf('day');
}
