import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { repoRoot } from '../helpers/sharedModels.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kiosk-operator-');

/**
 * The example clinic's database as the kiosk would leave it: two booked appointments (winter and
 * summer time), one cancelled, a lead and two knowledge gaps. Made fresh per test in a temp dir.
 */
function seed(dir: string, file = 'frontdesk.sqlite'): { path: string; refs: { winter: string; summer: string; cancelled: string } } {
  const path = join(dir, file);
  const clock = { now: new Date('2026-12-01T09:00:00.000Z') };
  const db = FrontDeskDatabase.open(path, { now: () => clock.now });
  try {
    const winter = db.appointments.book({ serviceId: 'consultation', resourceId: 'dr-patel', startUtc: '2026-12-08T10:00:00Z', endUtc: '2026-12-08T10:20:00Z', blockedUntilUtc: '2026-12-08T10:30:00Z', timezone: 'Europe/London', visitorName: 'Anna Smith', contact: '07700 900123' });
    const summer = db.appointments.book({ serviceId: 'checkup', resourceId: 'nurse-room', startUtc: '2027-06-07T08:00:00Z', endUtc: '2027-06-07T08:30:00Z', blockedUntilUtc: '2027-06-07T08:30:00Z', timezone: 'Europe/London', visitorName: '=HYPERLINK("x")', contact: null });
    const cancelled = db.appointments.book({ serviceId: 'consultation', resourceId: 'dr-patel', startUtc: '2026-12-09T14:00:00Z', endUtc: '2026-12-09T14:20:00Z', blockedUntilUtc: '2026-12-09T14:30:00Z', timezone: 'Europe/London', visitorName: 'Bob Jones', contact: 'bob@example.com' });
    clock.now = new Date('2026-12-02T10:00:00.000Z');
    db.appointments.cancel(cancelled.reference);
    db.leads.add({ answers: { need: 'health checks', size: '40' }, score: 75, reasons: ['a large team', 'wants services we offer'], outcome: 'handoff', visitorName: 'Carol White', contact: 'carol@example.com' });
    db.gaps.record('Do you do flu jabs?');
    db.gaps.record('do you do flu jabs');
    db.gaps.record('Is there a dentist?');
    return { path, refs: { winter: winter.reference, summer: summer.reference, cancelled: cancelled.reference } };
  } finally {
    db.close();
  }
}

/** The example clinic: its zone, service and resource names, and `storage.path: frontdesk.sqlite`. */
const withSite = ['--config', join(repoRoot, 'systemd/config.example.yaml')];

