import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlaybackDeviceError } from '../../src/audio/playback/PlaybackDeviceError.js';
import type { PlaybackObserver } from '../../src/audio/playback/PlaybackObserver.js';
import { configSchema, type KioskConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { FixedPrompts } from '../../src/turn/FixedPrompts.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import { markProblems, type Turn } from '../../src/turn/Turn.js';
import { TurnRun } from '../../src/turn/TurnRun.js';
import { FakeBrain, FakeMouth, FakeSpeaker } from '../fakes/FakeEngines.js';

/** FakeMouth makes 1600 samples per word: 0.1 s of audio per word at 16 kHz. */
const SAMPLES_PER_WORD = 1600;
const MS_PER_WORD = 100;

const wordCount = (text: string) => text.trim().split(/\s+/).filter(Boolean).length;

/**
 * A fake speaker that reports like the device sinks do: when audio starts playing (`startDelayMs`
 * later: a player being opened) and what it lost when its player failed for good.
 */
class ReportingSpeaker extends FakeSpeaker {
  startDelayMs = 0;
  private observer: PlaybackObserver | undefined;
  private given = 0;
  private stale: Error | undefined;

  observe(observer: PlaybackObserver): void {
    this.observer = observer;
  }
  override write(samples: Int16Array): void {
    const from = this.given;
    this.given += samples.length;
    super.write(samples);
    const at = Date.now() + this.startDelayMs;
    if (this.startDelayMs === 0) this.observer?.playing(from, samples.length, at);
    else setTimeout(() => this.observer?.playing(from, samples.length, at), this.startDelayMs);
  }
  override drain(): Promise<void> {
    const stale = this.stale;
    this.stale = undefined;
    return stale ? Promise.reject(stale) : super.drain();
  }
  /** The player failed and a new one too: everything unplayed is dropped, and the next drain hears of it once. */
  loseUnplayed(error: PlaybackDeviceError): void {
    const heard = this.position();
    this.stop();
    this.given = heard;
    this.observer?.lost(heard, error);
    this.stale = error;
  }
}

interface SetupOptions {
  transcript?: string;
  streaming?: boolean;
  turn?: KioskConfigInput['turn'];
  sink?: FakeSpeaker;
}

async function setup({ transcript = 'where is the lift', streaming = true, turn: turnConfig = {}, sink = new FakeSpeaker() }: SetupOptions = {}) {
  const config = configSchema.parse({ turn: turnConfig });
  const brain = new FakeBrain();
  const mouth = new FakeMouth(SAMPLES_PER_WORD);
  // Prompts are made with real timers, before the test's fake clock starts; their texts are the
  // configured ones, as the app makes them.
  const prompts = await FixedPrompts.synthesize(mouth, {
    acknowledgement: config.turn.acknowledgement,
    apology: config.turn.apology,
    fallback: config.dialog.fallbackReply,
    notUnderstood: config.dialog.notUnderstoodReply,
    disclosure: config.site.disclosure,
  });
  mouth.spoken.length = 0;
  vi.useFakeTimers({ now: 1_000_000 });
  const now = Date.now();
  const turn: Turn = {
    id: 7,
    trigger: 'vad',
    transcript,
    reply: '',
    path: 'llm',
    marks: { speechStart: now - 2000, speechEnd: now - 500, endpoint: now - 100, asrFinal: now },
    compute: {},
  };
  let playbackStarts = 0;
  const speaker = new PlaybackLedger(sink);
  const run = new TurnRun(turn, {
    config,
    brain,
    mouth,
    speaker,
    prompts,
    logger: createLogger('silent'),
    streaming,
    onPlaybackStart: () => playbackStarts++,
    now: () => Date.now(),
  });
  let finished: Turn | undefined;
  void run.done.then((t) => (finished = t));
  /** Lets queued promise chains run, and the fake clock move on. */
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
  /** Samples given to the speaker so far. */
  const writtenSamples = () => sink.writes.reduce((n, w) => n + w.samples, 0);
  return {
    config,
    brain,
    mouth,
    sink,
    speaker,
    prompts,
    turn,
    run,
    tick,
    writtenSamples,
    /** The finished turn once `done` has resolved, else undefined (never await `done` on a fake clock). */
    finished: () => finished,
    playbackStarts: () => playbackStarts,
  };
}

beforeEach(() => vi.useRealTimers());
afterEach(() => vi.useRealTimers());

describe('TurnRun: streaming and the baseline', () => {
  it('streams phrases to the mouth as the chunker releases them, plays them in order and finishes with every mark in order', async () => {
    const t = await setup();
    t.brain.next = { kind: 'manual' };
    const startedAt = Date.now();
    t.run.start();
    await t.tick(0);
    expect(t.brain.calls).toEqual([{ turnId: 7, text: 'where is the lift' }]);

    t.brain.send('The lift ');
    await t.tick(100);
    t.brain.send('is behind ');
    await t.tick(100);
    // Four words and no boundary yet: nothing is spoken.
    expect(t.mouth.spoken).toEqual([]);
    expect(t.sink.writes).toEqual([]);
    t.brain.send('you, ');
    await t.tick(0);
    // The first phrase leaves early, at the first clause boundary, long before the reply is complete.
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
    expect(t.sink.writes).toEqual([{ at: startedAt + 200, samples: 5 * SAMPLES_PER_WORD }]);
    expect(t.playbackStarts()).toBe(1);
    expect(t.run.playing).toBe(true);

    await t.tick(100);
    t.brain.send('next to ');
    await t.tick(100);
    t.brain.send('the stairs. ');
    await t.tick(0);
    // Later phrases are whole sentences.
    expect(t.mouth.spoken).toEqual(['The lift is behind you,', 'next to the stairs.']);
    t.brain.send('Take it up.');
    await t.tick(100);
    // The last sentence has no whitespace after it yet: it waits for the end of the stream.
    expect(t.mouth.spoken).toHaveLength(2);
    t.brain.end();
    await t.tick(0);
    expect(t.mouth.spoken).toEqual(['The lift is behind you,', 'next to the stairs.', 'Take it up.']);
    // The run waits for the speaker to play everything out.
    expect(t.finished()).toBeUndefined();

    await t.tick(2000);
    const finished = t.finished();
    expect(finished).toBeDefined();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'llm', reply: 'The lift is behind you, next to the stairs. Take it up.' });
    expect(finished!.problem).toBeUndefined();
    expect(markProblems(finished!)).toEqual([]);
    expect(finished!.marks.llmFirstToken).toBe(startedAt);
    expect(finished!.marks.firstPhrase).toBe(startedAt + 200);
    expect(finished!.marks.playbackStart).toBe(startedAt + 200);
    // 12 words of audio from the first write: playback ended only once all of it had played.
    expect(finished!.marks.playbackEnd).toBeGreaterThanOrEqual(startedAt + 200 + 12 * MS_PER_WORD);
    expect(finished!.marks.acknowledged).toBeUndefined();
    expect(finished!.compute.llm).toBe(200);
    expect(finished!.compute.tts).toBeGreaterThanOrEqual(0);
    expect(t.playbackStarts()).toBe(1);
    // The phrases went to the speaker in order, and replyAudio holds exactly what was played.
    expect(t.sink.writes.map((w) => w.samples)).toEqual([5, 4, 3].map((n) => n * SAMPLES_PER_WORD));
    expect(t.run.replyAudio.map((a) => a.length)).toEqual(t.sink.writes.map((w) => w.samples));
    expect(t.sink.stops).toEqual([]);
  });

  it('baseline (streaming off): the whole reply is one phrase after generation, and no audio is written until all of it is made', async () => {
    const t = await setup({ transcript: 'hello', streaming: false });
    t.brain.next = { kind: 'manual' };
    t.mouth.wordDelayMs = 50;
    t.run.start();
    await t.tick(0);
    t.brain.send('Hello there, ');
    t.brain.send('welcome to the museum. ');
    await t.tick(200);
    // A streaming run would have spoken "Hello there, welcome to the museum." by now.
    expect(t.mouth.spoken).toEqual([]);
    t.brain.send('The cafe is upstairs.');
    await t.tick(100);
    expect(t.mouth.spoken).toEqual([]);
    t.brain.end();
    await t.tick(0);
    const reply = 'Hello there, welcome to the museum. The cafe is upstairs.';
    expect(t.mouth.spoken).toEqual([reply]);

    const words = wordCount(reply);
    expect(words).toBe(10);
    // 10 words at 50 ms each: the mouth is still synthesising, and nothing has been played.
    await t.tick(words * 50 - 10);
    expect(t.turn.marks.ttsFirstAudio).toBeDefined();
    expect(t.sink.writes).toEqual([]);
    expect(t.playbackStarts()).toBe(0);
    await t.tick(10);
    // The last word is made: everything goes to the speaker at once.
    expect(t.writtenSamples()).toBe(words * SAMPLES_PER_WORD);
    expect(new Set(t.sink.writes.map((w) => w.at)).size).toBe(1);
    expect(t.playbackStarts()).toBe(1);

    await t.tick(2000);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'llm', reply });
    expect(markProblems(finished!)).toEqual([]);
    expect(t.run.replyAudio.reduce((n, a) => n + a.length, 0)).toBe(words * SAMPLES_PER_WORD);
  });
});

