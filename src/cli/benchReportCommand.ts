import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { BENCH_REPORT_SCHEMA, type BenchReport } from '../bench/BenchReport.js';
import { formatBenchTable } from '../bench/benchTable.js';
import { compareReports, formatComparison } from '../bench/compareReports.js';
import { renderHtmlReport } from '../bench/report/renderHtmlReport.js';
import { KioskVoiceError } from '../errors.js';
import { writeReportFile } from './writeReportFile.js';

export class BenchReportFileError extends KioskVoiceError {}

/** A saved report, checked to be one before anything reads its fields. */
export function readBenchReport(path: string): BenchReport {
  if (!existsSync(path)) throw new BenchReportFileError(`no report at ${path}`, 'give the JSON that `kiosk-voice bench --json <out>` or scripts/bench.sh wrote');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new BenchReportFileError(`${path} is not JSON`, 'give the JSON that `kiosk-voice bench --json <out>` wrote');
  }
  const schema = (parsed as { schema?: unknown } | null)?.schema;
  if (schema !== BENCH_REPORT_SCHEMA) {
    throw new BenchReportFileError(`${path} is not a bench report of this version (schema ${JSON.stringify(schema ?? null)}, expected "${BENCH_REPORT_SCHEMA}")`, 'run the bench again with this version');
  }
  return parsed as BenchReport;
}

export function registerBenchReportCommand(program: Command): void {
  program
    .command('bench-report')
    .description('show a saved bench report as a table, compare it with an earlier one, or render its HTML')
    .argument('<report.json>', 'a report from `kiosk-voice bench --json` or scripts/bench.sh')
    .option('--compare <old.json>', 'an earlier report: side by side, with deltas and which are beyond run-to-run noise')
    .option('--html <out>', 'write the self-contained HTML report')
    .action((file: string, options: { compare?: string; html?: string }) => {
      const report = readBenchReport(file);
      process.stdout.write(`${formatBenchTable(report)}\n`);
      if (options.compare) process.stdout.write(`\n${formatComparison(compareReports(readBenchReport(options.compare), report))}\n`);
      if (options.html) writeReportFile(options.html, renderHtmlReport(report), 'HTML report', 'bench-report');
    });
}
