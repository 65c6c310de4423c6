import { spawn } from 'node:child_process';
import { KioskVoiceError } from '../../errors.js';
import { CaptureProcess } from './CaptureProcess.js';

/** arecord could not open the device, lost it, or is not installed. */
export class ArecordCaptureError extends KioskVoiceError {}

/** stderr lines kept for the error message and the debug log. */
const STDERR_TAIL = 40;

/**
 * One `arecord` child process recording raw S16_LE from one ALSA PCM until it is stopped or fails.
 * Overruns
 * arecord reports on stderr are counted as xruns; when it exits, the first meaningful stderr line
 * becomes a one-line {@link ArecordCaptureError}.
 */
export class ArecordCapture extends CaptureProcess {
  readonly backend = 'arecord' as const;
  private sawData = false;
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';

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
