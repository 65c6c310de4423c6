import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { monotonicMs } from '../../src/system/clock.js';
import { EngineWorker, WorkerStartError } from '../../src/workers/EngineWorker.js';
import type { WorkerError } from '../../src/workers/control.js';
import type { BrainEvent, BrainInit, BrainRequest } from '../../src/workers/protocol.js';
import { bookableWeekdayAtTen } from '../helpers/bookableDay.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const RULE_REPLY = 'The lifts are behind reception.';
const config = configSchema.parse({
  llm: { threads: 1, maxTokens: 200 },
  dialog: { rules: [{ match: ['where are the lifts'], reply: RULE_REPLY }] },
  site: exampleSite(),
});
const work = mkdtempSync(join(tmpdir(), 'kv-brain-'));
const storagePath = join(work, 'frontdesk.sqlite');
afterAll(() => rmSync(work, { recursive: true, force: true }));
const logger = createLogger('silent');
type Brain = EngineWorker<BrainInit, BrainRequest, BrainEvent>;

function brainWorker(init: Partial<BrainInit> = {}): Brain {
  return new EngineWorker({
    name: 'brain',
    init: { llm: config.llm, dialog: config.dialog, site: config.site, endpointing: config.turn.endpointing, storagePath, modelsDir: sharedModelsDir, logLevel: 'silent', ...init },
    logger,
  });
}

/** Collects the brain's events for one turn (posted with the turn id as its request id) until `done` (or an error). */
function collect(brain: Brain, turnId: number, onText?: (count: number) => void): Promise<(BrainEvent | WorkerError)[]> {
  return new Promise((resolve) => {
    const events: (BrainEvent | WorkerError)[] = [];
    const listener = (event: BrainEvent | WorkerError) => {
      const id = 'requestId' in event ? event.requestId : 'turnId' in event ? event.turnId : undefined;
      if (id !== turnId) return;
      events.push(event);
      if (event.type === 'text') onText?.(events.filter((e) => e.type === 'text').length);
      if (event.type === 'done' || event.type === 'error') {
        brain.off('event', listener);
        resolve(events);
      }
    };
    brain.on('event', listener);
  });
}

