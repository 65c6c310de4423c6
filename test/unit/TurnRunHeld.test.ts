import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { FixedPrompts } from '../../src/turn/FixedPrompts.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import type { Turn } from '../../src/turn/Turn.js';
import { TurnRun } from '../../src/turn/TurnRun.js';
import { FakeBrain, FakeMouth, FakeSpeaker } from '../fakes/FakeEngines.js';

afterEach(() => vi.useRealTimers());

/** A held (speculative) run, as the controller starts one at a pause. */
async function heldRun({ disclose = false } = {}) {
  const config = configSchema.parse({ turn: { acknowledgeAfterMs: 300, firstTokenTimeoutMs: 500 } });
  const brain = new FakeBrain();
  const mouth = new FakeMouth(1600);
  const prompts = await FixedPrompts.synthesize(mouth, { acknowledgement: 'One moment.', apology: 'Sorry.', fallback: 'Ask at the desk.', notUnderstood: 'Say again?', disclosure: 'I am an automated assistant.' });
  mouth.spoken.length = 0;
  vi.useFakeTimers({ now: 1_000_000 });
  const sink = new FakeSpeaker();
  const turn: Turn = { id: 3, trigger: 'vad', transcript: 'when do you open', reply: '', path: 'llm', marks: { speculationStart: Date.now() }, compute: {} };
  const run = new TurnRun(turn, { config, brain, mouth, speaker: new PlaybackLedger(sink), prompts, logger: createLogger('silent'), held: true, disclose, now: () => Date.now() });
  let finished: Turn | undefined;
  void run.done.then((t) => (finished = t));
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
  return { run, brain, mouth, sink, turn, tick, finished: () => finished };
}

describe('TurnRun held (a speculative reply)', () => {
  it('asks the brain speculatively, makes the audio and holds it: no write, no acknowledgement, no disclosure until release', async () => {
    const t = await heldRun({ disclose: true });
    t.brain.next = { kind: 'text', chunks: ['We open at nine.'] };
    t.run.start();
    await t.tick(2000);
    expect(t.brain.speculations).toEqual([{ turnId: 3, text: 'when do you open' }]);
    expect(t.mouth.spoken).toEqual(['We open at nine.']);
    expect(t.sink.writes).toEqual([]);
    expect(t.turn.marks.acknowledged).toBeUndefined();
    expect(t.finished()).toBeUndefined();
    const releasedAt = Date.now();
    t.run.release();
    await t.tick(0);
    // The disclosure first, then the reply made while the visitor was silent.
    expect(t.sink.writes.map((w) => w.at)).toEqual([releasedAt, releasedAt]);
    expect(t.sink.writes[1]!.samples).toBe(4 * 1600);
    await t.tick(5000);
    expect(t.finished()).toMatchObject({ outcome: 'answered', reply: 'We open at nine.' });
    expect(t.turn.marks.playbackStart).toBe(releasedAt);
    // Everything was made before the release: nothing of it is on the way to the first audio.
    expect(t.turn.compute).toMatchObject({ llm: 0, tts: 0 });
  });

  it('released before the reply is ready: the budgets start at the release and the rest streams as it comes', async () => {
    const t = await heldRun();
    t.brain.next = { kind: 'manual' };
    t.run.start();
    await t.tick(1000);
    t.run.release();
    await t.tick(300);
    expect(t.turn.marks.acknowledged).toBe(1_001_300);
    t.brain.send('We open at nine.');
    t.brain.end();
    await t.tick(5000);
    expect(t.finished()).toMatchObject({ outcome: 'answered' });
    expect(t.turn.compute.llm).toBeGreaterThan(0);
  });

  it('discard drops it: nothing is written, the brain is aborted, the run ends without an outcome', async () => {
    const t = await heldRun();
    t.brain.next = { kind: 'hang' };
    t.run.start();
    await t.tick(100);
    t.run.discard();
    await t.tick(10_000);
    expect(t.run.active).toBe(false);
    expect(t.brain.aborted).toBe(1);
    expect(t.sink.writes).toEqual([]);
    expect(t.sink.stops).toEqual([]);
    expect(t.finished()?.outcome).toBeUndefined();
  });

  it('a held run that fails does not stop the speaker (it is not the held run\'s) and cannot be released', async () => {
    const t = await heldRun();
    t.brain.next = { kind: 'fail', message: 'model crashed' };
    t.run.start();
    await t.tick(10);
    expect(t.finished()).toMatchObject({ outcome: 'failed', problem: 'model crashed' });
    expect(t.sink.stops).toEqual([]);
    t.run.release();
    await t.tick(1000);
    expect(t.sink.writes).toEqual([]);
  });

  it('declined by the brain: it ends at once, marked declined, having said nothing', async () => {
    const t = await heldRun();
    t.brain.declineSpeculation = true;
    t.run.start();
    await t.tick(10);
    expect(t.run.declined).toBe(true);
    expect(t.run.active).toBe(false);
    expect(t.mouth.spoken).toEqual([]);
  });
});
