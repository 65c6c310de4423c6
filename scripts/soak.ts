/**
 * The soak: N turns through the real daemon (`node dist/cli.js run --models test`, open mic) with
 * the fake ALSA speaker and a fake mic that asks a question whenever the kiosk is ready for one,
 * watching the daemon from outside (/proc: RSS, open fds, child processes, threads) and from inside
 * (its `health` line: heap, event-loop lag, worker restarts). Prints a table and PASS/FAIL against
 * the targets: memory growth after warm-up ≤ 10 %, no fd or process growth, event-loop lag
 * p99 ≤ 50 ms, every turn answered.
 *
 *   npm run build && npm run soak -- --turns 1000
 *
 * Each question is asked like a visitor would: after the previous answer was heard and the
 * half-duplex echo tail is over, with a little jitter, so no question meets a closed mic and the
 * pace is as fast as the daemon answers (about 3–4 s a turn here). Most questions are answered by
 * a dialog rule; every `--llm-every`th goes to the model (stories260K, a few tokens), so its
 * history and its compaction are soaked too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadWavForPipeline } from '../src/audio/toPipelineAudio.js';
import { descendants, statusField } from '../src/system/processTree.js';
import { formatSoakReport, summariseSoak, type SoakHealth, type SoakReport, type SoakSample, type SoakTurn } from '../src/bench/soakReport.js';
import { addAskingMic, type AskingMic } from '../test/helpers/askingMic.js';
import { DaemonProcess, type LogLine } from '../test/helpers/daemonProcess.js';
import { createFakeAlsa, requireTools, type FakeAlsa } from '../test/helpers/fakeAlsa.js';
import { cliPath } from '../test/helpers/runCli.js';
import { sharedModelsDir } from '../test/helpers/sharedModels.js';
import { ScriptCleanups } from '../test/helpers/scriptCleanups.js';

const MIC_RATE = 16000;
/** How often /proc is read. */
const SAMPLE_EVERY_MS = 1000;
/** How often the daemon logs its health during the soak (`healthLogSeconds`). */
const HEALTH_EVERY_S = 5;
/** The daemon's `turn.echoTailMs` (default): the mic stays closed this long after an answer. */
const ECHO_TAIL_MS = 250;
/** After that, the next visitor speaks within this much more (uniformly), so nothing runs in lockstep. */
const PAUSE_MS = [150, 600] as const;
/** A question not answered by then is counted as unanswered and the soak goes on. */
const TURN_TIMEOUT_MS = 30_000;

type Kind = 'rule' | 'llm';
const QUESTIONS: Record<Kind, string> = { rule: 'opening hours', llm: 'tell me a story' };
const RULE_REPLY = 'Nine to five.';

const CONFIG = `# written by scripts/soak.ts
healthLogSeconds: ${HEALTH_EVERY_S}
turn: { trigger: open-mic, echoTailMs: ${ECHO_TAIL_MS} }
llm: { maxTokens: 8 }
dialog:
  rules:
    - match: [${QUESTIONS.rule}]
      reply: "${RULE_REPLY}"
`;

interface SoakOptions {
  turns: number;
  warmUp: number | undefined;
  llmEvery: number;
  json: boolean;
  keepLog: string | undefined;
}

const progress = (text: string) => process.stderr.write(`${text}\n`);
const mbOf = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

const wholeNumber = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
  return n;
};

// ── the daemon from outside ────────────────────────────────────────────────────────────────


/** What a child runs: the script for node and python children (`brainWorker`), else the command (`aplay`). */
function childLabel(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const interpreted = /(^|\/)(node|python3?)$/.test(argv[0] ?? '');
    const script = interpreted ? argv.slice(1).find((a) => !a.startsWith('-')) : undefined;
    return (script ?? argv[0] ?? '?').replace(/^.*\//, '').replace(/\.(m?js|ts|py)$/, '');
  } catch {
    return 'gone';
  }
}

