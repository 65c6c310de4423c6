import type { Command } from 'commander';
import { DateTime, IANAZone } from 'luxon';

/**
 * Shared by the operator commands (`appointments`, `leads`, `gaps`): their common flags, one-line
 * usage errors, and plain-text tables safe to print from visitor-supplied text.
 */

/**
 * The flags every operator command takes (`--json` unless it has its own `--format`), and its
 * usage errors on one line like the other failures.
 */
export function operatorCommand(parent: Command, name: string, description: string, options: { json?: boolean } = {}): Command {
  const path = `${parent.name()} ${name}`;
  const command = parent
    .command(name)
    .description(description)
    .option('-c, --config <file>', "the kiosk's config file: its storage.path and site (zone, service names)")
    .option('--db <file>', 'read this database file instead of storage.path');
  if (options.json ?? true) command.option('--json', 'print JSON on stdout instead of a table');
  return command
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (message, write) => write(`kiosk-voice ${path}: ${message.replace(/^error: /, '').trim()} — see \`kiosk-voice ${path} --help\`\n`),
    });
}

/** Right-pads columns to their widest cell; the header is underlined so an empty column still reads. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => (i === cells.length - 1 ? text : text.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Visitor-supplied text (names, questions) as one table cell: control characters — a terminal
 * escape sequence in a transcript — become spaces, and a long text is cut with an ellipsis.
 */
export function cell(text: string | null | undefined, max = 40): string {
  if (text === null || text === undefined || text === '') return '-';
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A stored UTC time as the front desk said it: "Tue 2026-12-08 10:00" in `zone` (UTC when the zone is unknown). */
export function localTime(utc: string, zone: string, format = 'ccc yyyy-MM-dd HH:mm'): string {
  return DateTime.fromISO(utc, { zone: usableZone(zone) }).toFormat(format);
}

/** `zone` when luxon knows it, else UTC: a report must still print for a row written under another tz database. */
export function usableZone(zone: string): string {
  return IANAZone.isValidZone(zone) ? zone : 'UTC';
}

/** Writes `text` to stdout and resolves once it is handed to the OS, so a following exit cannot cut it short. */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}
