import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { monotonicMs } from '../../src/system/clock.js';
import type { WorkerError } from '../../src/workers/control.js';
import { EngineWorker, WorkerHungError, WorkerStartError, type EngineWorkerSettings } from '../../src/workers/EngineWorker.js';
import type {
  BrainEvent,
  BrainInit,
  BrainRequest,
  EarsEvent,
  EarsInit,
  EarsRequest,
  MouthEvent,
  MouthInit,
  MouthReadyInfo,
  MouthRequest,
} from '../../src/workers/protocol.js';
import type { ControlTestEvent, ControlTestInit, ControlTestReadyInfo, ControlTestRequest } from '../fixtures/workers/controlTestProtocol.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

type TestWorker = EngineWorker<ControlTestInit, ControlTestRequest, ControlTestEvent, ControlTestReadyInfo>;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const WARN = 40;

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const tempDir = useTempDirs('kiosk-worker-control-');
const started: { stop(timeoutMs?: number): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.stop(500)));
});

function testWorker(
  options: Partial<Omit<EngineWorkerSettings<ControlTestInit>, 'init'>> & { disposeHangs?: boolean } = {},
): { worker: TestWorker; markerFile: string; lines: LogLine[] } {
  const { disposeHangs, ...settings } = options;
  const { logger, lines } = capturingLogger();
  const markerFile = join(tempDir(), 'disposed');
  const worker: TestWorker = new EngineWorker({
    name: 'controlTest',
    entry: new URL('../fixtures/workers/controlTestWorker.ts', import.meta.url),
    init: { logLevel: 'silent', markerFile, disposeHangs },
    logger,
    ...settings,
  });
  started.push(worker);
  return { worker, markerFile, lines };
}

/** The next domain event (or request error) the worker emits. */
function nextEvent(worker: TestWorker): Promise<ControlTestEvent | WorkerError> {
  return new Promise((resolve) => worker.once('event', resolve));
}

/** Blocks this (the main) thread, as a long synchronous call on the main thread would. */
function blockMainThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const config = configSchema.parse({ llm: { threads: 1 }, tts: { backend: 'espeak-ng' } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker control envelope', () => {
  it('reports ready with the typed info of the worker, then serves domain requests', async () => {
    const { worker } = testWorker();
    const ready = await worker.start();
    // Typed end to end: no cast between the entry's readyInfo and this read.
    const threadId: number = worker.ready.threadId;
    expect(threadId).toBeGreaterThan(0);
    expect(ready.loadMs).toBeGreaterThanOrEqual(0);
    expect(worker.health()).toMatchObject({ name: 'controlTest', state: 'ready', restarts: 0, lastError: undefined });
    const event = nextEvent(worker);
    worker.post({ type: 'echo', n: 7 });
    expect(await event).toEqual({ type: 'echoed', n: 7 });
  });

  it('hands a failed request to the listeners as an error event with its turn, and keeps serving', async () => {
    const { worker } = testWorker();
    await worker.start();
    const failed = nextEvent(worker);
    worker.post({ type: 'fail', turnId: 3 });
    expect(await failed).toEqual({ type: 'error', message: 'asked to fail', hint: 'nothing to do', turnId: 3 });
    expect(worker.health()).toMatchObject({ state: 'ready', lastError: 'asked to fail' });
    const echoed = nextEvent(worker);
    worker.post({ type: 'echo', n: 1 });
    expect(await echoed).toEqual({ type: 'echoed', n: 1 });
  });
});

describe('heartbeat', () => {
  const heartbeat = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600 };

  it('detects a worker whose thread is blocked, terminates it and restarts it', async () => {
    const { worker, lines } = testWorker(heartbeat);
    await worker.start();
    const firstThread = worker.ready.threadId;
    const hung = new Promise<{ error: WorkerHungError; at: number }>((resolve) => worker.once('hung', (error) => resolve({ error, at: monotonicMs() })));
    const crashed = new Promise<Error>((resolve) => worker.once('crash', resolve));
    const restarted = new Promise<void>((resolve) => worker.once('restarted', resolve));
    const blockedAt = monotonicMs();
    worker.post({ type: 'block', ms: 10_000 });

    const { error, at } = await hung;
    expect(error).toBeInstanceOf(WorkerHungError);
    // Silent for longer than the timeout, noticed within two intervals (plus scheduling slack).
    expect(at - blockedAt).toBeGreaterThan(heartbeat.heartbeatTimeoutMs);
    expect(at - blockedAt).toBeLessThan(heartbeat.heartbeatTimeoutMs + 2 * heartbeat.heartbeatIntervalMs + 400);
    expect(worker.health().state).toBe('hung');
    expect((await crashed).message).toMatch(/controlTest worker did not answer for \d+\.\d s/);
    await restarted;
    // Well before the blocked call would have returned: the stuck thread was terminated.
    expect(monotonicMs() - blockedAt).toBeLessThan(5000);
    expect(worker.ready.threadId).not.toBe(firstThread);
    expect(worker.health()).toMatchObject({ state: 'ready', restarts: 1, lastError: expect.stringMatching(/did not answer/) });
    expect(lines.filter((l) => l.level === WARN && /did not answer/.test(l.msg))).toHaveLength(1);

    const echoed = nextEvent(worker);
    worker.post({ type: 'echo', n: 2 });
    expect(await echoed).toEqual({ type: 'echoed', n: 2 });
    expect(worker.health().lastPongAgoMs).toBeLessThan(heartbeat.heartbeatTimeoutMs);
  });

  it('does not flag a worker that is busy with calls shorter than the timeout', async () => {
    const { worker } = testWorker(heartbeat);
    await worker.start();
    let hung = false;
    worker.on('hung', () => (hung = true));
    // Requests arrive spaced like live work, each blocking the thread for half the timeout.
    for (let i = 0; i < 6; i++) {
      worker.post({ type: 'block', ms: heartbeat.heartbeatTimeoutMs / 2 });
      await sleep(heartbeat.heartbeatTimeoutMs / 2 + 100);
    }
    expect(hung).toBe(false);
    expect(worker.health()).toMatchObject({ state: 'ready', restarts: 0 });
  });

  it('does not blame the worker when the main thread was the one blocked', async () => {
    const { worker } = testWorker(heartbeat);
    await worker.start();
    let hung = false;
    worker.on('hung', () => (hung = true));
    await sleep(300);
    blockMainThread(3 * heartbeat.heartbeatTimeoutMs);
    await sleep(4 * heartbeat.heartbeatIntervalMs);
    expect(hung).toBe(false);
    expect(worker.health().state).toBe('ready');
  });

  it('counts a hang toward the give-up limit', async () => {
    const { worker } = testWorker({ ...heartbeat, maxRestarts: 0 });
    await worker.start();
    const gaveUp = new Promise<Error>((resolve) => worker.once('gaveUp', resolve));
    worker.post({ type: 'block', ms: 10_000 });
    expect((await gaveUp).message).toMatch(/crashed 1 times/);
    expect(worker.health()).toMatchObject({ state: 'gaveUp', restarts: 0, lastPongAgoMs: undefined });
  });
});

