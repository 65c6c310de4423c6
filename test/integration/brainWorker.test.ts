import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { monotonicMs } from '../../src/system/clock.js';
import { EngineWorker, WorkerStartError } from '../../src/workers/EngineWorker.js';
import type { WorkerError } from '../../src/workers/control.js';
import type { BrainEvent, BrainInit, BrainRequest } from '../../src/workers/protocol.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const config = configSchema.parse({ llm: { threads: 1, maxTokens: 200 } });
const logger = createLogger('silent');
type Brain = EngineWorker<BrainInit, BrainRequest, BrainEvent>;

function brainWorker(init: Partial<BrainInit> = {}): Brain {
  return new EngineWorker({
    name: 'brain',
    init: { llm: config.llm, dialog: config.dialog, modelsDir: sharedModelsDir, logLevel: 'silent', ...init },
    logger,
  });
}

/** Collects the brain's events for one turn until `done` (or an error). */
function collect(brain: Brain, turnId: number, onText?: (count: number) => void): Promise<(BrainEvent | WorkerError)[]> {
  return new Promise((resolve) => {
    const events: (BrainEvent | WorkerError)[] = [];
    const listener = (event: BrainEvent | WorkerError) => {
      if (!('turnId' in event) || event.turnId !== turnId) return;
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
    brain.post({ type: 'reply', turnId: 1, text: 'Tell me a story about a dog.' });
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
        brain.post({ type: 'abort', turnId: 2 });
      }
    });
    brain.post({ type: 'reply', turnId: 2, text: 'Once upon a time there was a very long story.' });
    const all = await events;
    const done = all.at(-1);
    expect(done).toMatchObject({ type: 'done', aborted: true });
    if (done?.type !== 'done') throw new Error('no done event');
    const stopMs = done.doneAt - abortedAt;
    expect(stopMs).toBeLessThan(50);
    expect(all.filter((e) => e.type === 'text' && e.at > abortedAt + 50)).toEqual([]);
  });

  it('answers from the rules without the model', async () => {
    const events = collect(brain, 3);
    brain.post({ type: 'reply', turnId: 3, text: 'what are your opening hours' });
    const all = await events;
    expect(all[0]).toMatchObject({ type: 'text', text: config.dialog.rules[0]!.reply });
    expect(all.at(-1)).toMatchObject({ type: 'done', path: 'rule' });
  });

  it('accepts preloads and a new conversation between turns', async () => {
    brain.post({ type: 'preload', text: 'Where is the' });
    brain.post({ type: 'newConversation' });
    const events = collect(brain, 4);
    brain.post({ type: 'reply', turnId: 4, text: 'Where is the pharmacy?' });
    expect((await events).at(-1)).toMatchObject({ type: 'done', path: 'llm' });
  });

  it('is restarted by the supervisor after a crash and serves again', async () => {
    const restarted = new Promise<void>((resolve) => brain.once('restarted', resolve));
    const crashed = new Promise<Error>((resolve) => brain.once('crash', resolve));
    await brain.crashForTesting();
    expect((await crashed).message).toMatch(/brain worker exited/);
    await restarted;
    const events = collect(brain, 5);
    brain.post({ type: 'reply', turnId: 5, text: 'Hello' });
    expect((await events).at(-1)).toMatchObject({ type: 'done' });
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
