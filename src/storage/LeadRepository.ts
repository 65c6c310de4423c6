import type { Database as Connection, Statement } from 'better-sqlite3';
import type { LeadRecord } from './records.js';
import { sqliteFailure } from './sqliteFailure.js';

interface LeadRow {
  id: number;
  answers: string;
  score: number;
  reasons: string;
  outcome: LeadRecord['outcome'];
  visitor_name: string | null;
  contact: string | null;
  created_at: string;
}

/** Qualified sales enquiries: the answers given, the score with its reasons, and what was done. */
export class LeadRepository {
  private readonly now: () => Date;
  private readonly insertLead: Statement;
  private readonly all: Statement;

  constructor(db: Connection, now: () => Date) {
    this.now = now;
    this.insertLead = db.prepare(
      `INSERT INTO leads (answers, score, reasons, outcome, visitor_name, contact, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.all = db.prepare('SELECT * FROM leads ORDER BY id');
  }

  /** Stores a lead (one statement: atomic on its own). */
  add(lead: Omit<LeadRecord, 'id' | 'createdAt'>): LeadRecord {
    try {
      const row = this.insertLead.get(JSON.stringify(lead.answers), lead.score, JSON.stringify(lead.reasons), lead.outcome, lead.visitorName, lead.contact, this.now().toISOString()) as LeadRow;
      return toLead(row);
    } catch (error) {
      throw sqliteFailure(error, 'saving a lead');
    }
  }

  /** Every lead, oldest first. */
  list(): LeadRecord[] {
    return (this.all.all() as LeadRow[]).map(toLead);
  }
}

function toLead(row: LeadRow): LeadRecord {
  return {
    id: row.id,
    answers: JSON.parse(row.answers) as Record<string, string>,
    score: row.score,
    reasons: JSON.parse(row.reasons) as string[],
    outcome: row.outcome,
    visitorName: row.visitor_name,
    contact: row.contact,
    createdAt: row.created_at,
  };
}
