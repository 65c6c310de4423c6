import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AudioSink } from '../../src/audio/AudioSink.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { monotonicMs } from '../../src/system/clock.js';
import { markProblems, type Turn } from '../../src/turn/Turn.js';
import { TurnRun } from '../../src/turn/TurnRun.js';
import type { BrainRequest, MouthRequest } from '../../src/workers/protocol.js';

const config = configSchema.parse({ llm: { firstTokenTimeoutMs: 1000 }, dialog: { maxTurnSeconds: 30 } });

/** A sink that records what it is given; drain can be made to fail like a dead player. */
class RecordingSink implements AudioSink {
  readonly sampleRate = 16000;
  readonly written: Int16Array[] = [];
  drainError: Error | undefined;
  stopped = 0;
  write(samples: Int16Array): void {
    this.written.push(samples);
  }
  async drain(): Promise<void> {
    if (this.drainError) throw this.drainError;
  }
  stop(): void {
    this.stopped++;
  }
  position(): number {
    return this.written.reduce((n, s) => n + s.length, 0);
  }
  async close(): Promise<void> {}
}

function setup(transcript = 'where is the lift', streaming = true) {
  const brain: BrainRequest[] = [];
  const mouth: MouthRequest[] = [];
  const sink = new RecordingSink();
  let ids = 0;
  const now = monotonicMs();
  const turn: Turn = {
    id: 7,
    trigger: 'vad',
    transcript,
    reply: '',
    path: 'llm',
    marks: { speechStart: now - 2000, speechEnd: now - 500, endpoint: now - 100, asrFinal: now },
    compute: {},
  };
  const run = new TurnRun(turn, {
    config,
    sink,
    logger: createLogger('silent'),
    streaming,
    postBrain: (r) => brain.push(r),
    postMouth: (r) => mouth.push(r),
    nextSpeechId: () => ++ids,
  });
  let answered = 0;
  /** Phrases sent to the mouth that it has not answered yet. */
  const speaks = () => mouth.filter((r): r is Extract<MouthRequest, { type: 'speak' }> => r.type === 'speak').slice(answered);
  /** Has the mouth answer every pending phrase with one chunk of audio. */
  const mouthSpeaksAll = () => {
    for (const s of speaks()) {
      answered++;
      run.onMouthEvent({ type: 'audio', turnId: s.turnId, phraseIndex: s.phraseIndex, samples: new Int16Array(160), at: monotonicMs() });
      run.onMouthEvent({ type: 'phraseDone', turnId: s.turnId, phraseIndex: s.phraseIndex, startedAt: monotonicMs(), firstAudioAt: monotonicMs(), doneAt: monotonicMs(), aborted: false });
    }
  };
  return { run, turn, brain, mouth, sink, speaks, mouthSpeaksAll };
}

const text = (at = monotonicMs()) => (t: string) => ({ type: 'text' as const, turnId: 7, text: t, at });
const done = (receivedAt: number, path: 'llm' | 'rule' = 'llm') => ({ type: 'done' as const, turnId: 7, path, receivedAt, doneAt: monotonicMs(), aborted: false });

afterEach(() => vi.useRealTimers());

