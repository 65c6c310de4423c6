import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../logging/createLogger.js';

/** What a capture backend needs to open a device; shared by both backends. */
export interface RawCaptureOptions {
  /** ALSA PCM (arecord) or device name / substring (naudiodon), as configured. */
  device: string;
  sampleRate: number;
  channels: number;
  /** Audio per read; sets the ALSA period, so the latency a read adds. */
  chunkMs: number;
  logger: Logger;
  /** Environment for the capture process (HOME decides which ~/.asoundrc ALSA reads). */
  env?: NodeJS.ProcessEnv;
  /** The executable (default `arecord`). */
  binary?: string;
}

/** Events of a raw capture backend: one open of one device, from start to end. */
export interface RawCaptureEvents {
  /** Interleaved S16_LE bytes exactly as the device delivered them (any size, may split frames). */
  data: [Buffer];
  /** The device is open; `device` is the name it was found under. */
  ready: [{ device: string }];
  /** The backend reported an overrun: audio was lost because it was read too late. */
  xrun: [];
  /** Emitted exactly once: `undefined` after {@link CaptureProcess.stop}, else why it ended. */
  end: [Error | undefined];
}

/** How long a capture process gets to exit on SIGTERM before it is killed. */
const KILL_AFTER_MS = 1000;

/**
 * One capture child process, from start until it is stopped or fails. It never reopens anything
 * itself: {@link LiveCapture} decides what happens next. Subclasses spawn the process in `start()`
 * and call `finish()` when it has gone.
 */
export abstract class CaptureProcess extends EventEmitter<RawCaptureEvents> {
  protected child: ChildProcess | undefined;
  protected stopping = false;
  private ended = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(protected readonly options: RawCaptureOptions) {
    super();
  }

  abstract start(): void;

  /** The process id while it runs (a test kills it like a driver crash would). */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Stops recording; `end` follows with `undefined`. */
  stop(): void {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (!child) this.finish(undefined);
      return;
    }
    child.kill('SIGTERM');
    this.killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    this.killTimer.unref();
  }

  protected finish(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.emit('end', error);
  }
}
