import { afterEach, describe, expect, it } from 'vitest';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { StorageError } from '../../src/storage/StorageError.js';
import { thrown } from '../helpers/thrown.js';

const open: FrontDeskDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(clock: { now: Date } = { now: new Date('2026-12-01T09:00:00.000Z') }): FrontDeskDatabase {
  const db = FrontDeskDatabase.open(':memory:', { now: () => clock.now });
  open.push(db);
  return db;
}

describe('LeadRepository, MessageRepository, HandoffRepository', () => {
  it('stores a lead with its answers, score, reasons and outcome, and lists leads oldest first', () => {
    const db = database();
    const hot = db.leads.add({ answers: { need: 'health checks', size: '40 staff' }, score: 75, reasons: ['a large team', 'wants services we offer'], outcome: 'handoff', visitorName: 'Bob Jones', contact: 'bob@example.com' });
    expect(hot).toEqual({ id: 1, answers: { need: 'health checks', size: '40 staff' }, score: 75, reasons: ['a large team', 'wants services we offer'], outcome: 'handoff', visitorName: 'Bob Jones', contact: 'bob@example.com', createdAt: '2026-12-01T09:00:00.000Z' });
    const cold = db.leads.add({ answers: {}, score: 0, reasons: [], outcome: 'follow-up', visitorName: null, contact: null });
    expect(db.leads.list()).toEqual([hot, cold]);
  });

  it('refuses a lead outcome the schema does not know', () => {
    const db = database();
    const error = thrown(StorageError, () => db.leads.add({ answers: {}, score: 1, reasons: [], outcome: 'maybe' as 'handoff', visitorName: null, contact: null }));
    expect(error.message).toContain('CHECK constraint');
    expect(db.leads.list()).toEqual([]);
  });

  it('stores messages and refuses an empty one', () => {
    const db = database();
    const message = db.messages.add({ visitorName: 'Anna', contact: '07700 900123', text: 'Please call me about my results.' });
    expect(message).toEqual({ id: 1, visitorName: 'Anna', contact: '07700 900123', text: 'Please call me about my results.', createdAt: '2026-12-01T09:00:00.000Z' });
    thrown(StorageError, () => db.messages.add({ visitorName: null, contact: null, text: '' }));
    expect(db.messages.list()).toEqual([message]);
  });

  it('stores handoffs with whether staff were on duty', () => {
    const db = database();
    const now = db.handoffs.add({ reason: 'asked', urgency: 'normal', summary: 'Visitor asked for a person.', staffAvailable: true });
    const later = db.handoffs.add({ reason: 'upset', urgency: 'high', summary: 'Visitor is upset about a wait.', staffAvailable: false });
    expect(db.handoffs.list()).toEqual([now, later]);
    expect(later).toMatchObject({ id: 2, staffAvailable: false, urgency: 'high' });
    thrown(StorageError, () => db.handoffs.add({ reason: 'asked', urgency: 'urgent' as 'high', summary: 'x', staffAvailable: true }));
  });
});

describe('KnowledgeGapRepository', () => {
  it('counts the same question however it is written, keeping the first wording and both times', () => {
    const clock = { now: new Date('2026-12-01T09:00:00.000Z') };
    const db = database(clock);
    expect(db.gaps.record('Do you do flu jabs?')).toMatchObject({ count: 1, question: 'Do you do flu jabs?' });
    clock.now = new Date('2026-12-02T10:00:00.000Z');
    expect(db.gaps.record('  do you   do FLU jabs ')).toEqual({ id: 1, question: 'Do you do flu jabs?', count: 2, firstAskedAt: '2026-12-01T09:00:00.000Z', lastAskedAt: '2026-12-02T10:00:00.000Z' });
    db.gaps.record('Is there a dentist?');
    clock.now = new Date('2026-12-03T10:00:00.000Z');
    db.gaps.record('Can I bring my dog?');
    db.gaps.record('do you do flu jabs');
    // Most asked first; between equals, the most recently asked.
    expect(db.gaps.list().map((gap) => [gap.question, gap.count])).toEqual([
      ['Do you do flu jabs?', 3],
      ['Can I bring my dog?', 1],
      ['Is there a dentist?', 1],
    ]);
  });

  it('refuses a question with no words and caps a very long one', () => {
    const db = database();
    thrown(StorageError, () => db.gaps.record(' ?! '));
    const long = db.gaps.record(`why ${'very '.repeat(300)}long`);
    expect(long.question.length).toBe(500);
    expect(db.gaps.list()).toHaveLength(1);
  });
});
