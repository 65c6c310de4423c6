import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { meaningfulStderr, spawnNodeChild } from '../spawnNodeChild.js';
import { FRAME_HEADER_BYTES, FrameKind, type PlaybackChildInit, type PlaybackChildReport } from './naudiodonPlaybackProtocol.js';
import { PacedSink, type PacedSinkOptions } from './PacedSink.js';
import { PLAYBACK_DEVICE_HINT, PlaybackDeviceError } from './PlaybackDeviceError.js';

export interface NaudiodonSinkOptions extends PacedSinkOptions {
  /** A PortAudio device name or a case-insensitive part of it (see `kiosk-voice devices`). */
  device: string;
  /** PortAudio probes every ALSA card and JACK before it opens anything; that can take a while. */
  openTimeoutMs?: number;
  /** Environment for the child (ALSA reads `$HOME/.asoundrc`). */
  env?: NodeJS.ProcessEnv;
}

const STDERR_KEPT = 8192;

/**
 * The speaker through PortAudio, in a child process (naudiodon prints to stdout, installs a
 * segfault handler and can crash). Audio goes to the child over a pipe on fd 3; the child says
 * how much PortAudio has accepted, which caps `position()` when the device falls behind the
 * clock. `stop()` drops our queue and tells the child to drop its own: what PortAudio already
 * holds (about 30 ms plus the device's latency) still plays. Those reports are also how a device
 * that stopped taking audio is noticed (`stallMs`): PortAudio itself reports nothing then.
 */
export class NaudiodonSink extends PacedSink {
  readonly backend = 'naudiodon';
  readonly device: string;
  /** The PortAudio device the name matched, once open. */
  deviceName: string | undefined;
  private readonly openTimeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | undefined;
  private audio: Writable | undefined;
  private ready = false;
  private opening: Promise<void> | undefined;
  /** Stops sent to the current child; its reports name the epoch they count in. */
  private epoch = 0;
  /** Real frames heard before the current epoch, and accepted by PortAudio within it. */
  private capBase = 0;
  private accepted = 0;
  /** What the child printed since the device opened: ALSA's complaints, not PortAudio's probing chatter. */
  private saidSinceReady = '';

  /** Starts the child and opens the device; fails with the reason if PortAudio cannot. */
  static async open(options: NaudiodonSinkOptions): Promise<NaudiodonSink> {
    const sink = new NaudiodonSink(options);
    await sink.start();
    return sink;
  }

  constructor(options: NaudiodonSinkOptions) {
    super(options);
    this.device = options.device;
    this.openTimeoutMs = options.openTimeoutMs ?? 15_000;
    this.env = options.env ?? process.env;
  }