/** Clock ticks per second of /proc/<pid>/stat's start time (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
/** Children younger than this are not counted: the mouth runs an espeak-ng per phrase, for a few ms. */
const LASTING_CHILD_S = 5;

/** Seconds since `pid` started, or NaN if it is gone. */
function ageSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return uptime - Number(fields[19]) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function readProc(pid: number): Omit<SoakSample, 'atMs' | 'turns'> {
  const rssBytes = statusField(pid, 'VmRSS') * 1024;
  const childRssBytes: Record<string, number> = {};
  let treeRssBytes = rssBytes;
  const children = descendants(pid).filter((child) => ageSeconds(child) >= LASTING_CHILD_S);
  for (const child of children) {
    const rss = statusField(child, 'VmRSS') * 1024;
    if (!Number.isFinite(rss)) continue;
    const label = childLabel(child);
    childRssBytes[label] = (childRssBytes[label] ?? 0) + rss;
    treeRssBytes += rss;
  }
  return {
    rssBytes,
    treeRssBytes,
    childRssBytes,
    threads: statusField(pid, 'Threads'),
    openFds: readdirSync(`/proc/${pid}/fd`).length,
    processes: children.length,
  };
}

// ── the questions ──────────────────────────────────────────────────────────────────────────

/** A question spoken by flite (pocketsphinx transcribes its voices well), at 16 kHz. */
async function speak(text: string, dir: string): Promise<Int16Array> {
  const wav = join(dir, `${text.replace(/\W+/g, '_')}.wav`);
  const result = spawnSync('flite', ['-voice', 'rms', '-t', text, '-o', wav], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`flite could not speak "${text}": ${result.stderr || result.error?.message}`);
  return (await loadWavForPipeline(wav, MIC_RATE)).samples;
}

const kindOf = (turn: number, llmEvery: number): Kind => (llmEvery > 0 && turn % llmEvery === 0 ? 'llm' : 'rule');

// ── the run ────────────────────────────────────────────────────────────────────────────────

interface Collected {
  samples: SoakSample[];
  health: SoakHealth[];
  turns: SoakTurn[];
  workerRestartLines: number;
  captureRestarts: number;
}

/** Reads new log lines as they come: turns, states, health snapshots, restarts. */
class LogReader {
  private seen = 0;
  /** Index in `daemon.logs` of the last `state` line, and where it went. */
  lastState: { index: number; to: string } | undefined;
  /** Index of the last `turn` line. */
  lastTurnIndex = -1;
  captureRunning = false;
  readonly collected: Collected = { samples: [], health: [], turns: [], workerRestartLines: 0, captureRestarts: 0 };

  constructor(
    private readonly daemon: DaemonProcess,
    private readonly startedAt: number,
  ) {}

  read(): void {
    const { logs } = this.daemon;
    for (; this.seen < logs.length; this.seen++) this.take(logs[this.seen]!, this.seen);
  }

  private take(line: LogLine, index: number): void {
    const c = this.collected;
    switch (line.msg) {
      case 'state':
        this.lastState = { index, to: String(line.to) };
        return;
      case 'turn':
        this.lastTurnIndex = index;
        c.turns.push({
          outcome: line.outcome as string | undefined,
          path: line.path as string | undefined,
          transcript: String(line.transcript ?? ''),
          endOfSpeechToFirstAudioMs: line.endOfSpeechToFirstAudioMs as number | undefined,
        });
        return;
      case 'health': {
        const h = line.health as { workers?: { restarts?: number }[]; process?: Record<string, number | undefined> } | undefined;
        c.health.push({
          atMs: Date.now() - this.startedAt,
          turns: c.turns.length,
          heapUsedBytes: h?.process?.heapUsedBytes,
          eventLoopLagP99Ms: h?.process?.eventLoopLagP99Ms,
          eventLoopLagMaxMs: h?.process?.eventLoopLagMaxMs,
          workerRestarts: (h?.workers ?? []).reduce((n, w) => n + (w.restarts ?? 0), 0),
        });
        return;
      }
      case 'worker crashed; restarting':
        c.workerRestartLines++;
        return;
      case 'capture state':
        if (typeof line.restarts === 'number') c.captureRestarts = line.restarts;
        this.captureRunning = line.state === 'running';
        return;
    }
  }
}

