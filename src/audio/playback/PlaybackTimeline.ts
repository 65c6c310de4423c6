/**
 * When each sample handed to the device will have been heard, on the monotonic clock.
 *
 * A device consumes audio at its sample rate, so once a block is handed over its play time is
 * known: it starts when everything before it has played (or now, if the device ran dry) and lasts
 * `frames / rate`. Blocks are either real audio or padding (silence sent only to push the last
 * real samples through the player's buffers); only real audio counts as played.
 */
export class PlaybackTimeline {
  /** Scheduled blocks that have not finished playing, oldest first. */
  private readonly blocks: { start: number; frames: number; real: boolean }[] = [];
  /** Real frames in blocks that have finished playing and were dropped from `blocks`. */
  private realFinished = 0;
  private realScheduled = 0;
  private endsAt = 0;
  private realEndsAt = 0;

  constructor(readonly sampleRate: number) {}

  /** Hands `frames` to the device at `now` (ms); returns when they start playing. */
  schedule(frames: number, real: boolean, now: number): number {
    // Drop what has finished: otherwise a speaker nobody asks for its position (replies that play
    // out uninterrupted) keeps every block it ever played, ~100 per second of speech.
    this.played(now);
    const start = Math.max(this.endsAt, now);
    this.blocks.push({ start, frames, real });
    this.endsAt = start + (frames * 1000) / this.sampleRate;
    if (real) {
      this.realScheduled += frames;
      this.realEndsAt = this.endsAt;
    }
    return start;
  }

  /** Real frames heard by `now`. */
  played(now: number): number {
    let first = this.blocks[0];
    while (first && first.start + (first.frames * 1000) / this.sampleRate <= now) {
      if (first.real) this.realFinished += first.frames;
      this.blocks.shift();
      first = this.blocks[0];
    }
    if (!first?.real || now <= first.start) return this.realFinished;
    return this.realFinished + Math.min(first.frames, Math.floor(((now - first.start) * this.sampleRate) / 1000));
  }

  /** Real frames handed over so far. */
  get scheduled(): number {
    return this.realScheduled;
  }

  /** When everything handed over, padding included, will have played (ms). */
  get end(): number {
    return this.endsAt;
  }

  /** When the last real frame handed over will have played (ms). */
  get realEnd(): number {
    return this.realEndsAt;
  }

  /**
   * The device was cut (stopped, or it died) at `now`: nothing scheduled after it will be heard.
   * `cap` lowers the count when the device itself reported playing less than the clock says.
   * Returns the real frames heard.
   */
  cut(now: number, cap = Number.POSITIVE_INFINITY): number {
    const heard = Math.min(this.played(now), cap);
    this.blocks.length = 0;
    this.realFinished = heard;
    this.realScheduled = heard;
    this.endsAt = Math.min(this.endsAt, now);
    this.realEndsAt = Math.min(this.realEndsAt, now);
    return heard;
  }
}
