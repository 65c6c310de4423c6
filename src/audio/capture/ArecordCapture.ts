import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { KioskVoiceError } from '../../errors.js';
import type { Logger } from '../../logging/createLogger.js';

/** arecord could not open the device, lost it, or is not installed. */
export class ArecordCaptureError extends KioskVoiceError {}

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
  /** Emitted exactly once: `undefined` after {@link ArecordCapture.stop}, else why it ended. */
  end: [Error | undefined];
}

/** How long a capture process gets to exit on SIGTERM before it is killed. */
const KILL_AFTER_MS = 1000;
/** stderr lines kept for the error message and the debug log. */
const STDERR_TAIL = 40;

/**
 * One `arecord` child process recording raw S16_LE from one ALSA PCM until it is stopped or fails.
 * It never reopens anything itself: {@link LiveCapture} decides what happens next. Overruns
 * arecord reports on stderr are counted as xruns; when it exits, the first meaningful stderr line
 * becomes a one-line {@link ArecordCaptureError}.
 */
export class ArecordCapture extends EventEmitter<RawCaptureEvents> {
  readonly backend = 'arecord' as const;
  private child: ChildProcess | undefined;
  private stopping = false;
  private ended = false;
  private sawData = false;
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RawCaptureOptions) {
    super();
  }

  /** The arecord process id while it runs (a test kills it like a driver crash would). */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** The arguments arecord gets (logged at debug when it starts). */
  get args(): string[] {
    const { device, sampleRate, channels, chunkMs } = this.options;
    const periodUs = chunkMs * 1000;
    // arecord hands over one period per write, so the period is the latency a read adds. The
    // buffer only decides how late we may read before an overrun, not the latency, so it is
    // generous: 8 periods ride out a GC pause or a busy Pi.
    const bufferUs = periodUs * 8;
    return ['-D', device, '-f', 'S16_LE', '-r', String(sampleRate), '-c', String(channels), '-t', 'raw', '-q', `--buffer-time=${bufferUs}`, `--period-time=${periodUs}`];
  }

  start(): void {
    if (this.child) throw new Error('ArecordCapture.start() called twice');
    const { binary = 'arecord', env, logger } = this.options;
    const child = spawn(binary, this.args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.child = child;
    logger.debug({ pid: child.pid, args: this.args }, 'arecord started');
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!this.sawData) {
        this.sawData = true;
        this.emit('ready', { device: this.options.device });
      }
      this.emit('data', chunk);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.onStderr(text));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') this.finish(new ArecordCaptureError(`${binary} is not installed`, 'apt-get install alsa-utils'));
      else this.finish(new ArecordCaptureError(`cannot start ${binary}: ${error.message}`, 'check that it runs from a shell'));
    });
    // 'close' rather than 'exit': the last stderr lines (the reason) arrive before it.
    child.once('close', (code, signal) => this.finish(this.stopping ? undefined : this.exitError(code, signal)));
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

  private onStderr(text: string): void {
    const lines = (this.stderrPartial + text).split('\n');
    this.stderrPartial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      if (!line) continue;
      if (/overrun!!!/.test(line)) {
        this.emit('xrun');
        continue;
      }
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): ArecordCaptureError {
    if (this.stderrPartial.trim()) this.stderrTail.push(this.stderrPartial.trim());
    const { device, logger } = this.options;
    if (this.stderrTail.length > 0) logger.debug({ stderr: this.stderrTail }, 'arecord stderr');
    if (signal) return new ArecordCaptureError(`arecord (capture of "${device}") was killed by ${signal}`, 'it is restarted automatically');
    const { main, detail } = explainStderr(this.stderrTail);
    const reason = `${main ?? `exit code ${code}`}${detail ? ` (${detail})` : ''}`;
    if (main && /open error|Unknown PCM|cannot (?:get|find) card|No such (?:file|device)/i.test(main) && !this.sawData) {
      return new ArecordCaptureError(`capture device "${device}" cannot be opened: ${reason}`, 'check `kiosk-voice devices` and that the mic is plugged in');
    }
    if (main && /read error|input\/output error|suspend/i.test(main)) {
      return new ArecordCaptureError(`capture device "${device}" failed while recording: ${reason}`, 'the mic was unplugged or its driver failed; it is reopened automatically');
    }
    return new ArecordCaptureError(`arecord (capture of "${device}") stopped: ${reason}`, 'check the audio.capture settings; run with --log-level debug for arecord\'s own output');
  }

  private finish(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.emit('end', error);
  }
}

/**
 * arecord's own verdict ("arecord: main:831: audio open error: No such device") without its
 * source location, and the most specific ALSA library line before it ("Cannot get card index for
 * Nope"), which often names the real cause.
 */
export function explainStderr(lines: readonly string[]): { main: string | undefined; detail: string | undefined } {
  let main: string | undefined;
  let detail: string | undefined;
  for (const line of lines) {
    const own = /^arecord:\s*(?:[\w]+:\d+:\s*)?(.*)$/.exec(line);
    if (own?.[1] && main === undefined) main = own[1].trim();
    const lib = /^ALSA lib [^)]*\)\s*(.*)$/.exec(line);
    if (lib?.[1] && main === undefined) detail = lib[1].trim();
  }
  if (main === undefined) main = lines.find((l) => !l.startsWith('ALSA lib'));
  if (detail && main && main.includes(detail)) detail = undefined;
  return { main, detail };
}
