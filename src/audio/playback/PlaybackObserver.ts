import type { PlaybackDeviceError } from './PlaybackDeviceError.js';

/**
 * What a speaker tells the one party that writes to it (the turn's `PlaybackLedger`), on the
 * scale of `position()`: sample n is the n-th real sample the speaker will play, counting from
 * open, after cuts. Both calls are synchronous, from inside `write()` or the speaker's own timer.
 */
export interface PlaybackObserver {
  /** Samples `[from, from + frames)` were handed to the device and start playing at `at` (monotonic ms). */
  playing(from: number, frames: number, at: number): void;
  /**
   * The player failed, a new one failed too before the audio was heard, and the speaker gave up:
   * everything after `heard` was dropped unplayed (as by a `stop()` at `heard`). Not called when
   * a failure lost nothing, or when the audio could be replayed on a new player.
   */
  lost(heard: number, error: PlaybackDeviceError): void;
}