  /** The child's process id while one runs (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected openTransport(): Promise<void> {
    if (this.child && this.opening) return this.opening;
    const init: PlaybackChildInit = { device: this.device, sampleRate: this.sampleRate };
    const child = spawnNodeChild(import.meta.url, 'naudiodonPlaybackChild', [JSON.stringify(init)], ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'], this.env);
    this.child = child;
    this.audio = child.stdio[3] as Writable;
    this.ready = false;
    this.epoch = 0;
    this.accepted = 0;
    let stderr = '';
    let failed: PlaybackChildReport & { type: 'failed' } = { type: 'failed', message: '' };
    let settleOpening: ((error?: PlaybackDeviceError) => void) | undefined;
    const opening = new Promise<void>((resolve, reject) => {
      settleOpening = (error) => {
        settleOpening = undefined;
        clearTimeout(timeout);
        if (error) reject(error);
        else resolve();
      };
    });
    this.opening = opening;
    opening.catch(() => undefined);
    const timeout = setTimeout(() => {
      this.childGone(child, new PlaybackDeviceError(`PortAudio did not open "${this.device}" within ${this.openTimeoutMs} ms`, PLAYBACK_DEVICE_HINT), settleOpening);
      child.kill('SIGKILL');
    }, this.openTimeoutMs);

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT);
      if (this.child === child && this.ready) this.saidSinceReady = (this.saidSinceReady + text).slice(-STDERR_KEPT);
    });
    // EPIPE when the child dies with audio in flight; its exit says why.
    this.audio.on('error', () => undefined);
    child.on('message', (message: PlaybackChildReport) => {
      if (this.child !== child) return;
      if (message.type === 'ready') {
        this.deviceName = message.device.name;
        this.ready = true;
        this.saidSinceReady = '';
        settleOpening?.();
        this.pump();
      } else if (message.type === 'failed') {
        failed = message;
      } else if (message.type === 'played' && message.epoch === this.epoch) {
        this.accepted = message.frames;
      }
    });
    child.once('error', (error) => {
      this.childGone(child, new PlaybackDeviceError(`the PortAudio player could not be started: ${error.message}`, undefined, { cause: error }), settleOpening);
    });
    child.once('exit', (code, signal) => {
      const said = meaningfulStderr(stderr);
      const why = failed.message || `${signal ? `killed by ${signal}` : `exit code ${code}`}${said ? `: ${said}` : ''}`;
      const failure = this.ready
        ? new PlaybackDeviceError(`the PortAudio player for "${this.deviceName ?? this.device}" died: ${why}`, PLAYBACK_DEVICE_HINT)
        : new PlaybackDeviceError(`PortAudio cannot open playback device "${this.device}": ${why}`, failed.hint ?? PLAYBACK_DEVICE_HINT);
      this.childGone(child, failure, settleOpening);
    });
    return opening;
  }

  protected transportReady(): boolean {
    return this.ready;
  }

  protected send(samples: Int16Array, real: boolean): void {
    this.frame(real ? FrameKind.audio : FrameKind.padding, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  protected cutTransport(): void {
    if (!this.child) return;
    this.epoch += 1;
    this.frame(FrameKind.stop);
  }

  protected override deviceCap(): number {
    return this.ready ? this.capBase + this.accepted : Number.POSITIVE_INFINITY;
  }

  protected override onCut(heard: number): void {
    this.capBase = heard;
    this.accepted = 0;
  }

  /**
   * PortAudio reports nothing when ALSA fails underneath it (it just stops taking audio), but ALSA
   * prints why, and that is the line worth showing (PortAudio's own lines only say where it noticed).
   */
  protected override stalledError(ms: number): PlaybackDeviceError {
    const lines = this.saidSinceReady
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const alsa = lines.filter((line) => line.startsWith('ALSA lib '));
    const said = (alsa.length > 0 ? alsa : lines).slice(-2).join(' | ');
    return new PlaybackDeviceError(
      `the PortAudio player for "${this.deviceName ?? this.device}" stopped taking audio (nothing for ${Math.round(ms)} ms)${said ? `: ${said}` : ''}`,
      PLAYBACK_DEVICE_HINT,
    );
  }

  protected discardTransport(): void {
    const child = this.child;
    this.child = undefined;
    this.audio = undefined;
    this.ready = false;
    child?.kill('SIGKILL');
  }

  protected async closeTransport(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.ready = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The child exits when its audio pipe closes; a wedged PortAudio gets no second chance.
    this.audio?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  private frame(kind: number, payload?: Buffer): void {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32LE(kind, 0);
    header.writeUInt32LE(payload?.length ?? 0, 4);
    this.audio?.write(payload ? Buffer.concat([header, payload]) : header);
  }

  private childGone(child: ChildProcess, failure: PlaybackDeviceError, settleOpening: ((error?: PlaybackDeviceError) => void) | undefined): void {
    if (this.child !== child) return;
    settleOpening?.(failure);
    // Counted against the old child's reports before they are forgotten.
    this.transportFailed(failure);
    this.child = undefined;
    this.audio = undefined;
    this.ready = false;
  }
}
