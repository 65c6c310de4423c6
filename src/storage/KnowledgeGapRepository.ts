import type { Database as Connection, Statement } from 'better-sqlite3';
import type { KnowledgeGapRecord } from './records.js';
import { sqliteFailure } from './sqliteFailure.js';
import { StorageError } from './StorageError.js';

interface GapRow {
  id: number;
  question: string;
  count: number;
  first_asked_at: string;
  last_asked_at: string;
}

/** A visitor's ramble is kept, but not without bound: enough to write an FAQ entry from. */
const MAX_QUESTION_CHARS = 500;

/**
 * Questions the kiosk could not answer, for the operator to add FAQ entries. The same question
 * asked again (any case, punctuation or spacing) is counted on one row rather than repeated.
 */
export class KnowledgeGapRepository {
  private readonly now: () => Date;
  private readonly upsert: Statement;
  private readonly all: Statement;

  constructor(db: Connection, now: () => Date) {
    this.now = now;
    // One statement, so counting is atomic even with two writers.
    this.upsert = db.prepare(
      `INSERT INTO knowledge_gaps (question, normalised, count, first_asked_at, last_asked_at) VALUES (@question, @normalised, 1, @at, @at)
       ON CONFLICT (normalised) DO UPDATE SET count = count + 1, last_asked_at = excluded.last_asked_at
       RETURNING id, question, count, first_asked_at, last_asked_at`,
    );
    this.all = db.prepare('SELECT id, question, count, first_asked_at, last_asked_at FROM knowledge_gaps ORDER BY count DESC, last_asked_at DESC, id');
  }

  /** Counts one asking of `question`; the row keeps the first wording. Refuses a question with no words. */
  record(question: string): KnowledgeGapRecord {
    const wording = question.trim().slice(0, MAX_QUESTION_CHARS);
    const normalised = normaliseQuestion(wording);
    if (!normalised) throw new StorageError(`${JSON.stringify(question)} has no words to record as a knowledge gap`, 'record the visitor\'s question only when the transcript has words');
    try {
      return toGap(this.upsert.get({ question: wording, normalised, at: this.now().toISOString() }) as GapRow);
    } catch (error) {
      throw sqliteFailure(error, 'recording a knowledge gap');
    }
  }

  /** Most asked first, then most recently asked. */
  list(): KnowledgeGapRecord[] {
    return (this.all.all() as GapRow[]).map(toGap);
  }
}

/** "What's the Wi-Fi  code?" and "whats the wifi code" are one question: case, punctuation and spacing do not count. */
function normaliseQuestion(question: string): string {
  return question
    .normalize('NFKC')
    .toLocaleLowerCase('en')
    .replace(/[^\p{L}\p{N}\s]+/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function toGap(row: GapRow): KnowledgeGapRecord {
  return { id: row.id, question: row.question, count: row.count, firstAskedAt: row.first_asked_at, lastAskedAt: row.last_asked_at };
}
