import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { createEvents, type EventAttributes } from 'ics';
import { writeFileSync } from 'node:fs';
import type { SiteConfig } from '../config/siteSchema.js';
import { dayWindow } from '../storage/dayWindow.js';
import { openForOperator } from '../storage/openForOperator.js';
import { OperatorInputError } from '../storage/OperatorInputError.js';
import type { Appointment } from '../storage/records.js';
import { cell, formatTable, localTime, operatorCommand, usableZone, writeStdout } from './operatorOutput.js';

/**
 * `kiosk-voice appointments list|export`: the front desk's bookings for staff. The database is
 * opened read-only, so this is safe while the kiosk runs. Times are shown in the zone stored with
 * each booking (the site's zone when it was made: what the visitor was told); `--from`/`--to` are
 * days in the site's zone (config.site.timezone), both inclusive.
 */

interface SelectOptions {
  config?: string;
  db?: string;
  json?: boolean;
  from?: string;
  to?: string;
  all?: boolean;
}

interface ExportOptions extends SelectOptions {
  format: 'csv' | 'ics' | 'json';
  output?: string;
}

const EXPORT_FORMATS = ['csv', 'ics', 'json'] as const;

/** Adds `appointments list` and `appointments export` to the program. */
export function registerAppointmentsCommand(program: Command): void {
  const appointments = program.command('appointments').description('the appointments the kiosk booked: list them or export them (csv, ics, json)');

  selecting(operatorCommand(appointments, 'list', 'show appointments as a table: local time, reference, service, with whom, name, contact, status'))
    .addHelpText('after', '\nDefault: every booked appointment. The database is opened read-only; the kiosk may keep running.')
    .action(async (options: SelectOptions) => {
      const { rows, site } = select(options);
      await writeStdout(options.json ? `${JSON.stringify(rows.map((row) => withLocalTimes(row)), null, 2)}\n` : table(rows, site, options));
    });

  selecting(operatorCommand(appointments, 'export', 'write appointments as csv (a spreadsheet), ics (a calendar) or json', { json: false }))
    .addOption(new Option('-f, --format <format>', 'csv | ics | json').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (options: ExportOptions) => {
      const { rows, site } = select(options);
      const text = options.format === 'csv' ? csv(rows, site) : options.format === 'ics' ? ics(rows, site) : `${JSON.stringify(rows.map((row) => withLocalTimes(row)), null, 2)}\n`;
      if (!options.output) return writeStdout(text);
      try {
        writeFileSync(options.output, text);
      } catch (error) {
        throw new OperatorInputError(`cannot write ${options.output}: ${(error as Error).message}`, 'give --output a file in a directory you can write to, or leave it out to print on stdout');
      }
    });
}

function selecting(command: Command): Command {
  return command
    .option('--from <YYYY-MM-DD>', 'only appointments from this day (site zone)')
    .option('--to <YYYY-MM-DD>', 'only appointments up to and including this day (site zone)')
    .option('--all', 'include cancelled appointments (history, and the old times of rescheduled ones)');
}

function select(options: SelectOptions): { rows: Appointment[]; site: SiteConfig } {
  const { db, site } = openForOperator(options);
  try {
    const window = dayWindow(options.from, options.to, site.timezone);
    return { rows: db.appointments.list({ ...window, includeCancelled: options.all ?? false }), site };
  } finally {
    db.close();
  }
}

function serviceName(site: SiteConfig, id: string): string {
  return site.services.find((service) => service.id === id)?.name ?? id;
}

function resourceName(site: SiteConfig, id: string): string {
  return site.resources.find((resource) => resource.id === id)?.name ?? id;
}

function withLocalTimes(row: Appointment): Appointment & { localStart: string; localEnd: string } {
  const zone = usableZone(row.timezone);
  return { ...row, localStart: localTime(row.startUtc, zone, "yyyy-MM-dd'T'HH:mm:ssZZ"), localEnd: localTime(row.endUtc, zone, "yyyy-MM-dd'T'HH:mm:ssZZ") };
}