describe('TurnRun', () => {
  it('streams phrases to the mouth as the text comes and finishes with every mark in order', async () => {
    const { run, turn, brain, speaks, mouthSpeaksAll, sink } = setup();
    const receivedAt = monotonicMs();
    run.start();
    expect(brain).toEqual([{ type: 'reply', turnId: 7, text: 'where is the lift' }]);
    for (const t of ['The lift ', 'is behind ', 'you, ', 'next to ', 'the stairs. ', 'Take it up.']) run.onBrainEvent(text()(t));
    // The first phrase left at the clause boundary, before the reply was complete.
    expect(speaks().map((s) => s.text)).toEqual(['The lift is behind you,', 'next to the stairs.']);
    mouthSpeaksAll();
    run.onBrainEvent(done(receivedAt));
    expect(speaks().map((s) => s.text)).toEqual(['Take it up.']);
    mouthSpeaksAll();
    const finished = await run.done;
    expect(finished.path).toBe('llm');
    expect(finished.reply).toBe('The lift is behind you, next to the stairs. Take it up.');
    expect(markProblems(finished)).toEqual([]);
    expect(sink.written).toHaveLength(3);
    expect(turn.compute.llm).toBeGreaterThanOrEqual(0);
  });

  it('holds all audio until the whole reply is synthesised when not streaming (the baseline)', async () => {
    const { run, speaks, mouthSpeaksAll, sink } = setup('hello', false);
    run.start();
    run.onBrainEvent(text()('Hello there, welcome. '));
    expect(speaks()).toEqual([]);
    run.onBrainEvent(done(monotonicMs()));
    expect(speaks().map((s) => s.text)).toEqual(['Hello there, welcome.']);
    mouthSpeaksAll();
    await run.done;
    expect(sink.written).toHaveLength(1);
  });

  it('speaks the fallback when the model gives no first token in time, and aborts it', async () => {
    vi.useFakeTimers();
    const { run, brain, speaks, mouthSpeaksAll } = setup();
    run.start();
    vi.advanceTimersByTime(1001);
    expect(brain.at(-1)).toEqual({ type: 'abort', turnId: 7 });
    expect(speaks().map((s) => s.text)).toEqual([config.dialog.fallbackReply]);
    // Late text from the abandoned model is ignored.
    run.onBrainEvent(text()('Too late. '));
    mouthSpeaksAll();
    const finished = await run.done;
    expect(finished.path).toBe('fallback');
    expect(finished.problem).toMatch(/no reply within 1000 ms/);
    expect(markProblems(finished)).toEqual([]);
  });

  it('asks the visitor to repeat when no words were recognised', async () => {
    const { run, brain, speaks, mouthSpeaksAll } = setup('   ');
    run.start();
    expect(brain).toEqual([]);
    expect(speaks().map((s) => s.text)).toEqual([config.dialog.notUnderstoodReply]);
    mouthSpeaksAll();
    expect((await run.done).path).toBe('fallback');
  });

  it('falls back when the brain fails before any text, and closes a half-spoken reply when it fails later', async () => {
    const first = setup();
    first.run.start();
    first.run.onBrainEvent({ type: 'error', turnId: 7, message: 'model exploded' });
    expect(first.speaks().map((s) => s.text)).toEqual([config.dialog.fallbackReply]);
    first.mouthSpeaksAll();
    expect(await first.run.done).toMatchObject({ path: 'fallback', problem: 'model exploded' });

    const second = setup();
    second.run.start();
    second.run.onBrainEvent(text()('The lift is behind you, and '));
    second.mouthSpeaksAll();
    second.run.onBrainLost('brain worker exited with code 1');
    const finished = await second.run.done;
    expect(finished.reply).toBe('The lift is behind you, and');
    expect(finished.problem).toMatch(/exited/);
  });

  it('ignores audio that arrives for another reply', async () => {
    const { run, speaks, sink, mouthSpeaksAll } = setup();
    run.start();
    run.onBrainEvent(text()('One two three, four '));
    const other = speaks()[0]!.turnId + 100;
    run.onMouthEvent({ type: 'audio', turnId: other, phraseIndex: 0, samples: new Int16Array(160), at: monotonicMs() });
    run.onMouthEvent({ type: 'phraseDone', turnId: other, phraseIndex: 0, startedAt: 0, firstAudioAt: 0, doneAt: 0, aborted: false });
    expect(sink.written).toHaveLength(0);
    run.onBrainEvent(done(monotonicMs()));
    mouthSpeaksAll();
    await run.done;
    expect(sink.written).toHaveLength(2);
  });

  it('ends a turn whose mouth never answers after maxTurnSeconds, cutting playback', async () => {
    vi.useFakeTimers();
    const { run, brain, mouth, sink } = setup();
    run.start();
    run.onBrainEvent(text()('Hello there, how are you? '));
    run.onBrainEvent(done(monotonicMs()));
    vi.advanceTimersByTime(30_001);
    const finished = await run.done;
    expect(finished.problem).toMatch(/did not finish within 30 s/);
    expect(mouth.some((r) => r.type === 'stop')).toBe(true);
    expect(brain.some((r) => r.type === 'abort')).toBe(true);
    expect(sink.stopped).toBe(1);
  });

  it('finishes the turn when the player dies during the reply', async () => {
    const { run, sink, mouthSpeaksAll } = setup();
    sink.drainError = new Error('aplay exited with code 1');
    run.start();
    run.onBrainEvent(text()('Hello there. '));
    run.onBrainEvent(done(monotonicMs(), 'rule'));
    mouthSpeaksAll();
    const finished = await run.done;
    expect(finished.path).toBe('rule');
    expect(finished.problem).toMatch(/playback failed: aplay exited/);
  });

  it('ends at once when the mouth is lost', async () => {
    const { run } = setup();
    run.start();
    run.onBrainEvent(text()('Hello there, friend. '));
    run.onMouthLost('mouth worker exited with code 1');
    expect((await run.done).problem).toMatch(/mouth worker exited/);
  });
});
