import { spawn } from 'node:child_process';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import type { TtsEngine } from './TtsEngine.js';

/** espeak-ng is missing or failed to speak. */
export class EspeakError extends KioskVoiceError {}

// espeak-ng writes 16-bit mono WAV at 22050 Hz with a 44-byte header whose sizes are placeholders.
const ESPEAK_RATE = 22050;
const HEADER_BYTES = 44;

/**
 * espeak-ng as a child process, its WAV stdout streamed as it is produced. Text goes in on stdin so
 * nothing the model says can be mistaken for a command-line option.
 */
export class EspeakTts implements TtsEngine {
  readonly sampleRate = ESPEAK_RATE;

  constructor(private readonly config: KioskConfig['tts']['espeak']) {}

  async *speak(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted || !text.trim()) return;
    const { binary, voice, rate } = this.config;
    const child = spawn(binary, ['--stdout', '-v', voice, '-s', String(rate)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
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
      const code = await exited;
      if (code !== 0 && !signal.aborted) {
        throw new EspeakError(`espeak-ng exited with code ${code}: ${stderr.trim().split('\n')[0] ?? ''}`, `check tts.espeak.voice ("${voice}")`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new EspeakError(`${binary} is not installed`, 'apt-get install espeak-ng');
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', kill);
      if (child.exitCode === null) kill();
    }
  }

  async dispose(): Promise<void> {}
}