describe('TurnRun: budgets', () => {
  it('a brain with no first token within firstTokenTimeoutMs fails the turn, aborts the brain and stops the speaker', async () => {
    const t = await setup({ turn: { firstTokenTimeoutMs: 1000, acknowledgeAfterMs: 2000 } });
    t.brain.next = { kind: 'hang' };
    t.run.start();
    await t.tick(999);
    expect(t.finished()).toBeUndefined();
    expect(t.brain.aborted).toBe(0);
    await t.tick(1);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'failed', path: 'fallback' });
    expect(finished!.problem).toMatch(/no reply within 1000 ms/);
    expect(t.brain.aborted).toBe(1);
    expect(t.sink.stops).toEqual([Date.now()]);
    expect(t.mouth.spoken).toEqual([]);
    expect(t.sink.writes).toEqual([]);
    // Nothing happens later either (the acknowledgement timer is gone with the turn).
    await t.tick(5000);
    expect(t.sink.writes).toEqual([]);
    expect(finished!.marks.acknowledged).toBeUndefined();
  });

  it('a reply with no audio after acknowledgeAfterMs gets the acknowledgement, once; then the reply plays', async () => {
    const t = await setup({ turn: { acknowledgeAfterMs: 500, firstTokenTimeoutMs: 4000 } });
    t.brain.next = { kind: 'manual' };
    t.run.start();
    await t.tick(499);
    expect(t.sink.writes).toEqual([]);
    expect(t.turn.marks.acknowledged).toBeUndefined();
    await t.tick(1);
    const ack = t.prompts.get('acknowledgement');
    expect(ack.samples.length).toBeGreaterThan(0);
    expect(t.sink.writes).toEqual([{ at: Date.now(), samples: ack.samples.length }]);
    expect(t.turn.marks.acknowledged).toBe(Date.now());
    // The acknowledgement is not the reply.
    expect(t.playbackStarts()).toBe(0);
    expect(t.run.playing).toBe(false);
    const acknowledgedAt = Date.now();
    await t.tick(2000);
    expect(t.sink.writes).toHaveLength(1);

    t.brain.send('It is upstairs.');
    t.brain.end();
    await t.tick(3000);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', reply: 'It is upstairs.' });
    expect(finished!.marks.acknowledged).toBe(acknowledgedAt);
    expect(t.sink.writes.map((w) => w.samples)).toEqual([ack.samples.length, 3 * SAMPLES_PER_WORD]);
    expect(t.run.replyAudio.map((a) => a.length)).toEqual([3 * SAMPLES_PER_WORD]);
    expect(t.playbackStarts()).toBe(1);
    expect(markProblems(finished!)).toEqual([]);
  });

  it('a fast reply gets no acknowledgement', async () => {
    const t = await setup({ turn: { acknowledgeAfterMs: 500 } });
    t.brain.next = { kind: 'text', chunks: ['We open ', 'at nine.'] };
    t.run.start();
    await t.tick(5000);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', reply: 'We open at nine.' });
    expect(finished!.marks.acknowledged).toBeUndefined();
    expect(t.writtenSamples()).toBe(4 * SAMPLES_PER_WORD);
  });

  it('a mouth that never finishes: the turn fails after maxTurnSeconds and playback is cut', async () => {
    const t = await setup({ turn: { maxTurnSeconds: 10 } });
    t.brain.next = { kind: 'text', chunks: ['The lift is behind you, ', 'next to the stairs.'] };
    t.mouth.hangNext = true;
    t.run.start();
    await t.tick(9_999);
    expect(t.finished()).toBeUndefined();
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
    // No audio came: the acknowledgement played meanwhile.
    expect(t.turn.marks.acknowledged).toBeDefined();
    await t.tick(1);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'failed', path: 'fallback' });
    expect(finished!.problem).toMatch(/did not finish within 10 s/);
    expect(t.sink.stops).toEqual([Date.now()]);
    // The hung phrase was aborted; the rest of the reply is not spoken.
    await t.tick(5000);
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
    expect(t.run.replyAudio).toEqual([]);
  });
});