describe('brain worker with stories260K (real node-llama-cpp)', () => {
  sharedFile('llm/stories260K.gguf');
  const brain = brainWorker();
  beforeAll(async () => {
    await brain.start();
  });
  afterAll(async () => {
    await brain.stop();
  });

  it('streams the reply as many text events, then done on the llm path', async () => {
    const events = collect(brain, 1);
    brain.post({ type: 'reply', requestId: 1, turnId: 1, text: 'Tell me a story about a dog.' });
    const all = await events;
    const texts = all.filter((e) => e.type === 'text');
    expect(texts.length).toBeGreaterThan(5);
    expect(texts.map((e) => e.text).join('').trim().length).toBeGreaterThan(20);
    const done = all.at(-1);
    expect(done).toMatchObject({ type: 'done', path: 'llm', aborted: false });
    // Text is stamped as it is generated: the stamps rise.
    const stamps = texts.map((e) => e.at);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
  });

  it('stops generating within 50 ms of an abort', async () => {
    let abortedAt = 0;
    const events = collect(brain, 2, (count) => {
      if (count === 3) {
        abortedAt = monotonicMs();
        brain.post({ type: 'abort', requestId: 2 });
      }
    });
    brain.post({ type: 'reply', requestId: 2, turnId: 2, text: 'Once upon a time there was a very long story.' });
    const all = await events;
    const done = all.at(-1);
    expect(done).toMatchObject({ type: 'done', aborted: true });
    if (done?.type !== 'done') throw new Error('no done event');
    const stopMs = done.doneAt - abortedAt;
    expect(stopMs).toBeLessThan(50);
    expect(all.filter((e) => e.type === 'text' && e.at > abortedAt + 50)).toEqual([]);
  });

  it('answers from the rules and from the site without the model', async () => {
    let events = collect(brain, 3);
    brain.post({ type: 'reply', requestId: 3, turnId: 3, text: 'where are the lifts' });
    let all = await events;
    expect(all).toEqual([expect.objectContaining({ type: 'text', text: RULE_REPLY }), expect.objectContaining({ type: 'done', path: 'rule' })]);
    events = collect(brain, 30);
    brain.post({ type: 'reply', requestId: 30, turnId: 30, text: 'what are your opening ours' });
    all = await events;
    expect(all[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/\b(open|closed)\b.*\d\d:\d\d/i) });
    expect(all.at(-1)).toMatchObject({ type: 'done', path: 'rule' });
  });

  it('books through the dialog only after a yes, reports the booking, and keeps it in the database', async () => {
    const { weekday, start } = bookableWeekdayAtTen(config.site, 'checkup');
    let events = collect(brain, 31);
    brain.post({ type: 'reply', requestId: 31, turnId: 31, text: `i want to book a check up on ${weekday} at ten` });
    let all = await events;
    expect(all[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/10:00.*\?/) });
    expect(all.some((e) => e.type === 'frontDesk')).toBe(false);
    events = collect(brain, 32);
    brain.post({ type: 'reply', requestId: 32, turnId: 32, text: 'yes please' });
    all = await events;
    const booked = all.find((e) => e.type === 'frontDesk');
    expect(booked).toMatchObject({ type: 'frontDesk', turnId: 32, event: { type: 'appointment', action: 'booked', serviceId: 'checkup' } });
    expect(DateTime.fromISO((booked as { event: { startUtc: string } }).event.startUtc).toMillis()).toBe(start.toMillis());
    const db = FrontDeskDatabase.open(storagePath, { readonly: true });
    try {
      expect(db.appointments.list().map((a) => a.serviceId)).toEqual(['checkup']);
    } finally {
      db.close();
    }
  });

  it('raises a handoff event when the visitor asks for a person', async () => {
    const events = collect(brain, 33);
    brain.post({ type: 'reply', requestId: 33, turnId: 33, text: 'can i talk to a real person please' });
    const all = await events;
    expect(all.find((e) => e.type === 'frontDesk')).toMatchObject({ event: { type: 'handoff', reason: 'asked' } });
    expect(all.at(-1)).toMatchObject({ type: 'done', path: 'rule' });
  });

  it('accepts preloads and a new conversation between turns', async () => {
    brain.post({ type: 'preload', text: 'Where is the' });
    brain.post({ type: 'newConversation' });
    const events = collect(brain, 4);
    brain.post({ type: 'reply', requestId: 4, turnId: 4, text: 'Where is the pharmacy?' });
    const all = await events;
    expect(all.at(-1)).toMatchObject({ type: 'done', path: 'llm' });
    // What went to the model is a knowledge gap for the operator.
    expect(all).toContainEqual(expect.objectContaining({ type: 'frontDesk', event: { type: 'knowledgeGap', question: 'Where is the pharmacy?' } }));
  });

  it('is restarted by the supervisor after a crash and serves again', async () => {
    const restarted = new Promise<void>((resolve) => brain.once('restarted', resolve));
    const crashed = new Promise<Error>((resolve) => brain.once('crash', resolve));
    await brain.crashForTesting();
    expect((await crashed).message).toMatch(/brain worker exited/);
    await restarted;
    const events = collect(brain, 5);
    brain.post({ type: 'reply', requestId: 5, turnId: 5, text: 'Hello' });
    expect((await events).at(-1)).toMatchObject({ type: 'done' });
  });
});

