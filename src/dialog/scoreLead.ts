import type { LeadQuestion } from '../config/siteSchema.js';
import { normaliseUtterance } from './text/normaliseUtterance.js';

/** A lead's points and, for staff, why it got them (one reason per rule that counted, in question order). */
export interface LeadScore {
  score: number;
  reasons: string[];
}

/**
 * Points for lead answers from the site's scoring rules: for each question answered (`answers` by
 * question id; ids of no question are ignored), every rule with a phrasing among the answer's words
 * counts. The spoken lead flow (LeadFlow) and the capture_lead tool both score with it, so an
 * answer scores the same whichever way it was taken.
 */
export function scoreLead(questions: readonly LeadQuestion[], answers: Readonly<Record<string, string>>): LeadScore {
  let score = 0;
  const reasons: string[] = [];
  for (const question of questions) {
    const answer = answers[question.id];
    if (answer === undefined) continue;
    const said = ` ${normaliseUtterance(answer)} `;
    for (const rule of question.score) {
      if (rule.phrasings.some((phrase) => said.includes(` ${normaliseUtterance(phrase)} `))) {
        score += rule.points;
        reasons.push(rule.reason);
      }
    }
  }
  return { score, reasons };
}

/**
 * The one line staff get with a hot lead, from the flow and the tool alike:
 * "Lead (score 80: a large team, wants to start soon): health checks; 40; this month; Anna; 07700 900123".
 * `details` are the answers, name and contact in the order they were asked.
 */
export function leadSummary({ score, reasons }: LeadScore, details: readonly string[]): string {
  const why = reasons.length > 0 ? `: ${reasons.join(', ')}` : '';
  return `Lead (score ${score}${why}): ${details.join('; ')}`;
}