describe('TurnRun: failures', () => {
  it('a brain that fails before any text fails the turn', async () => {
    const t = await setup();
    t.brain.next = { kind: 'fail', message: 'model exploded' };
    t.run.start();
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'failed', path: 'fallback', problem: 'model exploded' });
    expect(t.mouth.spoken).toEqual([]);
    expect(t.sink.writes).toEqual([]);
  });

  it('a brain that fails after a phrase was spoken: the spoken part is finished and the turn counts as answered', async () => {
    const t = await setup();
    t.brain.next = { kind: 'manual' };
    t.run.start();
    await t.tick(0);
    t.brain.send('The lift is behind you, and ');
    await t.tick(0);
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
    await t.tick(100);
    t.brain.crash('brain worker exited with code 1');
    await t.tick(0);
    // Still playing the first phrase: not cut.
    expect(t.finished()).toBeUndefined();
    await t.tick(1000);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', reply: 'The lift is behind you, and' });
    expect(finished!.problem).toMatch(/brain worker exited/);
    expect(t.sink.stops).toEqual([]);
    expect(t.writtenSamples()).toBe(5 * SAMPLES_PER_WORD);
    expect(finished!.marks.playbackEnd! - finished!.marks.playbackStart!).toBeGreaterThanOrEqual(5 * MS_PER_WORD);
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
  });

  it('a mouth that fails fails the turn and stops the speaker', async () => {
    const t = await setup();
    t.mouth.failNext = 'synthesiser crashed';
    t.run.start();
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'failed', path: 'fallback', problem: 'synthesiser crashed' });
    expect(t.sink.writes).toEqual([]);
    expect(t.sink.stops).toHaveLength(1);
  });

  it('a mouth that fails while the brain is still generating fails the turn at once', async () => {
    const t = await setup();
    t.brain.next = { kind: 'manual' };
    t.mouth.failNext = 'synthesiser crashed';
    t.run.start();
    await t.tick(0);
    t.brain.send('The lift is behind you, ');
    t.brain.send('next to ');
    await t.tick(100);
    expect(t.mouth.spoken).toEqual(['The lift is behind you,']);
    // The turn fails as soon as the mouth does, without waiting for the brain to finish.
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'failed', problem: 'synthesiser crashed' });
    expect(t.brain.aborted).toBe(1);
  });

  it('a player whose drain fails ends the turn as answered, with the playback problem', async () => {
    const t = await setup();
    t.sink.drainError = new Error('aplay exited with code 1');
    t.brain.next = { kind: 'text', chunks: ['Hello there.'], path: 'rule' };
    t.run.start();
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'rule', reply: 'Hello there.' });
    expect(finished!.problem).toMatch(/^playback failed: aplay exited with code 1/);
    expect(t.writtenSamples()).toBe(2 * SAMPLES_PER_WORD);
  });
});