/** Polls `check` (reading new log lines first) until it holds; false on timeout or daemon exit. */
async function until(reader: LogReader, alive: () => boolean, check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    reader.read();
    if (check()) return true;
    if (!alive() || Date.now() > deadline) return false;
    await sleep(20);
  }
}

const cleanups = new ScriptCleanups();

async function soak(options: SoakOptions): Promise<SoakReport> {
  const warmUpTurns = options.warmUp ?? Math.max(20, Math.round(options.turns * 0.1));
  if (warmUpTurns >= options.turns) throw new InvalidArgumentError(`--warm-up (${warmUpTurns}) must be fewer than --turns (${options.turns})`);
  const scratch = mkdtempSync(join(tmpdir(), 'kiosk-soak-'));
  let alsa: FakeAlsa | undefined;
  let mic: AskingMic | undefined;
  let daemon: DaemonProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      clearInterval(sampler);
      if (daemon) {
        const d = daemon;
        const killer = setTimeout(() => d.kill(), 5000);
        await d.stop();
        clearTimeout(killer);
      }
      mic?.close();
      await alsa?.close();
      rmSync(scratch, { recursive: true, force: true });
    })());
  cleanups.add(cleanup);
  try {
    const audio: Record<Kind, Int16Array> = { rule: await speak(QUESTIONS.rule, scratch), llm: await speak(QUESTIONS.llm, scratch) };
    alsa = await createFakeAlsa();
    mic = addAskingMic(alsa, 'soakmic', MIC_RATE);
    const configFile = join(scratch, 'soak.yaml');
    writeFileSync(configFile, CONFIG);
    progress(`soak: ${options.turns} questions (every ${options.llmEvery || 'no'}th to the model), warm-up ${warmUpTurns} turns`);

    const startedAt = Date.now();
    const d = new DaemonProcess(['--config', configFile, '--input-device', mic.pcm, '--output-device', alsa.speakerPcm, '--log-level', 'info'], alsa.env);
    daemon = d;
    let alive = true;
    void d.exited.then(() => (alive = false));
    const reader = new LogReader(d, startedAt);
    const { collected } = reader;
    const isAlive = () => alive;
    if (!(await until(reader, isAlive, () => reader.captureRunning, 90_000))) {
      throw new Error(`the daemon's capture did not start; last lines:\n${d.tail()}`);
    }
    await mic.opened;
    sampler = setInterval(() => {
      if (!alive) return;
      reader.read();
      collected.samples.push({ atMs: Date.now() - startedAt, turns: collected.turns.length, ...readProc(d.pid) });
    }, SAMPLE_EVERY_MS);

    let unanswered = 0;
    for (let i = 1; i <= options.turns; i++) {
      const before = collected.turns.length;
      await mic.ask(audio[kindOf(i, options.llmEvery)]);
      const turned = await until(reader, isAlive, () => collected.turns.length > before, TURN_TIMEOUT_MS);
      if (!alive) throw new Error(`the daemon exited during the soak (turn ${i}); last lines:\n${d.tail()}`);
      if (!turned) {
        unanswered++;
        progress(`  question ${i}: no turn within ${TURN_TIMEOUT_MS / 1000} s (state ${reader.lastState?.to ?? 'unknown'})`);
        continue;
      }
      // The answer is over once the state after the turn line is idle (open mic: no follow-up).
      await until(reader, isAlive, () => reader.lastState !== undefined && reader.lastState.index > reader.lastTurnIndex && reader.lastState.to === 'idle', TURN_TIMEOUT_MS);
      await sleep(ECHO_TAIL_MS + PAUSE_MS[0] + Math.random() * (PAUSE_MS[1] - PAUSE_MS[0]));
      if (i % Math.max(1, Math.round(options.turns / 10)) === 0) {
        const s = collected.samples.at(-1);
        progress(
          `  turn ${i}/${options.turns}: ${collected.turns.length} logged` +
            (s
              ? `, RSS ${mbOf(s.rssBytes)} (with children ${mbOf(s.treeRssBytes)}: ${Object.entries(s.childRssBytes).map(([k, v]) => `${k} ${mbOf(v)}`).join(', ')})` +
                `, fds ${s.openFds}, processes ${s.processes}, threads ${s.threads}`
              : '') +
            `, ${Math.round((Date.now() - startedAt) / 1000)} s`,
        );
      }
    }
    if (unanswered > 0) progress(`  ${unanswered} questions got no turn`);
    // A few samples and a health line past the last turn, so the end figures are not one sample.
    const healthBefore = collected.health.length;
    await until(reader, isAlive, () => collected.health.length > healthBefore && collected.samples.filter((x) => x.turns >= collected.turns.length).length >= 3, HEALTH_EVERY_S * 1000 + 5000);
    clearInterval(sampler);
    reader.read();
    const code = await d.stop();
    daemon = undefined;
    if (options.keepLog) writeFileSync(options.keepLog, `${d.logs.map((l) => JSON.stringify(l)).join('\n')}\n`);
    if (code !== 0) throw new Error(`the daemon exited with code ${code} on SIGTERM; last lines:\n${d.tail()}`);
    return summariseSoak({ asked: options.turns, warmUpTurns, durationMs: Date.now() - startedAt, ...collected });
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

function preflight(): string | undefined {
  if (!existsSync(cliPath)) return `${cliPath} is missing: build the daemon first with \`npm run build\``;
  if (!existsSync(join(sharedModelsDir, 'llm'))) return `the test models are not at ${sharedModelsDir}: set KIOSK_MODELS_MIRROR to the shared models directory`;
  try {
    requireTools('pv', 'arecord', 'aplay');
  } catch (error) {
    return (error as Error).message;
  }
  if (spawnSync('sh', ['-c', 'command -v flite']).status !== 0) return 'flite is missing (it speaks the questions): apt-get install -y flite';
  return undefined;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('soak')
    .description(
      'Drives N turns through the real daemon (fake ALSA mic and speaker, open mic) and reports memory, fds, processes, ' +
        'event-loop lag, worker restarts, turns answered and latency against the soak targets. Build first: npm run build.',
    )
    .option('--turns <n>', 'questions to ask', wholeNumber(10, 100_000), 1000)
    .option('--warm-up <n>', 'turns before the "after warm-up" figures (default: 10 % of the turns, at least 20)', wholeNumber(1, 100_000))
    .option('--llm-every <n>', 'every nth question goes to the model, the rest to a dialog rule; 0 = rules only', wholeNumber(0, 1000), 5)
    .option('--keep-log <file>', "write the daemon's log lines (JSON) to this file")
    .option('--json', 'print the report as one JSON object on stdout (progress stays on stderr)', false)
    .showHelpAfterError()
    .parse();
  const options = program.opts<SoakOptions>();
  const problem = preflight();
  if (problem) {
    progress(`soak: ${problem}`);
    process.exitCode = 1;
    return;
  }
  const report = await soak(options);
  if (options.json) {
    console.log(JSON.stringify({ ...report, node: process.version, cpus: cpus().length }));
  } else {
    const argv = process.argv.slice(2).join(' ');
    console.log(`Command: npm run soak${argv ? ` -- ${argv}` : ''}   (Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'})`);
    console.log('');
    console.log(formatSoakReport(report));
  }
  process.exitCode = report.pass ? 0 : 1;
}

cleanups.run('soak', main, progress);
