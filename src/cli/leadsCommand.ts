import type { Command } from 'commander';
import { openForOperator } from '../storage/openForOperator.js';
import type { LeadRecord } from '../storage/records.js';
import { cell, formatTable, localTime, operatorCommand, writeStdout } from './operatorOutput.js';

const OUTCOME: Record<LeadRecord['outcome'], string> = { handoff: 'handed to staff', 'call-booked': 'call booked', 'follow-up': 'follow up' };

/** Adds `leads list`: the sales enquiries the kiosk qualified, oldest first, with score, reasons and outcome. */
export function registerLeadsCommand(program: Command): void {
  const leads = program.command('leads').description('the sales enquiries the kiosk qualified');
  operatorCommand(leads, 'list', 'show leads: when, score, outcome, name, contact, why it scored, the answers')
    .addHelpText('after', '\nTimes are in the site zone (config.site.timezone). The database is opened read-only.')
    .action(async (options: { config?: string; db?: string; json?: boolean }) => {
      const { db, site } = openForOperator(options);
      let rows: LeadRecord[];
      try {
        rows = db.leads.list();
      } finally {
        db.close();
      }
      if (options.json) return writeStdout(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return writeStdout('No leads yet.\n');
      const body = rows.map((lead) => [
        localTime(lead.createdAt, site.timezone),
        String(lead.score),
        OUTCOME[lead.outcome],
        cell(lead.visitorName, 30),
        cell(lead.contact, 30),
        cell(lead.reasons.join('; '), 50),
        cell(
          Object.entries(lead.answers)
            .map(([question, answer]) => `${question}: ${answer}`)
            .join('; '),
          60,
        ),
      ]);
      return writeStdout(`${formatTable(['When', 'Score', 'Outcome', 'Name', 'Contact', 'Reasons', 'Answers'], body)}${rows.length} lead${rows.length === 1 ? '' : 's'}; times in ${site.timezone}.\n`);
    });
}