describe('TurnRun: a speaker whose player fails', () => {
  it('a failure that cost only earlier audio (a chime before the turn) is not the turn’s problem, and the turn ends once its audio has played', async () => {
    const sink = new ReportingSpeaker();
    const t = await setup({ sink });
    t.speaker.write(new Int16Array(1600));
    sink.loseUnplayed(new PlaybackDeviceError('aplay on "kspk" exited with code 1', 'hint'));
    t.brain.next = { kind: 'text', chunks: ['Hello there.'], path: 'rule' };
    t.run.start();
    await t.tick(0);
    const startedAt = t.turn.marks.playbackStart!;
    await t.tick(2 * MS_PER_WORD - 10);
    // Still playing: the earlier failure did not end it.
    expect(t.finished()).toBeUndefined();
    await t.tick(20);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'rule' });
    expect(finished!.problem).toBeUndefined();
    expect(finished!.marks.playbackEnd! - startedAt).toBeGreaterThanOrEqual(2 * MS_PER_WORD);
    expect(markProblems(finished!)).toEqual([]);
  });

  it('a turn whose audio was lost says so, with the speaker’s reason, and ends when it was lost', async () => {
    const sink = new ReportingSpeaker();
    const t = await setup({ sink });
    t.brain.next = { kind: 'text', chunks: ['Hello there everyone.'], path: 'rule' };
    t.run.start();
    await t.tick(100);
    const lostAt = Date.now();
    sink.loseUnplayed(new PlaybackDeviceError('the PortAudio player for "kspk" stopped taking audio (nothing for 1000 ms)', 'hint'));
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'rule' });
    expect(finished!.problem).toBe('playback failed: the PortAudio player for "kspk" stopped taking audio (nothing for 1000 ms)');
    expect(finished!.marks.playbackEnd).toBe(lostAt);
  });

  it('playbackStart is when the speaker says the reply started (after a player restart), and no acknowledgement is queued behind a reply already written', async () => {
    const sink = new ReportingSpeaker();
    sink.startDelayMs = 400;
    const t = await setup({ sink, turn: { acknowledgeAfterMs: 200 } });
    // 1.2 s of audio: still playing when the speaker reports its start.
    t.brain.next = { kind: 'text', chunks: ['We are open from nine to five every day of the week.'], path: 'rule' };
    const writtenAt = Date.now();
    t.run.start();
    await t.tick(0);
    const replyWrites = t.sink.writes.length;
    expect(replyWrites).toBeGreaterThan(0);
    expect(t.run.playing).toBe(false);
    expect(t.playbackStarts()).toBe(0);
    await t.tick(300);
    // The acknowledgement's time has come, but the reply is already on its way.
    expect(t.sink.writes).toHaveLength(replyWrites);
    expect(t.turn.marks.acknowledged).toBeUndefined();
    await t.tick(100);
    expect(t.playbackStarts()).toBe(1);
    expect(t.turn.marks.playbackStart).toBe(writtenAt + 400);
  });
});