describe('brain worker: speculative replies and the llm end-of-turn probe (real dialog, SQLite and stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  const brain = brainWorker({ storagePath: join(work, 'speculation.sqlite'), endpointing: { ...config.turn.endpointing, backend: 'llm' } });
  beforeAll(async () => {
    await brain.start();
  });
  afterAll(async () => {
    await brain.stop();
  });
  const ask = async (requestId: number, text: string, speculative = false) => {
    const events = collect(brain, requestId);
    brain.post({ type: 'reply', requestId, turnId: requestId, text, ...(speculative && { speculative: true }) });
    return events;
  };
  const gaps = () => {
    const db = FrontDeskDatabase.open(join(work, 'speculation.sqlite'), { readonly: true });
    try {
      return db.gaps.list().length;
    } finally {
      db.close();
    }
  };

  it('a simple question is answered ahead from the site, and nothing is recorded until it is kept', async () => {
    const all = await ask(40, 'where are the lifts', true);
    expect(all).toEqual([expect.objectContaining({ type: 'text', text: RULE_REPLY }), expect.objectContaining({ type: 'done', path: 'rule', aborted: false })]);
    brain.post({ type: 'settleSpeculation', turnId: 40, keep: true });
  });

  it('words that would start a flow are declined ahead; the booking starts only with the final words', async () => {
    const { weekday } = bookableWeekdayAtTen(config.site, 'checkup');
    const declined = await ask(41, `i want to book a check up on ${weekday} at ten`, true);
    expect(declined).toEqual([expect.objectContaining({ type: 'done', declined: true })]);
    brain.post({ type: 'settleSpeculation', turnId: 41, keep: false });
    const real = await ask(42, `i want to book a check up on ${weekday} at ten`);
    expect(real[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/10:00.*\?/) });
    // "yes" in the confirmation is declined ahead: a speculation never books.
    const yes = await ask(43, 'yes please', true);
    expect(yes).toEqual([expect.objectContaining({ type: 'done', declined: true })]);
    brain.post({ type: 'settleSpeculation', turnId: 43, keep: false });
    brain.post({ type: 'newConversation' });
  });

  it('a model reply made ahead and thrown away logs no knowledge gap; kept, it logs one', async () => {
    const before = gaps();
    const thrown = await ask(44, 'Tell me about the moon.', true);
    expect(thrown.at(-1)).toMatchObject({ type: 'done', path: 'llm' });
    expect(thrown.some((e) => e.type === 'frontDesk')).toBe(false);
    brain.post({ type: 'settleSpeculation', turnId: 44, keep: false });
    const kept = await ask(45, 'Tell me about the sun.', true);
    expect(kept.filter((e) => e.type === 'text').length).toBeGreaterThan(0);
    const raised = new Promise<BrainEvent | WorkerError>((resolve) => brain.once('event', resolve));
    brain.post({ type: 'settleSpeculation', turnId: 45, keep: true });
    expect(await raised).toMatchObject({ type: 'frontDesk', turnId: 45, event: { type: 'knowledgeGap', question: 'Tell me about the sun.' } });
    expect(gaps()).toBe(before + 1);
  });

  it('answers an end-of-turn query with a verdict and the probability behind it', async () => {
    const answer = new Promise<BrainEvent | WorkerError>((resolve) => {
      const listener = (event: BrainEvent | WorkerError) => {
        if (event.type !== 'endOfTurn') return;
        brain.off('event', listener);
        resolve(event);
      };
      brain.on('event', listener);
    });
    brain.post({ type: 'endOfTurn', queryId: 7, text: 'is there a slot on' });
    const event = await answer;
    expect(event).toMatchObject({ type: 'endOfTurn', queryId: 7, verdict: { completeness: expect.stringMatching(/^(complete|unsure|unfinished)$/), probability: expect.any(Number) } });
    if (event.type !== 'endOfTurn' || !event.verdict) throw new Error('no verdict');
    expect(event.verdict.probability).toBeGreaterThanOrEqual(0);
    expect(event.verdict.probability).toBeLessThanOrEqual(1);
  });
});

describe('brain worker start-up errors', () => {
  it('reports a missing model as a start error with what to do, without restarting', async () => {
    const brain = brainWorker({ llm: { ...config.llm, model: 'llm/does-not-exist.gguf' } });
    await expect(brain.start()).rejects.toThrow(WorkerStartError);
    await expect(brainWorker({ llm: { ...config.llm, model: 'llm/does-not-exist.gguf' } }).start()).rejects.toMatchObject({
      message: expect.stringMatching(/LLM model \(GGUF\) not found at .*does-not-exist\.gguf/),
      hint: expect.stringMatching(/kiosk-voice models fetch/),
    });
  });

  it('reports a file that is not a GGUF model', async () => {
    const brain = brainWorker({ llm: { ...config.llm, model: sharedFile('audio/transcripts.tsv') } });
    await expect(brain.start()).rejects.toThrow(/could not load the LLM/);
  });
});
