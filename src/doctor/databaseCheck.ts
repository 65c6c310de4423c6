import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { KioskVoiceError } from '../errors.js';
import { FrontDeskDatabase } from '../storage/FrontDeskDatabase.js';
import { resolveStoragePath } from '../storage/resolveStoragePath.js';
import { configured, DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck } from './DoctorCheck.js';

/** The nearest directory of `path` that exists: where the kiosk would create what is missing. */
function nearestExisting(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The front desk's SQLite database at storage.path: read-only, so doctor can run beside the
 * kiosk. A sound file reports what it holds; a missing one is fine if the kiosk can create it.
 */
export const databaseCheck: DoctorCheck = {
  name: 'database',
  needsConfig: true,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'the database is locked or on a hung file system; check storage.path',
  async run(context) {
    const { config, env } = configured(context);
    const path = resolveStoragePath(config.storage, env);
    if (path === ':memory:') return { status: 'warn', detail: 'storage.path is :memory: — bookings, leads and messages are lost at every restart', advice: 'set storage.path to a file (e.g. frontdesk.sqlite in the state directory)' };
    if (!existsSync(path)) {
      const dir = nearestExisting(path);
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        return { status: 'fail', detail: `no database at ${path}, and ${dir} is not writable for this user`, advice: 'make the directory writable for the kiosk user, or set storage.path elsewhere' };
      }
      return { status: 'ok', detail: `no database at ${path} yet; the kiosk creates it when it starts` };
    }
    let db: FrontDeskDatabase;
    try {
      db = FrontDeskDatabase.open(path, { readonly: true });
    } catch (error) {
      if (error instanceof KioskVoiceError) return { status: 'fail', detail: error.message, advice: error.hint ?? 'check storage.path' };
      throw error;
    }
    try {
      const problems = db.integrityCheck();
      if (problems.length > 0) {
        return { status: 'fail', detail: `${path} is damaged: ${problems.slice(0, 2).join('; ')}`, advice: `stop the kiosk, keep a copy, then \`sqlite3 ${path} .recover\` into a new file` };
      }
      const booked = db.appointments.list().length;
      return { status: 'ok', detail: `${path}: sound; ${booked} upcoming or past appointment${booked === 1 ? '' : 's'} booked, ${db.leads.list().length} leads, ${db.gaps.list().length} unanswered questions` };
    } finally {
      db.close();
    }
  },
};