describe('stop()', () => {
  it('lets the worker dispose its engine and exit 0, without terminating it', async () => {
    const { worker, markerFile, lines } = testWorker();
    await worker.start();
    const stopAt = monotonicMs();
    await worker.stop();
    expect(monotonicMs() - stopAt).toBeLessThan(1000);
    expect(existsSync(markerFile)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'worker stopped', code: 0 }));
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(worker.health()).toMatchObject({ state: 'stopped', lastPongAgoMs: undefined });
  });

  it('terminates a worker whose dispose does not finish within the timeout', async () => {
    const { worker, markerFile, lines } = testWorker({ disposeHangs: true });
    await worker.start();
    const stopAt = monotonicMs();
    await worker.stop(400);
    const stopMs = monotonicMs() - stopAt;
    expect(stopMs).toBeGreaterThanOrEqual(400);
    expect(stopMs).toBeLessThan(1500);
    expect(existsSync(markerFile)).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ level: WARN, msg: 'worker did not shut down in time; terminating it', timeoutMs: 400 }));
  });

  it('returns at once after a failed start: there is no worker left to ask', async () => {
    const { logger, lines } = capturingLogger();
    const brain = new EngineWorker<BrainInit, BrainRequest, BrainEvent>({
      name: 'brain',
      init: { llm: { ...config.llm, model: 'llm/does-not-exist.gguf' }, dialog: config.dialog, site: config.site, endpointing: config.turn.endpointing, storagePath: ':memory:', modelsDir: sharedModelsDir, logLevel: 'silent' },
      logger,
    });
    await expect(brain.start()).rejects.toThrow(WorkerStartError);
    expect(brain.health()).toMatchObject({ state: 'stopped', lastError: expect.stringMatching(/not found/) });
    const stopAt = monotonicMs();
    await brain.stop();
    expect(monotonicMs() - stopAt).toBeLessThan(100);
    expect(lines).toEqual([]);
  });
});

describe('real workers shut down gracefully', () => {
  /** Command lines of this process's child processes (worker threads spawn them as ours). */
  const children = () => execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });

  it('the ears end the pocketsphinx process on stop', async () => {
    sharedFile(config.vad.model);
    const { logger, lines } = capturingLogger();
    const ears = new EngineWorker<EarsInit, EarsRequest, EarsEvent>({
      name: 'ears',
      init: { vad: config.vad, asr: config.asr, wake: config.turn.wake, endpointing: config.turn.endpointing, site: config.site, rules: config.dialog.rules, modelsDir: sharedModelsDir, logLevel: 'silent' },
      logger,
    });
    started.push(ears);
    await ears.start();
    expect(children()).toMatch(/pocketsphinx-stream\.py/);
    await ears.stop();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'worker stopped', code: 0 }));
    // The child is killed by dispose(); give it a moment to be reaped.
    await sleep(200);
    expect(children()).not.toMatch(/pocketsphinx-stream\.py/);
  });


  it('the mouth reports its sample rate, typed, and disposes its synthesiser on stop', async () => {
    const { logger, lines } = capturingLogger();
    const mouth = new EngineWorker<MouthInit, MouthRequest, MouthEvent, MouthReadyInfo>({
      name: 'mouth',
      init: { tts: config.tts, modelsDir: sharedModelsDir, logLevel: 'silent' },
      logger,
    });
    started.push(mouth);
    await mouth.start();
    const sampleRate: number = mouth.ready.sampleRate;
    expect(sampleRate).toBe(22050);
    await mouth.stop();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'worker stopped', code: 0 }));
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
  });

  it('the brain disposes the LLM on stop and exits 0 within the timeout', async () => {
    sharedFile('llm/stories260K.gguf');
    const { logger, lines } = capturingLogger();
    const brain = new EngineWorker<BrainInit, BrainRequest, BrainEvent>({
      name: 'brain',
      init: { llm: config.llm, dialog: config.dialog, site: config.site, endpointing: config.turn.endpointing, storagePath: ':memory:', modelsDir: sharedModelsDir, logLevel: 'silent' },
      logger,
    });
    started.push(brain);
    await brain.start();
    await brain.stop();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'worker stopped', code: 0 }));
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
  });
});