describe('operator commands', () => {
  beforeAll(() => {
    // runCli throws a clear error when the build is missing; fail here once instead of per test.
    expect(existsSync(join(repoRoot, 'dist/cli.js'))).toBe(true);
  });

  it('appointments list: a table of booked appointments in local time, cancelled ones with --all', async () => {
    const { path, refs } = seed(tempDir());
    const { code, stdout, stderr } = await runCli(['appointments', 'list', ...withSite, '--db', path]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^When\s+Ref\s+Service\s+With\s+Name\s+Contact\s+Status$/);
    expect(lines[2]).toMatch(new RegExp(`^Tue 2026-12-08 10:00–10:20\\s+${refs.winter}\\s+consultation\\s+Dr Patel\\s+Anna Smith\\s+07700 900123\\s+booked$`));
    // 08:00 UTC in June is 09:00 in London (BST).
    expect(lines[3]).toMatch(new RegExp(`^Mon 2027-06-07 09:00–09:30\\s+${refs.summer}\\s+check-up\\s+the nurse's room\\s+=HYPERLINK\\("x"\\)\\s+-\\s+booked$`));
    expect(lines.at(-1)).toBe('2 appointments; times in Europe/London.');
    expect(stdout).not.toContain(refs.cancelled);

    const all = await runCli(['appointments', 'list', ...withSite, '--db', path, '--all']);
    expect(all.stdout).toMatch(new RegExp(`Wed 2026-12-09 14:00–14:20\\s+${refs.cancelled}\\s+consultation\\s+Dr Patel\\s+Bob Jones\\s+bob@example.com\\s+cancelled`));
  });

  it('appointments list --from/--to (site days, inclusive) and --json', async () => {
    const { path, refs } = seed(tempDir());
    const { code, stdout } = await runCli(['appointments', 'list', ...withSite, '--db', path, '--from', '2026-12-08', '--to', '2026-12-31', '--all', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { reference: string; status: string; localStart: string; startUtc: string }[];
    expect(rows.map((row) => [row.reference, row.status, row.localStart])).toEqual([
      [refs.winter, 'booked', '2026-12-08T10:00:00+00:00'],
      [refs.cancelled, 'cancelled', '2026-12-09T14:00:00+00:00'],
    ]);
    const summer = JSON.parse((await runCli(['appointments', 'list', ...withSite, '--db', path, '--from', '2027-06-07', '--json'])).stdout) as { reference: string; localStart: string }[];
    expect(summer).toEqual([expect.objectContaining({ reference: refs.summer, localStart: '2027-06-07T09:00:00+01:00' })]);
    const none = await runCli(['appointments', 'list', '--db', path, '--from', '2030-01-01']);
    expect(none.stdout).toBe('No booked appointments from 2030-01-01.\n');
  });

  it('appointments export --format csv: a header and one row per appointment, formulas defused', async () => {
    const { path, refs } = seed(tempDir());
    const { code, stdout } = await runCli(['appointments', 'export', ...withSite, '--db', path, '--format', 'csv']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('reference,status,service,service_id,resource,resource_id,date,start,end,timezone,start_utc,end_utc,visitor_name,contact,created_at,cancelled_at,rescheduled_from');
    expect(lines[1]).toBe(`${refs.winter},booked,consultation,consultation,Dr Patel,dr-patel,2026-12-08,10:00,10:20,Europe/London,2026-12-08T10:00:00.000Z,2026-12-08T10:20:00.000Z,Anna Smith,07700 900123,2026-12-01T09:00:00.000Z,,`);
    // The name a spreadsheet would run as a formula starts with a quote instead.
    expect(lines[2]).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(lines).toHaveLength(3);
  });

  it('appointments export --format ics: a calendar with one event per appointment in UTC', async () => {
    const { path, refs } = seed(tempDir());
    const { code, stdout } = await runCli(['appointments', 'export', ...withSite, '--db', path, '--format', 'ics', '--all']);
    expect(code).toBe(0);
    expect(stdout.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(stdout.trimEnd().endsWith('END:VCALENDAR')).toBe(true);
    expect(stdout).toContain('X-WR-CALNAME:Riverside Clinic appointments');
    const events = stdout.split('BEGIN:VEVENT').slice(1);
    expect(events).toHaveLength(3);
    const winter = events.find((event) => event.includes(`UID:${refs.winter}@kiosk-voice`))!;
    expect(winter).toContain('DTSTART:20261208T100000Z');
    expect(winter).toContain('DTEND:20261208T102000Z');
    expect(winter).toContain('SUMMARY:consultation — Anna Smith');
    expect(winter).toContain('STATUS:CONFIRMED');
    expect(events.find((event) => event.includes(`UID:${refs.cancelled}@kiosk-voice`))).toContain('STATUS:CANCELLED');
  });

  it('appointments export --format json --output writes the file and nothing on stdout', async () => {
    const dir = tempDir();
    const { path, refs } = seed(dir);
    const output = join(dir, 'export.json');
    const { code, stdout } = await runCli(['appointments', 'export', '--db', path, '--format', 'json', '--output', output]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: '' });
    const rows = JSON.parse(readFileSync(output, 'utf8')) as { reference: string }[];
    expect(rows.map((row) => row.reference)).toEqual([refs.winter, refs.summer]);
  });

  it('finds the database through --config storage.path in $STATE_DIRECTORY', async () => {
    const state = tempDir();
    const { refs } = seed(state);
    const config = join(tempDir(), 'kiosk.yaml');
    writeFileSync(config, 'storage:\n  path: frontdesk.sqlite\n');
    const { code, stdout } = await runCli(['appointments', 'list', '--config', config, '--json'], { env: { STATE_DIRECTORY: state } });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { reference: string }[]).map((row) => row.reference)).toEqual([refs.winter, refs.summer]);
  });

  it('leads list and gaps list, as tables and as JSON', async () => {
    const { path } = seed(tempDir());
    const leads = await runCli(['leads', 'list', ...withSite, '--db', path]);
    expect(leads.code).toBe(0);
    expect(leads.stdout).toMatch(/^When\s+Score\s+Outcome\s+Name\s+Contact\s+Reasons\s+Answers\n/);
    expect(leads.stdout).toMatch(/Wed 2026-12-02 10:00\s+75\s+handed to staff\s+Carol White\s+carol@example.com\s+a large team; wants services we offer\s+need: health checks; size: 40\n/);
    const leadJson = JSON.parse((await runCli(['leads', 'list', '--db', path, '--json'])).stdout) as unknown[];
    expect(leadJson).toEqual([expect.objectContaining({ score: 75, outcome: 'handoff', answers: { need: 'health checks', size: '40' }, reasons: ['a large team', 'wants services we offer'] })]);

    const gaps = await runCli(['gaps', 'list', ...withSite, '--db', path]);
    expect(gaps.code).toBe(0);
    const gapLines = gaps.stdout.trimEnd().split('\n');
    expect(gapLines[2]).toMatch(/^2\s+Wed 2026-12-02 10:00\s+Wed 2026-12-02 10:00\s+Do you do flu jabs\?$/);
    expect(gapLines[3]).toMatch(/^1\s+.*Is there a dentist\?$/);
    const gapJson = JSON.parse((await runCli(['gaps', 'list', '--db', path, '--json'])).stdout) as { question: string; count: number }[];
    expect(gapJson.map((gap) => [gap.question, gap.count])).toEqual([
      ['Do you do flu jabs?', 2],
      ['Is there a dentist?', 1],
    ]);
  });

  it('reports bad input on one line with a non-zero exit: a bad date, an unknown format, no database', async () => {
    const dir = tempDir();
    const { path } = seed(dir);
    const badDate = await runCli(['appointments', 'list', '--db', path, '--from', '2026-13-01']);
    expect(badDate).toEqual({ code: 1, stdout: '', stderr: 'kiosk-voice: --from "2026-13-01" is not a date — write it as YYYY-MM-DD, e.g. --from 2026-12-08\n' });

    const badFormat = await runCli(['appointments', 'export', '--db', path, '--format', 'xml']);
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stdout).toBe('');
    expect(badFormat.stderr).toBe("kiosk-voice appointments export: option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are csv, ics, json. — see `kiosk-voice appointments export --help`\n");

    const missing = join(dir, 'nowhere.sqlite');
    for (const command of [['appointments', 'list'], ['leads', 'list'], ['gaps', 'list']]) {
      const result = await runCli([...command, '--db', missing]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^kiosk-voice: no database at ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} yet — .*storage\\.path.*\\n$`));
      expect(result.stderr.split('\n')).toHaveLength(2);
    }
    expect(existsSync(missing)).toBe(false);
  });
});
