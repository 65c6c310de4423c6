/**
 * A fake systemd NOTIFY_SOCKET that the test owns: a python3 AF_UNIX/SOCK_DGRAM server bound to a
 * temp path, printing every datagram it receives as one JSON line. Give the daemon
 * `NOTIFY_SOCKET: socket.path` and read `socket.messages` (arrival times on this process's clock).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    data, _ = s.recvfrom(65536)
    print(json.dumps({"text": data.decode("utf-8", "replace")}), flush=True)
`;

export interface NotifyMessage {
  /** Date.now() when the test process read it. */
  at: number;
  /** The datagram's assignments, e.g. { READY: '1', STATUS: 'idle · …' }. */
  fields: Record<string, string>;
}

export class FakeNotifySocket {
  readonly messages: NotifyMessage[] = [];
  private waiters: { match: (m: NotifyMessage) => boolean; resolve: (m: NotifyMessage) => void }[] = [];

  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly server: ChildProcess,
  ) {}

  static async create(): Promise<FakeNotifySocket> {
    const dir = await mkdtemp(join(tmpdir(), 'kiosk-notify-'));
    const path = join(dir, 'notify.sock');
    const server = spawn('python3', ['-c', SERVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = new FakeNotifySocket(path, dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('exit', (code) => reject(new Error(`the fake notify socket (python3) exited with ${code}`)));
      let buffer = '';
      server.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = JSON.parse(buffer.slice(0, nl)) as { bound?: true; text?: string };
          buffer = buffer.slice(nl + 1);
          if (line.bound) resolve();
          else socket.receive(line.text!);
        }
      });
    });
    return socket;
  }

  /** The messages that set `field` (e.g. 'WATCHDOG'). */
  with(field: string): NotifyMessage[] {
    return this.messages.filter((m) => field in m.fields);
  }

  /** Resolves with the first message (seen or to come) that matches. */
  waitFor(match: (m: NotifyMessage) => boolean, timeoutMs: number, what: string): Promise<NotifyMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notify message "${what}" within ${timeoutMs} ms; got:\n${this.summary()}`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  summary(): string {
    const start = this.messages[0]?.at ?? 0;
    return this.messages.map((m) => `+${m.at - start} ms ${JSON.stringify(m.fields)}`).join('\n');
  }

  async close(): Promise<void> {
    this.server.kill('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }

  private receive(text: string): void {
    const fields: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
    }
    const message = { at: Date.now(), fields };
    this.messages.push(message);
    this.waiters = this.waiters.filter((w) => (w.match(message) ? (w.resolve(message), false) : true));
  }
}

/** The longest time between consecutive messages that set `field`, within [from, to]. */
export function longestGap(messages: NotifyMessage[], from: number, to: number): number {
  const times = [from, ...messages.map((m) => m.at).filter((t) => t > from && t < to), to];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}
