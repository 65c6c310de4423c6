import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { createLogger } from '../../logging/createLogger.js';
import type { AsrEngine } from './AsrEngine.js';
import { PocketsphinxLoadLog, type PocketsphinxModelPaths } from './pocketsphinxLoadLog.js';

/** pocketsphinx or its English model is not installed, or the recogniser failed. */
export class PocketsphinxError extends KioskVoiceError {}

/** Where the engine reports a restart of its child (pino's Logger fits). */
export interface PocketsphinxLog {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface PocketsphinxOptions {
  /** Defaults to a warn-level logger on stderr, made only when there is something to say. */
  logger?: PocketsphinxLog;
}

const INSTALL_HINT = 'install it: apt-get install python3-pocketsphinx pocketsphinx-en-us';
const REINSTALL = '`sudo apt-get install --reinstall pocketsphinx-en-us` restores Debian\'s model files';

/** What each model file is, and the setting that names it. */
const ROLES: Record<keyof PocketsphinxModelPaths, { what: string; setting: string }> = {
  hmm: { what: 'acoustic model', setting: 'asr.pocketsphinx.hmm' },
  lm: { what: 'language model', setting: 'asr.pocketsphinx.lm' },
  dict: { what: 'dictionary', setting: 'asr.pocketsphinx.dict' },
};

/** The files of an acoustic model directory that the decoder cannot do without. */
const HMM_FILES = ['mdef', 'means', 'variances', 'transition_matrices'];
// Same relative place from src/engines/asr/ and from dist/engines/asr/.
const SERVER_SCRIPT = fileURLToPath(new URL('../../../scripts/pocketsphinx-stream.py', import.meta.url));

type Reply = { ready: true } | { error: string; model?: true } | { u: number; partial: string } | { u: number; final: string };

/** A final transcript asked for and not yet answered. */
interface PendingFinal {
  resolve: (text: string) => void;
  reject: (error: Error) => void;
  /** The whole utterance, to recognise it again on a restarted child. */
  segment: Int16Array;
  /** Already sent to a second child once: another crash fails it rather than looping. */
  resent: boolean;
}

/** "was killed by SIGKILL" / "exited with code 3". */
function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Debian's pocketsphinx, kept loaded in a child process (scripts/pocketsphinx-stream.py) and fed
 * while the visitor speaks, so at the endpoint only the final search remains. Weak, but real and
 * available wherever Debian is, so CI runs whole turns with partial transcripts.
 *
 * This side issues the utterance ids and sends each with its start and end, and answers are
 * matched by them, so a restarted child cannot shift answers onto later questions. A child that
 * dies after it had loaded is restarted at once (logged once per restart); an utterance it took
 * with it is recognised again on the new child from the segment the caller hands to
 * `finishUtterance` (once: a second crash on the same audio fails that utterance).
 */
export class PocketsphinxAsr implements AsrEngine {
  readonly streaming = true;
  private child: ChildProcess | undefined;
  private loaded: Promise<void> | undefined;
  /** Id of the current (or last) utterance; issued here, never by the child. */
  private utterance = 0;
  /** The child the current utterance was started on; another one has not heard its audio. */
  private utteranceChild: ChildProcess | undefined;
  private fed = 0;
  private disposed = false;
  private partial: { u: number; text: string; reported: boolean } | undefined;
  private readonly finals = new Map<number, PendingFinal>();
  private logger: PocketsphinxLog | undefined;

  constructor(
    private readonly config: KioskConfig['asr']['pocketsphinx'],
    options: PocketsphinxOptions = {},
  ) {
    this.logger = options.logger;
    checkModelFiles(config);
    this.spawn();
  }

  /** Process id of the recogniser child, while one runs (for diagnostics and tests). */
  get childPid(): number | undefined {
    return this.child?.pid;
  }

  ready(): Promise<void> {
    return this.loaded ?? Promise.resolve();
  }

  startUtterance(): void {
    if (!this.child) this.spawn();
    this.utterance = this.nextId();
    this.utteranceChild = this.child;
    this.fed = 0;
    this.partial = undefined;
    this.sendId('S', this.utterance);
  }

