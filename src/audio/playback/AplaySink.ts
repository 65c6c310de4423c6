import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { PacedSink, type PacedSinkOptions } from './PacedSink.js';
import { PLAYBACK_DEVICE_HINT, PlaybackDeviceError } from './PlaybackDeviceError.js';

export interface AplaySinkOptions extends PacedSinkOptions {
  /** An ALSA PCM name as `aplay -D` takes it (`default`, `plughw:CARD=…,DEV=0`, a name from ~/.asoundrc). */
  device: string;
  binary?: string;
  /** ALSA buffer. Small, so little is in flight, yet enough to ride out a busy moment. */
  bufferMs?: number;
  /** Environment for aplay (ALSA reads `$HOME/.asoundrc`). */
  env?: NodeJS.ProcessEnv;
}

type AplayProcess = ChildProcessByStdio<Writable, null, Readable>;

// `-v` makes aplay dump the PCM setup to stderr once the device is open and configured, before it
// reads any audio: the only sign from outside that the device really opened.
const OPENED_MARK = 'setup is:';
/** If aplay is alive but said nothing (a build without the dump), it is taken as open after this. */
const OPEN_ASSUMED_AFTER_MS = 2000;
const STDERR_KEPT = 8192;

/**
 * The speaker through `aplay`, the always-available ALSA player: a long-running child fed raw
 * S16_LE mono on stdin at the pace the device plays it. `stop()` kills it, which makes the kernel
 * drop the device buffer at once; the next write starts a new one (aplay starts in milliseconds).
 * aplay does not say how far it has played, so `position()` is the clock's account of what was
 * handed over, and a device that stops taking audio is noticed only when aplay gives up on it.
 * An aplay that was told to end (SIGTERM) keeps waiting for input and exits, code 0, at the next
 * audio; that audio is replayed on a new one (see `PacedSink`).
 */
export class AplaySink extends PacedSink {
  readonly backend = 'aplay';
  readonly device: string;
  private readonly binary: string;
  private readonly bufferMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private child: AplayProcess | undefined;
  private opened = false;
  private opening: Promise<void> | undefined;

  constructor(options: AplaySinkOptions) {
    super(options);
    this.device = options.device;
    this.binary = options.binary ?? 'aplay';
    this.bufferMs = options.bufferMs ?? 100;
    this.env = options.env ?? process.env;
  }

  /** The aplay process id while one runs (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected openTransport(): Promise<void> {
    if (this.child && this.opening) return this.opening;
    const periodUs = Math.round((this.bufferMs * 1000) / 5);
    const args = [
      ...['-D', this.device, '-f', 'S16_LE', '-r', String(this.sampleRate), '-c', '1', '-t', 'raw', '-q', '-v'],
      `--buffer-time=${this.bufferMs * 1000}`,
      `--period-time=${periodUs}`,
      // Start as soon as one period is in: by default aplay waits for a full buffer.
      `--start-delay=${periodUs}`,
    ];
    const child = spawn(this.binary, args, { stdio: ['pipe', 'ignore', 'pipe'], env: this.env });
    this.child = child;
    this.opened = false;
    let stderr = '';
    let settleOpening: ((error?: PlaybackDeviceError) => void) | undefined;
    const opening = new Promise<void>((resolve, reject) => {
      settleOpening = (error) => {
        settleOpening = undefined;
        clearTimeout(assumeOpen);
        if (error) return reject(error);
        if (this.child === child) {
          this.opened = true;
          this.pump();
        }
        resolve();
      };
    });
    // Observed by start() or not at all; a failure is reported through drain() as well.
    this.opening = opening;
    opening.catch(() => undefined);
    const assumeOpen = setTimeout(() => settleOpening?.(), OPEN_ASSUMED_AFTER_MS);

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT);
      if (settleOpening && stderr.includes(OPENED_MARK)) settleOpening();
    });
    // EPIPE when aplay dies with audio in flight; its exit says why.
    child.stdin.on('error', () => undefined);
    child.once('error', (error: NodeJS.ErrnoException) => {
      const failure =
        error.code === 'ENOENT'
          ? new PlaybackDeviceError(`${this.binary} is not installed`, 'apt-get install alsa-utils')
          : new PlaybackDeviceError(`${this.binary} could not be started: ${error.message}`, PLAYBACK_DEVICE_HINT, { cause: error });
      this.childGone(child, failure, settleOpening);
    });
    child.once('exit', (code, signal) => {
      const why = alsaReason(stderr);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const failure = new PlaybackDeviceError(`aplay on "${this.device}" ${how}${why ? `: ${why}` : ''}`, PLAYBACK_DEVICE_HINT);
      this.childGone(child, failure, settleOpening);
    });
    return opening;
  }

  protected transportReady(): boolean {
    return this.child !== undefined && this.opened;
  }

  protected send(samples: Int16Array): void {
    this.child?.stdin.write(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  protected cutTransport(): void {
    const child = this.child;
    this.child = undefined;
    this.opened = false;
    child?.kill('SIGKILL');
  }

  protected discardTransport(): void {
    this.cutTransport();
  }

  protected async closeTransport(): Promise<void> {
    const child = this.child;
    this.cutTransport();
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }

  private childGone(child: AplayProcess, failure: PlaybackDeviceError, settleOpening: ((error?: PlaybackDeviceError) => void) | undefined): void {
    // A child we killed ourselves (stop, close) is not news.
    if (this.child !== child) return;
    this.child = undefined;
    this.opened = false;
    settleOpening?.(failure);
    this.transportFailed(failure);
  }
}

/** aplay's own complaint and ALSA's, without the setup dump `-v` adds. */
function alsaReason(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(aplay:|ALSA lib )/.test(line))
    .slice(-2)
    .join(' | ');
}
