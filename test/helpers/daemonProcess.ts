import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { FakeAlsa } from './fakeAlsa.js';
import { cliPath } from './runCli.js';
import { sharedModelsDir } from './sharedModels.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The daemon as a service manager runs it: a child process whose JSON log lines we read. */
export class DaemonProcess {
  readonly logs: LogLine[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing — run \`npm run build\` first (npm test does)`);
    this.child = spawn(process.execPath, [cliPath, 'run', '--models', 'test', '--models-dir', sharedModelsDir, ...args], {
      env: { ...env, KIOSK_VOICE__LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffer = '';
    this.child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { level: 60, msg: `NOT A LOG LINE: ${text}` };
        }
        this.logs.push(line);
        this.waiters = this.waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first log line (already seen or to come) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line for "${what}" within ${timeoutMs} ms; last lines:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  tail(n = 15): string {
    return this.logs.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Pids of the daemon's child processes with their command names. */
export function childProcesses(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
    const child = Number(entry);
    try {
      out.push({ pid: child, comm: readFileSync(`/proc/${child}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function speakerHolds(alsa: FakeAlsa, minSeconds: number, timeoutMs: number): Promise<Int16Array> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(alsa.speakerFile) && statSync(alsa.speakerFile).size >= minSeconds * 22050 * 2) {
      const bytes = readFileSync(alsa.speakerFile);
      return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
    }
    if (Date.now() > deadline) throw new Error(`the fake speaker got less than ${minSeconds} s of audio within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

