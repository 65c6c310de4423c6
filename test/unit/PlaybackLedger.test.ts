import { describe, expect, it } from 'vitest';
import type { AudioSink } from '../../src/audio/AudioSink.js';
import { PlaybackDeviceError } from '../../src/audio/playback/PlaybackDeviceError.js';
import type { PlaybackObserver } from '../../src/audio/playback/PlaybackObserver.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';

/**
 * A speaker the test plays by hand, reporting like the device sinks do: `play()` hands samples
 * to the "device", `lose()` is a player failure that gave up on everything unplayed — reported to
 * a waiting drain, or else (once) to the next one, as PacedSink does.
 */
class HandSink implements AudioSink {
  readonly sampleRate = 1000;
  observer: PlaybackObserver | undefined;
  private played = 0;
  private written = 0;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private unreported: Error | undefined;

  observe(observer: PlaybackObserver): void {
    this.observer = observer;
  }
  write(samples: Int16Array): void {
    this.written += samples.length;
  }
  position(): number {
    return this.played;
  }
  drain(): Promise<void> {
    const stale = this.unreported;
    this.unreported = undefined;
    if (stale) return Promise.reject(stale);
    if (this.played >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  stop(): void {
    this.written = this.played;
    this.settle();
  }
  async close(): Promise<void> {}

  /** The device starts `frames` more at `at` and has played them. */
  play(frames: number, at: number): void {
    this.observer?.playing(this.played, frames, at);
    this.played += frames;
    this.settle();
  }
  lose(error: PlaybackDeviceError): void {
    this.written = this.played;
    this.observer?.lost(this.played, error);
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length > 0) for (const w of waiters) w.reject(error);
    else this.unreported = error;
  }
  private settle(): void {
    if (this.played < this.written) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }
}

/** Follows a drain from the start (so a rejection is never unhandled); `state()` lets queued callbacks run first. */
function track(promise: Promise<void>): { state: () => Promise<'pending' | 'resolved' | Error> } {
  let state: 'pending' | 'resolved' | Error = 'pending';
  promise.then(
    () => (state = 'resolved'),
    (error: Error) => (state = error),
  );
  return { state: () => new Promise((resolve) => setImmediate(() => resolve(state))) };
}

const dead = (what: string) => new PlaybackDeviceError(what, 'hint');

describe('PlaybackLedger with a speaker that reports', () => {
  it('tells when written audio starts playing, as the speaker says, also part-way into what it plays', () => {
    const sink = new HandSink();
    const ledger = new PlaybackLedger(sink);
    const starts: (number | undefined)[] = [];
    ledger.write(new Int16Array(100));
    ledger.write(new Int16Array(50), (at) => starts.push(at));
    // Not when written: the player may still be opening.
    expect(starts).toEqual([]);
    sink.play(120, 5000);
    // Sample 100 of a block starting at 0 at 5000 ms, 1000 samples/s.
    expect(starts).toEqual([5100]);
    sink.play(30, 5120);
    expect(starts).toEqual([5100]);
  });

  it('never says audio started that was dropped first (stop or loss)', () => {
    const sink = new HandSink();
    const ledger = new PlaybackLedger(sink);
    const starts: number[] = [];
    ledger.write(new Int16Array(100), (at) => starts.push(at!));
    ledger.stop();
    ledger.write(new Int16Array(100), (at) => starts.push(at!));
    sink.lose(dead('gone'));
    sink.play(40, 7000);
    expect(starts).toEqual([]);
  });

  it('a loss of earlier audio (a chime before the turn) is not the caller’s: its drain waits for its own audio and resolves', async () => {
    const sink = new HandSink();
    const ledger = new PlaybackLedger(sink);
    ledger.write(new Int16Array(200));
    sink.play(50, 0);
    // The player fails with nobody waiting; the speaker will reject the next drain with it.
    sink.lose(dead('aplay on "kspk" exited with code 1'));
    const from = ledger.mark();
    ledger.write(new Int16Array(100));
    const drained = track(ledger.drain(from));
    // Not settled by the stale rejection: the turn's audio has not played yet.
    expect(await drained.state()).toBe('pending');
    sink.play(100, 1000);
    expect(await drained.state()).toBe('resolved');
    // The count was re-based at the loss: the turn's 100 samples are all heard.
    expect(ledger.heard()).toBe(150);
  });

  it('a loss of the caller’s own audio rejects its drain with the speaker’s error, also when it was reported to someone else', async () => {
    const sink = new HandSink();
    const ledger = new PlaybackLedger(sink);
    const from = ledger.mark();
    ledger.write(new Int16Array(100));
    sink.play(30, 0);
    const other = track(ledger.drain());
    const mine = track(ledger.drain(from));
    const error = dead('the PortAudio player for "kspk" stopped taking audio');
    sink.lose(error);
    expect(await other.state()).toBe(error);
    expect(await mine.state()).toBe(error);
    // A drain from after the loss does not hear of it again.
    const later = ledger.mark();
    ledger.write(new Int16Array(10));
    sink.play(10, 100);
    expect(await track(ledger.drain(later)).state()).toBe('resolved');
  });

  it('the default drain covers what was still unheard when called', async () => {
    const sink = new HandSink();
    const ledger = new PlaybackLedger(sink);
    ledger.write(new Int16Array(100));
    sink.lose(dead('first'));
    ledger.write(new Int16Array(100));
    sink.play(100, 0);
    // The earlier loss is not this drain's.
    expect(await track(ledger.drain()).state()).toBe('resolved');
    ledger.write(new Int16Array(100));
    const drained = track(ledger.drain());
    const second = dead('second');
    sink.lose(second);
    expect(await drained.state()).toBe(second);
  });
});

describe('PlaybackLedger with a speaker that cannot report', () => {
  it('takes audio as playing when written, and passes a drain rejection on', async () => {
    const error = new Error('aplay exited with code 1');
    const sink: AudioSink = {
      sampleRate: 16000,
      write: () => undefined,
      position: () => 0,
      drain: () => Promise.reject(error),
      stop: () => undefined,
      close: async () => undefined,
    };
    const ledger = new PlaybackLedger(sink);
    const starts: (number | undefined)[] = [];
    ledger.write(new Int16Array(10), (at) => starts.push(at));
    expect(starts).toEqual([undefined]);
    expect(await track(ledger.drain(ledger.mark())).state()).toBe(error);
  });
});