function table(rows: Appointment[], site: SiteConfig, options: SelectOptions): string {
  const range = [options.from && `from ${options.from}`, options.to && `to ${options.to}`].filter(Boolean).join(' ');
  if (rows.length === 0) return `No ${options.all ? '' : 'booked '}appointments${range ? ` ${range}` : ''}.\n`;
  const body = rows.map((row) => [
    `${localTime(row.startUtc, row.timezone)}–${localTime(row.endUtc, row.timezone, 'HH:mm')}`,
    row.reference,
    cell(serviceName(site, row.serviceId), 30),
    cell(resourceName(site, row.resourceId), 30),
    cell(row.visitorName),
    cell(row.contact),
    row.status,
  ]);
  const zones = [...new Set(rows.map((row) => usableZone(row.timezone)))].join(', ');
  return `${formatTable(['When', 'Ref', 'Service', 'With', 'Name', 'Contact', 'Status'], body)}${rows.length} appointment${rows.length === 1 ? '' : 's'}${range ? ` ${range}` : ''}; times in ${zones}.\n`;
}

function csv(rows: Appointment[], site: SiteConfig): string {
  return stringify(
    rows.map((row) => ({
      reference: row.reference,
      status: row.status,
      service: serviceName(site, row.serviceId),
      service_id: row.serviceId,
      resource: resourceName(site, row.resourceId),
      resource_id: row.resourceId,
      date: localTime(row.startUtc, row.timezone, 'yyyy-MM-dd'),
      start: localTime(row.startUtc, row.timezone, 'HH:mm'),
      end: localTime(row.endUtc, row.timezone, 'HH:mm'),
      timezone: row.timezone,
      start_utc: row.startUtc,
      end_utc: row.endUtc,
      visitor_name: row.visitorName ?? '',
      contact: row.contact ?? '',
      created_at: row.createdAt,
      cancelled_at: row.cancelledAt ?? '',
      rescheduled_from: row.rescheduledFrom ?? '',
    })),
    // A visitor's name starting with "=" must not run as a formula when the file is opened in a spreadsheet.
    { header: true, escape_formulas: true, columns: CSV_COLUMNS },
  );
}

const CSV_COLUMNS = ['reference', 'status', 'service', 'service_id', 'resource', 'resource_id', 'date', 'start', 'end', 'timezone', 'start_utc', 'end_utc', 'visitor_name', 'contact', 'created_at', 'cancelled_at', 'rescheduled_from'];

/** iCalendar text may not hold control characters (RFC 5545 §3.3.11): visitor text goes through `cell`, which replaces them. */
function ics(rows: Appointment[], site: SiteConfig): string {
  const events = rows.map((row): EventAttributes => {
    return {
      uid: `${row.reference}@kiosk-voice`,
      title: `${serviceName(site, row.serviceId)} — ${cell(row.visitorName ?? 'visitor', 200)}`,
      description: [`Reference ${row.reference}`, `With ${resourceName(site, row.resourceId)}`, row.contact && `Contact ${cell(row.contact, 200)}`].filter(Boolean).join('\n'),
      start: Date.parse(row.startUtc),
      startInputType: 'utc',
      startOutputType: 'utc',
      end: Date.parse(row.endUtc),
      endInputType: 'utc',
      endOutputType: 'utc',
      status: row.status === 'booked' ? 'CONFIRMED' : 'CANCELLED',
      created: Date.parse(row.createdAt),
    };
  });
  const { error, value } = createEvents(events, { productId: 'kiosk-voice', calName: `${site.name} appointments` });
  if (error || value === null) throw new OperatorInputError(`the calendar could not be written: ${error?.message ?? 'no output'}`, 'export as csv or json instead, and report this with the appointment that fails');
  return value;
}