describe('TurnRun: fixed prompts', () => {
  it('an empty transcript plays the not-understood prompt without asking the brain', async () => {
    const t = await setup({ transcript: '   ' });
    t.run.start();
    await t.tick(0);
    const prompt = t.prompts.get('notUnderstood');
    expect(t.brain.calls).toEqual([]);
    expect(t.mouth.spoken).toEqual([]);
    expect(t.sink.writes).toEqual([{ at: Date.now(), samples: prompt.samples.length }]);
    expect(t.playbackStarts()).toBe(1);
    await t.tick(wordCount(prompt.text) * MS_PER_WORD + 10);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'fallback', reply: t.config.dialog.notUnderstoodReply });
    expect(finished!.problem).toMatch(/no words recognised/);
    expect(markProblems(finished!)).toEqual([]);
    expect(finished!.marks.acknowledged).toBeUndefined();
  });

  it('a model that says nothing speakable gets the fallback prompt', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: [' ', '\n', '  '] };
    t.run.start();
    await t.tick(0);
    const prompt = t.prompts.get('fallback');
    expect(t.mouth.spoken).toEqual([]);
    expect(t.sink.writes).toEqual([{ at: Date.now(), samples: prompt.samples.length }]);
    await t.tick(wordCount(prompt.text) * MS_PER_WORD + 10);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered', path: 'fallback', reply: t.config.dialog.fallbackReply });
    expect(finished!.problem).toMatch(/nothing speakable/);
    expect(markProblems(finished!)).toEqual([]);
  });
});

