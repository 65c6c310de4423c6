import type { Database as Connection, Statement } from 'better-sqlite3';
import type { HandoffRecord } from './records.js';
import { sqliteFailure } from './sqliteFailure.js';

interface HandoffRow {
  id: number;
  reason: string;
  urgency: HandoffRecord['urgency'];
  summary: string;
  staff_available: 0 | 1;
  created_at: string;
}

/** Every time a person was called to the desk, with why and whether anyone was on duty. */
export class HandoffRepository {
  private readonly now: () => Date;
  private readonly insertHandoff: Statement;
  private readonly all: Statement;

  constructor(db: Connection, now: () => Date) {
    this.now = now;
    this.insertHandoff = db.prepare('INSERT INTO handoffs (reason, urgency, summary, staff_available, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *');
    this.all = db.prepare('SELECT * FROM handoffs ORDER BY id');
  }

  /** Stores a handoff (one statement: atomic on its own). */
  add(handoff: Omit<HandoffRecord, 'id' | 'createdAt'>): HandoffRecord {
    try {
      return toHandoff(this.insertHandoff.get(handoff.reason, handoff.urgency, handoff.summary, handoff.staffAvailable ? 1 : 0, this.now().toISOString()) as HandoffRow);
    } catch (error) {
      throw sqliteFailure(error, 'saving a handoff');
    }
  }

  /** Every handoff, oldest first. */
  list(): HandoffRecord[] {
    return (this.all.all() as HandoffRow[]).map(toHandoff);
  }
}

function toHandoff(row: HandoffRow): HandoffRecord {
  return { id: row.id, reason: row.reason, urgency: row.urgency, summary: row.summary, staffAvailable: row.staff_available === 1, createdAt: row.created_at };
}
