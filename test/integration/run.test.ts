import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { cliPath } from '../helpers/runCli.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The daemon as a service manager runs it: a child process whose JSON log lines we read. */
class Daemon {
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
function childProcesses(pid: number): { pid: number; comm: string }[] {
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
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function speakerHolds(alsa: FakeAlsa, minSeconds: number, timeoutMs: number): Promise<Int16Array> {
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

const isTurn = (line: LogLine) => line.msg === 'turn';

describe('kiosk-voice run (real ALSA fake mic and speaker, real engines)', () => {
  let alsa: FakeAlsa | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => {
    daemon?.kill();
    await alsa?.close();
    daemon = alsa = undefined;
  });

  async function startWithQuestion(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    alsa = await createFakeAlsa({ mics: { kmic: { audio: samples, rate: 16000, channels: 1 } } });
    daemon = new Daemon(['--input-device', 'kmic', '--output-device', 'kspk', ...extraArgs], { ...alsa.env, ...env });
    return daemon;
  }

  it('answers a spoken question from the mic through the speaker, and stops cleanly on SIGTERM', async () => {
    const d = await startWithQuestion();
    await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
    const turn = await d.waitFor(isTurn, 30_000, 'first turn');
    expect(turn.transcript).toContain('opening hours');
    expect(turn.path).toBe('rule');
    expect(turn.endOfSpeechToFirstAudioMs).toEqual(expect.any(Number));
    // espeak says the opening-hours reply in about 3 s at 22.05 kHz.
    const spoken = await speakerHolds(alsa!, 2, 10_000);
    expect(rms(spoken)).toBeGreaterThan(0.02);
    expect(await d.stop()).toBe(0);
    expect(d.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(d.logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('recovers when the capture process is killed: capture resumes within 2 s and the next question is answered', async () => {
    const d = await startWithQuestion([], { KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord' });
    await d.waitFor(isTurn, 30_000, 'first turn');
    const arecord = childProcesses(d.pid).find((c) => c.comm === 'arecord');
    expect(arecord, `children: ${JSON.stringify(childProcesses(d.pid))}`).toBeDefined();
    const killedAt = Date.now();
    process.kill(arecord!.pid, 'SIGKILL');
    // The reopened mic hears the question again from the start (see fakeAlsa) and answers it.
    const running = await d.waitFor((l) => l.msg === 'capture state' && l.state === 'running' && (l.restarts as number) >= 1, 5_000, 'capture running again');
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(running.restarts).toBeGreaterThanOrEqual(1);
    await d.waitFor((l) => isTurn(l) && d.logs.filter(isTurn).length >= 2, 30_000, 'second turn');
    expect(d.logs.filter(isTurn)[1]!.transcript).toContain('opening hours');
    expect(await d.stop()).toBe(0);
  });

  it('does not hear itself: half-duplex ignores the mic while speaking, full duplex does not', async () => {
    // The question, then the question again while the (long) reply is playing, then silence.
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    const twice = new Int16Array(samples.length * 2 + 16000);
    twice.set(samples, 0);
    twice.set(samples, samples.length + 16000);
    const longReply = 'We are open from nine in the morning until half past five in the afternoon, from Monday to Friday. On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed.';
    alsa = await createFakeAlsa({ mics: { kmic: { audio: twice, rate: 16000, channels: 1 } } });
    const configFile = join(alsa.home, 'kiosk.yaml');
    writeFileSync(configFile, `dialog:\n  rules:\n    - match: [opening hours]\n      reply: "${longReply}"\n`);
    const turnsWith = async (fullDuplex: boolean): Promise<LogLine[]> => {
      const d = new Daemon(['--config', configFile, '--input-device', 'kmic', '--output-device', 'kspk'], {
        ...alsa!.env,
        KIOSK_VOICE__AUDIO__FULL_DUPLEX: String(fullDuplex),
      });
      daemon = d;
      const first = await d.waitFor(isTurn, 30_000, 'first turn');
      expect(first.reply).toBe(longReply);
      // The second question ends ~2.5 s after the first; give it time to be answered if heard.
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      expect(await d.stop()).toBe(0);
      return d.logs.filter(isTurn);
    };
    expect(await turnsWith(false)).toHaveLength(1);
    const full = await turnsWith(true);
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(full[1]!.transcript).toContain('opening hours');
  }, 120_000);

  it('keeps retrying a missing mic with backoff: one error line, no crash, little CPU', async () => {
    alsa = await createFakeAlsa();
    daemon = new Daemon(['--input-device', 'hw:CARD=Nope', '--output-device', 'kspk'], { ...alsa.env, KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord' });
    const d = daemon;
    await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
    const cpuBefore = cpuSeconds(d.pid);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const cpuShare = (cpuSeconds(d.pid) - cpuBefore) / 4;
    const errors = d.logs.filter((l) => l.level >= 50);
    expect(errors, d.tail()).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/hw:CARD=Nope/);
    expect(cpuShare).toBeLessThan(0.1);
    const attempts = d.logs.filter((l) => l.msg === 'capture reopens after a delay').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(8);
    expect(await d.stop()).toBe(0);
  });
});