describe('TurnRun: interrupt', () => {
  const WORDS = 'We are open from nine in the morning until half past five in the afternoon from Monday to Friday.';

  it('cuts the reply mid-way: the speaker stops, and the brain is told the part the visitor heard', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: WORDS.split(/(?<= )/) };
    // Synthesis at twice real time: at the cut the second phrase is still being made.
    t.mouth.wordDelayMs = 50;
    t.run.start();
    await t.tick(600);
    expect(t.mouth.spoken).toEqual(['We are open from nine in the morning', 'until half past five in the afternoon from Monday to Friday.']);
    expect(t.run.playing).toBe(true);
    // Part of the second phrase is still to be made when the visitor cuts in.
    expect(t.writtenSamples()).toBeLessThan(wordCount(WORDS) * SAMPLES_PER_WORD);
    const writesBefore = t.sink.writes.length;
    const cutAt = Date.now();
    t.run.interrupt('button');
    expect(t.sink.stops).toEqual([cutAt]);
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'interrupted', path: 'llm' });
    expect(finished!.marks.bargeIn).toBe(cutAt);
    expect(finished!.problem).toMatch(/interrupted: button/);

    const heard = finished!.heard!;
    expect(heard.length).toBeGreaterThan(0);
    expect(WORDS.startsWith(`${heard} `)).toBe(true);
    const playedWords = (cutAt - finished!.marks.playbackStart!) / MS_PER_WORD;
    expect(Math.abs(wordCount(heard) - playedWords)).toBeLessThanOrEqual(1);
    expect(t.brain.truncations).toEqual([{ turnId: 7, heardText: heard }]);

    // Nothing more reaches the speaker, and the rest of the reply is never made.
    await t.tick(5000);
    expect(t.sink.writes).toHaveLength(writesBefore);
    expect(t.mouth.spoken).toHaveLength(2);

    // A second interrupt does nothing.
    t.run.interrupt('again');
    expect(t.sink.stops).toEqual([cutAt]);
    expect(t.turn.marks.bargeIn).toBe(cutAt);
    expect(t.turn.problem).toMatch(/interrupted: button/);
    expect(t.brain.truncations).toHaveLength(1);
  });

  it('the heard share follows the audio across phrases', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: [WORDS] };
    t.run.start();
    await t.tick(0);
    // All 19 words are on the speaker at once; cut after 1.05 s: 8 words of the first phrase and about 2.5 of the second.
    expect(t.writtenSamples()).toBe(19 * SAMPLES_PER_WORD);
    const startedAt = t.turn.marks.playbackStart!;
    await t.tick(1050);
    t.run.interrupt('button');
    await t.tick(0);
    const heard = t.finished()!.heard!;
    expect(WORDS.startsWith(`${heard} `)).toBe(true);
    expect(Math.abs(wordCount(heard) - (Date.now() - startedAt) / MS_PER_WORD)).toBeLessThanOrEqual(1);
    expect(wordCount(heard)).toBeGreaterThan(8);
    expect(t.brain.truncations).toEqual([{ turnId: 7, heardText: heard }]);
  });

  it('does not truncate the brain history for a rule reply', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: [WORDS], path: 'rule' };
    t.run.start();
    await t.tick(300);
    t.run.interrupt('button');
    await t.tick(0);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'interrupted', path: 'rule' });
    expect(WORDS.startsWith(`${finished!.heard!} `)).toBe(true);
    expect(wordCount(finished!.heard!)).toBeGreaterThanOrEqual(2);
    expect(t.sink.stops).toHaveLength(1);
    expect(t.brain.truncations).toEqual([]);
  });

  it('does nothing once the turn has finished', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: ['Hello there.'] };
    t.run.start();
    await t.tick(1000);
    const finished = t.finished();
    expect(finished).toMatchObject({ outcome: 'answered' });
    const playbackEnd = finished!.marks.playbackEnd;
    t.run.interrupt('button');
    await t.tick(0);
    expect(finished!.outcome).toBe('answered');
    expect(finished!.marks.bargeIn).toBeUndefined();
    expect(finished!.marks.playbackEnd).toBe(playbackEnd);
    expect(finished!.heard).toBeUndefined();
    expect(finished!.problem).toBeUndefined();
    expect(t.sink.stops).toEqual([]);
    expect(t.brain.truncations).toEqual([]);
  });
});
