import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import type { AsrEngine } from './AsrEngine.js';

/** pocketsphinx or its English model is not installed, or the recogniser failed. */
export class PocketsphinxError extends KioskVoiceError {}

const INSTALL_HINT = 'install it: apt-get install python3-pocketsphinx pocketsphinx-en-us';
// Same relative place from src/engines/asr/ and from dist/engines/asr/.
const SERVER_SCRIPT = fileURLToPath(new URL('../../../scripts/pocketsphinx-stream.py', import.meta.url));

type Reply = { ready: true } | { error: string } | { u: number; partial: string } | { u: number; final: string };

/**
 * Debian's pocketsphinx, kept loaded in a child process (scripts/pocketsphinx-stream.py) and fed
 * while the visitor speaks, so at the endpoint only the final search remains. Weak, but real and
 * available wherever Debian is, so CI runs whole turns with partial transcripts.
 */
export class PocketsphinxAsr implements AsrEngine {
  readonly streaming = true;
  private child: ChildProcess | undefined;
  private loaded: Promise<void> | undefined;
  private utterance = 0;
  private fed = 0;
  private partial: { u: number; text: string; reported: boolean } | undefined;
  private readonly finals = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();

  constructor(private readonly config: KioskConfig['asr']['pocketsphinx']) {
    for (const [role, path] of [
      ['acoustic model (hmm)', config.hmm],
      ['language model (lm)', config.lm],
      ['dictionary (dict)', config.dict],
    ] as const) {
      if (!existsSync(path)) throw new PocketsphinxError(`pocketsphinx ${role} not found at ${path}`, INSTALL_HINT);
    }
    this.spawn();
  }

  ready(): Promise<void> {
    return this.loaded ?? Promise.resolve();
  }

  startUtterance(): void {
    if (!this.child) this.spawn();
    this.utterance++;
    this.fed = 0;
    this.partial = undefined;
    this.send('S');
  }

  acceptSpeech(samples: Int16Array): string | undefined {
    if (samples.length === 0) return undefined;
    this.fed += samples.length;
    this.send('A', samples);
    const partial = this.partial;
    if (!partial || partial.u !== this.utterance || partial.reported) return undefined;
    partial.reported = true;
    return partial.text;
  }

  async finishUtterance(segment: Int16Array): Promise<string> {
    // A caller that only hands over the whole segment gets it recognised all the same.
    if (this.fed === 0) {
      this.startUtterance();
      this.acceptSpeech(segment);
    }
    const u = this.utterance;
    const final = new Promise<string>((resolve, reject) => this.finals.set(u, { resolve, reject }));
    this.send('E');
    this.fed = 0;
    const [, text] = await Promise.all([this.ready(), final]);
    return text.replace(/\s+/g, ' ').trim().toLowerCase();
  }

  dispose(): void {
    this.child?.kill();
    this.child = undefined;
  }

  private spawn(): void {
    const { python, hmm, lm, dict } = this.config;
    const child = spawn(python, [SERVER_SCRIPT, hmm, lm, dict], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin!.on('error', () => {}); // a dead child is reported through 'close'
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let failure: PocketsphinxError | undefined;
    this.loaded = new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const reply = JSON.parse(line) as Reply;
        if ('ready' in reply) resolve();
        else if ('error' in reply) failure = new PocketsphinxError(`pocketsphinx: ${reply.error}`, INSTALL_HINT);
        else if ('partial' in reply) this.partial = { u: reply.u, text: reply.partial.toLowerCase(), reported: false };
        else this.settle(reply.u, reply.final);
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        failure = new PocketsphinxError(error.code === 'ENOENT' ? `${python} is not installed` : `cannot start pocketsphinx: ${error.message}`, INSTALL_HINT);
      });
      child.once('close', (code) => {
        if (this.child === child) this.child = undefined;
        const error = failure ?? new PocketsphinxError(`pocketsphinx exited with code ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`, INSTALL_HINT);
        reject(error);
        for (const pending of this.finals.values()) pending.reject(error);
        this.finals.clear();
      });
    });
    // Observed by finishUtterance; a failure before any utterance must not go unhandled.
    this.loaded.catch(() => undefined);
  }

  private settle(u: number, text: string): void {
    this.finals.get(u)?.resolve(text);
    this.finals.delete(u);
  }

  private send(command: 'S' | 'A' | 'E', samples?: Int16Array): void {
    const payload = samples ? Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength) : Buffer.alloc(0);
    const header = Buffer.alloc(5);
    header.write(command, 0, 'latin1');
    header.writeUInt32LE(payload.length, 1);
    this.child?.stdin!.write(payload.length ? Buffer.concat([header, payload]) : header);
  }
}
