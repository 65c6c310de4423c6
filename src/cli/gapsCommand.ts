import type { Command } from 'commander';
import { openForOperator } from '../storage/openForOperator.js';
import type { KnowledgeGapRecord } from '../storage/records.js';
import { cell, formatTable, localTime, operatorCommand, writeStdout } from './operatorOutput.js';

/** Adds `gaps list`: questions the kiosk could not answer, most asked first — candidates for site.faq. */
export function registerGapsCommand(program: Command): void {
  const gaps = program.command('gaps').description('questions the kiosk could not answer (add them to site.faq)');
  operatorCommand(gaps, 'list', 'show unanswered questions, most asked first, with how often and when')
    .addHelpText('after', '\nThe same question in other case or punctuation is counted on one line. Times are in the site zone.')
    .action(async (options: { config?: string; db?: string; json?: boolean }) => {
      const { db, site } = openForOperator(options);
      let rows: KnowledgeGapRecord[];
      try {
        rows = db.gaps.list();
      } finally {
        db.close();
      }
      if (options.json) return writeStdout(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return writeStdout('No unanswered questions yet.\n');
      const body = rows.map((gap) => [String(gap.count), localTime(gap.lastAskedAt, site.timezone), localTime(gap.firstAskedAt, site.timezone), cell(gap.question, 80)]);
      return writeStdout(`${formatTable(['Asked', 'Last asked', 'First asked', 'Question'], body)}${rows.length} question${rows.length === 1 ? '' : 's'}; times in ${site.timezone}.\n`);
    });
}