  acceptSpeech(samples: Int16Array): string | undefined {
    if (samples.length === 0) return undefined;
    this.fed += samples.length;
    // A child started after this utterance began never saw its start: finishUtterance resends it whole.
    if (this.child === undefined || this.child !== this.utteranceChild) return undefined;
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
    const restartedMidUtterance = this.child === undefined || this.child !== this.utteranceChild;
    const final = new Promise<string>((resolve, reject) => this.finals.set(u, { resolve, reject, segment, resent: false }));
    this.fed = 0;
    this.utteranceChild = undefined;
    if (!restartedMidUtterance) this.sendId('E', u);
    else this.resend(u, this.finals.get(u)!, new PocketsphinxError('pocketsphinx restarted during the utterance and has no audio of it', INSTALL_HINT));
    const [, text] = await Promise.all([this.ready(), final]);
    return text.replace(/\s+/g, ' ').trim().toLowerCase();
  }

  dispose(): void {
    this.disposed = true;
    this.child?.kill();
    this.child = undefined;
  }

  private nextId(): number {
    // uint32 on the wire; 0 is never used.
    return (this.utterance % 0xffffffff) + 1;
  }

  private spawn(): void {
    const { python, hmm, lm, dict } = this.config;
    const child = spawn(python, [SERVER_SCRIPT, hmm, lm, dict], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin!.on('error', () => {}); // a dead child is reported through 'close'
    const loadLog = new PocketsphinxLoadLog(this.config);
    let stderr = '';
    let wasReady = false;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      // Until ready, stderr is the decoder's log; after, only Python's own errors.
      if (!wasReady) loadLog.line(line);
      else stderr = (stderr + line + '\n').slice(-2000);
    });
    let refused: Extract<Reply, { error: string }> | undefined;
    let startError: PocketsphinxError | undefined;
    this.loaded = new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const reply = JSON.parse(line) as Reply;
        if ('ready' in reply) {
          wasReady = true;
          resolve();
        } else if ('error' in reply) refused = reply;
        else if ('partial' in reply) this.partial = { u: reply.u, text: reply.partial.toLowerCase(), reported: false };
        else this.settle(reply.u, reply.final);
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        startError = new PocketsphinxError(error.code === 'ENOENT' ? `${python} is not installed` : `cannot start pocketsphinx: ${error.message}`, INSTALL_HINT);
      });
      child.once('close', (code, signal) => {
        const current = this.child === child;
        if (current) this.child = undefined;
        const lastLine = stderr.trim().split('\n').at(-1) ?? '';
        const error =
          startError ??
          (wasReady
            ? new PocketsphinxError(`pocketsphinx ${howItEnded(code, signal)}${lastLine ? `: ${lastLine}` : ''}`, INSTALL_HINT)
            : loadFailure(this.config, loadLog, refused, code, signal));
        reject(error);
        if (this.disposed || !current || !wasReady) {
          // Never loaded (not installed, bad model): no point retrying now; the next utterance tries again.
          for (const pending of this.finals.values()) pending.reject(error);
          this.finals.clear();
          return;
        }
        this.restartAfterCrash(code, signal, error);
      });
    });
    // Observed by finishUtterance; a failure before any utterance must not go unhandled.
    this.loaded.catch(() => undefined);
  }

  /** The loaded child died: start another at once and give it what the dead one had not answered. */
  private restartAfterCrash(code: number | null, signal: NodeJS.Signals | null, error: PocketsphinxError): void {
    const pending = [...this.finals.entries()];
    this.logger ??= createLogger('warn', { bindings: { engine: 'pocketsphinx' } });
    this.logger.warn(
      { code, signal, pendingUtterances: pending.length, inUtterance: this.utteranceChild !== undefined },
      `pocketsphinx recogniser ${howItEnded(code, signal)}; restarting it`,
    );
    this.spawn();
    for (const [u, final] of pending) this.resend(u, final, error);
  }

  /** Recognises utterance `u` again, whole, on the current child (spawned if there is none). */
  private resend(u: number, final: PendingFinal, error: Error): void {
    if (final.resent || final.segment.length === 0) {
      this.finals.delete(u);
      final.reject(error);
      return;
    }
    final.resent = true;
    if (!this.child) this.spawn();
    this.sendId('S', u);
    this.send('A', final.segment);
    this.sendId('E', u);
  }

  private settle(u: number, text: string): void {
    this.finals.get(u)?.resolve(text);
    this.finals.delete(u);
  }

  private sendId(command: 'S' | 'E', u: number): void {
    const id = Buffer.alloc(4);
    id.writeUInt32LE(u, 0);
    this.write(command, id);
  }

  private send(command: 'A', samples: Int16Array): void {
    this.write(command, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  private write(command: 'S' | 'A' | 'E', payload: Buffer): void {
    const header = Buffer.alloc(5);
    header.write(command, 0, 'latin1');
    header.writeUInt32LE(payload.length, 1);
    this.child?.stdin!.write(Buffer.concat([header, payload]));
  }
}

/**
 * The model files exist and look like what the decoder takes, checked before a child is started:
 * a missing or empty file, or an acoustic model directory without its core files, would otherwise
 * surface as a bare "new_Decoder returned -1" or a crash.
 */
function checkModelFiles(paths: PocketsphinxModelPaths): void {
  for (const role of ['hmm', 'lm', 'dict'] as const) {
    const path = paths[role];
    const { what, setting } = ROLES[role];
    if (!existsSync(path)) throw new PocketsphinxError(`pocketsphinx ${what} (${setting}) not found at ${path}`, INSTALL_HINT);
    const hint = `${REINSTALL}, or point ${setting} at a good copy`;
    const st = statSync(path);
    if (role === 'hmm') {
      if (!st.isDirectory()) throw new PocketsphinxError(`pocketsphinx ${what} (${setting}) ${path} is not a directory: it is the directory that holds mdef, means, variances, …`, hint);
      for (const name of HMM_FILES) {
        const file = join(path, name);
        const problem = !existsSync(file) ? 'has no' : !statSync(file).isFile() ? 'has no file' : statSync(file).size === 0 ? 'has an empty' : undefined;
        if (problem) throw new PocketsphinxError(`pocketsphinx ${what} (${setting}) ${path} ${problem} ${name}: it is incomplete or not a pocketsphinx acoustic model`, hint);
      }
    } else if (!st.isFile()) {
      throw new PocketsphinxError(`pocketsphinx ${what} (${setting}) ${path} is not a file`, hint);
    } else if (st.size === 0) {
      throw new PocketsphinxError(`pocketsphinx ${what} (${setting}) ${path} is empty`, hint);
    }
  }
}

/** Signals with which a process dies of its own fault (here: the C decoder reading a damaged file). */
const CRASH_SIGNALS = new Set<NodeJS.Signals>(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGFPE', 'SIGILL']);

/**
 * Why a child ended before it was ready, naming the model file when the decoder's log tells
 * which: it refused it (with the decoder's own ERROR lines), or crashed while reading it.
 */
function loadFailure(paths: PocketsphinxModelPaths, log: PocketsphinxLoadLog, refused: { error: string; model?: true } | undefined, code: number | null, signal: NodeJS.Signals | null): PocketsphinxError {
  if (refused && !refused.model) return new PocketsphinxError(`pocketsphinx: ${refused.error}`, INSTALL_HINT);
  const crashed = signal !== null && CRASH_SIGNALS.has(signal);
  if (!refused && !crashed) {
    const said = log.errors.length > 0 ? log.errors.join('; ') : log.lastOther;
    return new PocketsphinxError(`pocketsphinx ${howItEnded(code, signal)} while loading its model${said ? `: ${said}` : ''}`, INSTALL_HINT);
  }
  const said = log.errors.length > 0 ? `: ${log.errors.join('; ')}` : '';
  const role = log.setting;
  if (!role) {
    const all = (['hmm', 'lm', 'dict'] as const).map((r) => `${ROLES[r].setting} ${paths[r]}`).join(', ');
    return new PocketsphinxError(
      crashed ? `pocketsphinx crashed (${signal}) while loading its model files, so one of them is damaged (${all})${said}` : `pocketsphinx refused its model files (${all})${said}`,
      `${REINSTALL}, or fix the asr.pocketsphinx.* paths`,
    );
  }
  const { what, setting } = ROLES[role];
  const file = log.file!;
  const where = role === 'hmm' ? `${file} of its ${what} (${setting} ${paths.hmm})` : `its ${what} (${setting}) ${file}`;
  const hint = `${REINSTALL}, or point ${setting} at a good copy`;
  if (crashed) return new PocketsphinxError(`pocketsphinx crashed (${signal}) while reading ${where}: the file is damaged`, hint);
  return new PocketsphinxError(`pocketsphinx cannot load ${where}${said || ': the file is damaged'}`, hint);
}
