import { execFile, spawn } from 'node:child_process';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import type { TtsEngine } from './TtsEngine.js';

/** espeak-ng is missing or failed to speak. */
export class EspeakError extends KioskVoiceError {}

// espeak-ng writes 16-bit mono WAV at 22050 Hz with a 44-byte header whose sizes are placeholders.
const ESPEAK_RATE = 22050;
const HEADER_BYTES = 44;
/** How long the start-up checks wait for espeak-ng (it answers in ~10 ms). */
const CHECK_TIMEOUT_MS = 5000;
const INSTALL_HINT = 'apt-get install espeak-ng, or set tts.espeak.binary to the espeak-ng program';

/** "was killed by SIGKILL" / "exited with code 1". */
function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Runs espeak-ng once for a start-up check; rejects with a one-line EspeakError that starts with
 * `key`, the config key at fault.
 */
function runCheck(binary: string, args: string[], key: string, hint: string): Promise<void> {
  const command = [binary, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const fail = (what: string, why = hint) => reject(new EspeakError(`${key}: ${what}`, why));
    const child = execFile(binary, args, { timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const firstLine = (stderr.trim() || stdout.trim()).split('\n')[0] ?? '';
      if (error.code === 'ENOENT') return fail(`${binary} is not installed (no such program)`, INSTALL_HINT);
      if (error.code === 'EACCES') return fail(`${binary} cannot be run (permission denied)`, INSTALL_HINT);
      if (typeof error.code === 'string') return fail(`cannot run ${binary} (${error.code})`, INSTALL_HINT);
      if (error.killed && error.signal === 'SIGKILL') return fail(`\`${command}\` did not finish within ${CHECK_TIMEOUT_MS / 1000} s`);
      const ended = howItEnded(typeof error.code === 'number' ? error.code : null, error.signal ?? null);
      fail(`\`${command}\` ${ended}${firstLine ? `: ${firstLine}` : ''}`);
    });
    child.stdin?.end();
  });
}

/**
 * espeak-ng as a child process, its WAV stdout streamed as it is produced. Text goes in on stdin so
 * nothing the model says can be mistaken for a command-line option.
 */
export class EspeakTts implements TtsEngine {
  readonly sampleRate = ESPEAK_RATE;

  constructor(private readonly config: KioskConfig['tts']['espeak']) {}

  /**
   * An engine whose binary is known to run (`--version`) and to have the configured voice, so a
   * wrong `tts.espeak.binary` or `voice` fails start-up in one line instead of every reply.
   */
  static async create(config: KioskConfig['tts']['espeak']): Promise<EspeakTts> {
    const tts = new EspeakTts(config);
    await tts.check();
    return tts;
  }

  /** The start-up checks `create` runs; rejects with a one-line EspeakError. */
  async check(): Promise<void> {
    const { binary, voice } = this.config;
    await runCheck(binary, ['--version'], 'tts.espeak.binary', INSTALL_HINT);
    // With no text on stdin espeak-ng only loads the voice: exit 1 and a message when it is unknown.
    await runCheck(binary, ['-q', '-v', voice], 'tts.espeak.voice', `set tts.espeak.voice to one that \`${binary} --voices\` lists`);
  }

  async *speak(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted || !text.trim()) return;
    const { binary, voice, rate } = this.config;
    const child = spawn(binary, ['--stdout', '-v', voice, '-s', String(rate)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, killSignal) => resolve({ code, signal: killSignal }));
    });
    // Observed below, or deliberately dropped when the phrase is aborted.
    exited.catch(() => undefined);
    // Swallow EPIPE if espeak dies early; the exit code tells us what went wrong.
    child.stdin.on('error', () => {});
    child.stdin.end(`${text.replace(/\s+/g, ' ').trim()}\n`);

    let skip = HEADER_BYTES;
    let carry: Buffer | undefined;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        if (signal.aborted) return;
        let data = chunk;
        if (skip > 0) {
          const dropped = Math.min(skip, data.length);
          skip -= dropped;
          data = data.subarray(dropped);
        }
        if (carry) {
          data = Buffer.concat([carry, data]);
          carry = undefined;
        }
        const whole = data.length - (data.length % 2);
        if (whole < data.length) carry = data.subarray(whole);
        if (whole > 0) {
          // Copy into an aligned buffer we own: the pooled Buffer may be reused and misaligned.
          const samples = new Int16Array(whole / 2);
          Buffer.from(samples.buffer).set(data.subarray(0, whole));
          yield samples;
        }
      }
      const { code, signal: killedBy } = await exited;
      if (code !== 0 && !signal.aborted) {
        const firstLine = stderr.trim().split('\n')[0] ?? '';
        if (killedBy) {
          // Killed from outside (OOM killer, an operator): nothing wrong with the voice.
          throw new EspeakError(`espeak-ng ${howItEnded(code, killedBy)}${firstLine ? `: ${firstLine}` : ''}`, 'the next phrase starts a new espeak-ng; check the system log if it keeps happening');
        }
        throw new EspeakError(`espeak-ng ${howItEnded(code, killedBy)}: ${firstLine}`, `check tts.espeak.voice ("${voice}")`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new EspeakError(`${binary} is not installed`, INSTALL_HINT);
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', kill);
      if (child.exitCode === null) kill();
    }
  }

  async dispose(): Promise<void> {}
}
