import { DateTime } from 'luxon';
import { afterEach } from 'vitest';
import type { KioskConfig } from '../../src/config/schema.js';
import type { SiteConfig } from '../../src/config/siteSchema.js';
import { DialogManager, type DialogDecision } from '../../src/dialog/DialogManager.js';
import { FrontDesk } from '../../src/dialog/FrontDesk.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { exampleSite } from './exampleSite.js';

/** Monday 7 December 2026, 10:00 in London: the example clinic is open (09:00–17:30), staff on duty. */
export const MONDAY = '2026-12-07T10:00';

/** What every dialog test file passes to the DialogManager; per file, not per test. */
export interface FrontDeskDialogOptions {
  rules?: KioskConfig['dialog']['rules'];
  notUnderstoodReply?: string;
}

/** One example clinic on a fresh in-memory database, with its clock stopped at `now`. */
export interface FrontDeskDialog {
  site: SiteConfig;
  db: FrontDeskDatabase;
  frontDesk: FrontDesk;
  dialog: DialogManager;
  now: DateTime;
  zone: string;
  /** Sends a transcript; throws when it would have gone to the LLM, so a test reads the answer directly. */
  say(text: string): Extract<DialogDecision, { kind: 'answer' }>;
  /** The appointments still booked (cancelled and moved-away rows left out). */
  booked(): ReturnType<FrontDeskDatabase['appointments']['list']>;
}

/**
 * Returns a maker of front-desk dialogs (site, database, FrontDesk, DialogManager, fixed clock,
 * `say`) whose databases are closed after each test. Call it once at the top of a test file.
 */
export function useFrontDeskDialog(options: FrontDeskDialogOptions = {}): (nowIso?: string, site?: SiteConfig) => FrontDeskDialog {
  const { rules = [], notUnderstoodReply = 'Sorry, I did not catch that.' } = options;
  const open: FrontDeskDatabase[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });
  return (nowIso = MONDAY, site = exampleSite()) => {
    const db = FrontDeskDatabase.open(':memory:');
    open.push(db);
    const now = DateTime.fromISO(nowIso, { zone: site.timezone });
    const frontDesk = new FrontDesk({ site, db, now: () => now });
    const dialog = new DialogManager({ site, rules, frontDesk, notUnderstoodReply });
    const say = (text: string): Extract<DialogDecision, { kind: 'answer' }> => {
      const decision = dialog.respond(text);
      if (decision.kind !== 'answer') throw new Error(`"${text}" went to the LLM`);
      return decision;
    };
    const booked = () => db.appointments.list().filter((row) => row.status === 'booked');
    return { site, db, frontDesk, dialog, now, zone: site.timezone, say, booked };
  };
}
