import type { Database as Connection, Statement } from 'better-sqlite3';
import type { MessageRecord } from './records.js';
import { sqliteFailure } from './sqliteFailure.js';

interface MessageRow {
  id: number;
  visitor_name: string | null;
  contact: string | null;
  text: string;
  created_at: string;
}

/** Messages visitors left for staff. */
export class MessageRepository {
  private readonly now: () => Date;
  private readonly insertMessage: Statement;
  private readonly all: Statement;

  constructor(db: Connection, now: () => Date) {
    this.now = now;
    this.insertMessage = db.prepare('INSERT INTO messages (visitor_name, contact, text, created_at) VALUES (?, ?, ?, ?) RETURNING *');
    this.all = db.prepare('SELECT * FROM messages ORDER BY id');
  }

  /** Stores a message (one statement: atomic on its own); the text must not be empty. */
  add(message: Omit<MessageRecord, 'id' | 'createdAt'>): MessageRecord {
    try {
      return toMessage(this.insertMessage.get(message.visitorName, message.contact, message.text, this.now().toISOString()) as MessageRow);
    } catch (error) {
      throw sqliteFailure(error, 'saving a message');
    }
  }

  /** Every message, oldest first. */
  list(): MessageRecord[] {
    return (this.all.all() as MessageRow[]).map(toMessage);
  }
}

function toMessage(row: MessageRow): MessageRecord {
  return { id: row.id, visitorName: row.visitor_name, contact: row.contact, text: row.text, createdAt: row.created_at };
}
