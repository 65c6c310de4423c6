import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_REPORT_SCHEMA, type BenchReport } from '../../src/bench/BenchReport.js';
import { freePort } from '../helpers/mosquitto.js';
import { repoRoot } from '../helpers/sharedModels.js';
import { makeKeyPair, startSshd, type Sshd } from '../helpers/sshd.js';
import { useTempDirs } from '../helpers/tempDirs.js';

/**
 * scripts/bench.sh against a real sshd on 127.0.0.1 (this machine plays the device, logged in as
 * the current user), with a remote-bin wrapper that runs this checkout's dist/cli.js with the test
 * model set. The sessions get their own TMPDIR and XDG_CACHE_HOME, so that the device's temp dirs
 * and corpus cache can be checked and nothing lands in the real home; the script's local TMPDIR is
 * a fresh dir per run, checked to be left empty (no control socket, no logs).
 */

const BENCH = resolve(repoRoot, 'scripts/bench.sh');
const CLI = resolve(repoRoot, 'dist/cli.js');
const TOTAL_LABEL = 'end of speech → first audio';
/** The failure paths finish in seconds; the end-to-end runs play real turns through real engines. */
const FAILURE_TIMEOUT_MS = 30_000;
const E2E_TIMEOUT_MS = 240_000;

const tempDir = useTempDirs('kv-ssh-bench-');

let sshd: Sshd;
/** What the sessions see as TMPDIR and XDG_CACHE_HOME. */
let deviceRoot = '';
const deviceTmp = () => join(deviceRoot, 'tmp');
const deviceCache = () => join(deviceRoot, 'cache');

/** Results that later tests read (the first run's report, for --compare): kept until the end. */
let laptopRoot = '';

beforeAll(async () => {
  laptopRoot = mkdtempSync(join(tmpdir(), 'kv-ssh-laptop-'));
  deviceRoot = mkdtempSync(join(tmpdir(), 'kv-ssh-device-'));
  mkdirSync(join(deviceRoot, 'tmp'));
  sshd = await startSshd({ env: { TMPDIR: deviceTmp(), XDG_CACHE_HOME: deviceCache() } });
});
afterAll(async () => {
  await sshd?.stop();
  if (deviceRoot) rmSync(deviceRoot, { recursive: true, force: true });
  if (laptopRoot) rmSync(laptopRoot, { recursive: true, force: true });
});

interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The script's own TMPDIR: it must be empty again when the script has ended. */
  localTmp: string;
}

function runBench(args: string[], options: { env?: NodeJS.ProcessEnv; script?: string; timeoutMs?: number } = {}): Promise<BenchRun> {
  const localTmp = tempDir();
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? FAILURE_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [options.script ?? BENCH, ...args], {
      cwd: tempDir(),
      env: { ...process.env, TMPDIR: localTmp, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scripts/bench.sh ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr so far:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started, localTmp });
    });
  });
}

/** --host/--port/--identity and the host key options for the test sshd, each replaceable. */
function deviceArgs(options: { port?: number; identity?: string; sshOptions?: string[] } = {}): string[] {
  return [
    '--host',
    `${sshd.user}@127.0.0.1`,
    '--port',
    String(options.port ?? sshd.port),
    '--identity',
    options.identity ?? sshd.identityFile,
    ...(options.sshOptions ?? sshd.sshOptions).flatMap((option) => ['--ssh-option', option]),
  ];
}

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
/** Progress lines end in "…"; what is left of the script's stderr is its failure, if any. */
const errorLines = (stderr: string) => nonEmptyLines(stderr).filter((line) => !line.endsWith('…'));

/** The one line a failed run ends with; throws with the whole stderr when there is not exactly one. */
function theErrorLine(run: BenchRun): string {
  const lines = errorLines(run.stderr);
  if (lines.length !== 1 || !lines[0]!.startsWith('bench: ')) throw new Error(`expected one "bench:" error line, got:\n${run.stderr}`);
  return lines[0]!;
}

function expectCleanedUp(run: BenchRun): void {
  expect(readdirSync(run.localTmp)).toEqual([]);
  expect(readdirSync(deviceTmp()).filter((name) => name.startsWith('kiosk-voice-bench.'))).toEqual([]);
}

function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Single quotes for a path put into a generated sh script. */
const sq = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

describe('scripts/bench.sh: usage', () => {
  it('--help explains the options, the steps and the exit codes, and exits 0', async () => {
    const run = await runBench(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const option of ['--host', '--port', '--identity', '--corpus', '--turns', '--budget', '--out', '--compare', '--remote-bin', '--ssh-option', 'BENCH_CONNECT_TIMEOUT', 'Examples:', 'Exit status:']) {
      expect(run.stdout).toContain(option);
    }
  });

  it.each([
    [[], /^bench: --host is missing/],
    [['--host', 'pi@kiosk', '--bogus'], /^bench: unknown option '--bogus'/],
    [['--host', 'pi@kiosk', '--turns', '0'], /^bench: --turns must be a positive whole number \(got '0'\)/],
    [['--host', 'pi@kiosk', '--turns', 'many'], /^bench: --turns must be a positive whole number/],
    [['--host', 'pi@kiosk', '--turns'], /^bench: --turns needs a value/],
    [['--host', 'pi@kiosk', '--compare', '/nonexistent/old.json'], /^bench: --compare \/nonexistent\/old\.json: no such file/],
    [['--host', 'pi@kiosk', '--budget', '/nonexistent/budget.yaml'], /^bench: --budget \/nonexistent\/budget\.yaml: no such file/],
    [['--host', 'pi@kiosk', '--corpus', '/nonexistent'], /^bench: --corpus \/nonexistent: no such directory/],
    [['--host', '-oProxyCommand=true'], /^bench: --host '-oProxyCommand=true' is not a host/],
  ])('%j: one line pointing to --help, exit 2, nothing contacted', async (args, message) => {
    const run = await runBench(args);
    expect(run.code).toBe(2);
    expect(nonEmptyLines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('see scripts/bench.sh --help');
    expect(run.stdout).toBe('');
  });

  it('asks for a build when dist/cli.js is missing, before connecting', async () => {
    const checkout = tempDir();
    mkdirSync(join(checkout, 'scripts'));
    copyFileSync(BENCH, join(checkout, 'scripts/bench.sh'));
    const run = await runBench(['--host', 'pi@kiosk'], { script: join(checkout, 'scripts/bench.sh') });
    expect(run.code).toBe(2);
    expect(nonEmptyLines(run.stderr)).toEqual(['bench: build the project first (npm install && npm run build)']);
  });
});

describe('scripts/bench.sh: a device it cannot use', () => {
  it('nothing listening on the port: one line naming host and port, exit 2, quickly', async () => {
    const port = await freePort();
    const run = await runBench([...deviceArgs({ port }), '--out', join(tempDir(), 'out')], { env: { BENCH_CONNECT_TIMEOUT: '3' } });
    expect(run.code).toBe(2);
    expect(theErrorLine(run)).toBe(`bench: cannot reach 127.0.0.1 port ${port}: connection refused — is the device on and sshd running?`);
    expect(run.stderr).toMatch(/^bench: connecting to .*@127\.0\.0\.1 port \d+ …$/m);
    expect(run.ms).toBeLessThan(3000 + 5000);
    expect(run.stdout).toBe('');
    expectCleanedUp(run);
  });

  it('a port that accepts but never speaks ssh: a timeout after BENCH_CONNECT_TIMEOUT seconds', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolvePromise) => silent.listen(0, '127.0.0.1', resolvePromise));
    try {
      const port = (silent.address() as { port: number }).port;
      const run = await runBench(deviceArgs({ port }), { env: { BENCH_CONNECT_TIMEOUT: '2' } });
      expect(run.code).toBe(2);
      expect(theErrorLine(run)).toMatch(new RegExp(`^bench: cannot reach 127\\.0\\.0\\.1 port ${port}: no answer within 2 s — is the device on`));
      expect(run.ms).toBeGreaterThanOrEqual(1900);
      expect(run.ms).toBeLessThan(2000 + 5000);
      expectCleanedUp(run);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolvePromise) => silent.close(resolvePromise));
    }
  });

  it('a key the device does not accept: one line saying the key was refused, exit 2', async () => {
    const key = join(tempDir(), 'stranger_ed25519');
    await makeKeyPair(key);
    const run = await runBench(deviceArgs({ identity: key }));
    expect(run.code).toBe(2);
    expect(theErrorLine(run)).toBe(`bench: ${sshd.user}@127.0.0.1 refused the key ${key} — add it to ~/.ssh/authorized_keys on the device (ssh-copy-id -i ${key} ${sshd.user}@127.0.0.1)`);
    expectCleanedUp(run);
  });

  it('a host key this computer does not know yet: one line saying so, exit 2', async () => {
    const knownHosts = join(tempDir(), 'known_hosts');
    writeFileSync(knownHosts, '');
    const run = await runBench(deviceArgs({ sshOptions: ['StrictHostKeyChecking=yes', `UserKnownHostsFile=${knownHosts}`, 'GlobalKnownHostsFile=/dev/null'] }));
    expect(run.code).toBe(2);
    expect(theErrorLine(run)).toMatch(/^bench: the host key of 127\.0\.0\.1 is not known here — connect once with ssh .*@127\.0\.0\.1/);
  });

  it('a host key that changed: one line saying so, with the ssh-keygen -R to run, exit 2', async () => {
    const otherKey = join(tempDir(), 'other_host');
    await makeKeyPair(otherKey);
    const knownHosts = join(tempDir(), 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${readFileSync(`${otherKey}.pub`, 'utf8')}`);
    const run = await runBench(deviceArgs({ sshOptions: ['StrictHostKeyChecking=yes', `UserKnownHostsFile=${knownHosts}`, 'GlobalKnownHostsFile=/dev/null'] }));
    expect(run.code).toBe(2);
    expect(theErrorLine(run)).toMatch(new RegExp(`^bench: the host key of 127\\.0\\.0\\.1 has changed .*ssh-keygen -R '\\[127\\.0\\.0\\.1\\]:${sshd.port}'`));
  });

  it('kiosk-voice missing on the device: one line naming what it looked for, exit 2', async () => {
    const run = await runBench([...deviceArgs(), '--remote-bin', '/nonexistent/kiosk-voice']);
    expect(run.code).toBe(2);
    expect(theErrorLine(run)).toBe(
      "bench: kiosk-voice is not installed on 127.0.0.1 (looked for '/nonexistent/kiosk-voice') — install it there (scripts/install.sh) or pass --remote-bin",
    );
    expect(run.stderr).toContain('bench: looking for /nonexistent/kiosk-voice on the device …');
    expectCleanedUp(run);
  });

  it('a bench that fails on the device: its last line and exit code, exit 2; what it wrote is fetched; its arguments as given', async () => {
    // Quotes, spaces and a $ in the paths and arguments: each is quoted for the device's shell.
    const dir = join(tempDir(), "it's $HOME");
    mkdirSync(dir);
    const argsLog = join(dir, 'args.txt');
    // Records its arguments and the budget it was given, writes part of the HTML, and fails.
    const failing = writeScript(
      join(dir, 'failing-kiosk-voice'),
      [
        `printf '%s\\n' "$@" > ${sq(argsLog)}`,
        'while [ $# -gt 0 ]; do',
        '  case $1 in --budget) budget=$2 ;; --html) html=$2 ;; esac',
        '  shift',
        'done',
        `cat "$budget" > ${sq(join(dir, 'budget-seen.txt'))}`,
        'echo "<html>partial" > "$html"',
        'echo "bench: 2 turns from 6 files" >&2',
        'echo "kiosk-voice: no playback device (ALSA: hw:9)" >&2',
        'exit 3',
      ].join('\n'),
    );
    const budget = join(dir, 'pi5.yaml');
    writeFileSync(budget, 'name: test\nlimits:\n  wer: 0.5\n');
    const out = join(dir, 'out');
    const run = await runBench([...deviceArgs(), '--remote-bin', failing, '--turns', '2', '--budget', budget, '--out', out, '--', '--models', 'test', '--note', "a 'b' $HOME \\ `c`"]);
    expect(run.code).toBe(2);
    expect(nonEmptyLines(run.stderr).at(-1)).toBe(`bench: the bench failed on 127.0.0.1 (exit 3): kiosk-voice: no playback device (ALSA: hw:9) (what it wrote is in ${out})`);
    // Its stderr passed through.
    expect(run.stderr).toContain('bench: 2 turns from 6 files\n');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('<html>partial\n');
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    expect(readFileSync(join(out, 'device.txt'), 'utf8')).toMatch(/^uname: Linux .*$/m);
    expect(readFileSync(join(dir, 'budget-seen.txt'), 'utf8')).toBe('name: test\nlimits:\n  wer: 0.5\n');
    const args = readFileSync(argsLog, 'utf8').trimEnd().split('\n');
    const remoteTmp = args[args.indexOf('--json') + 1]!.replace(/\/report\.json$/, '');
    expect(remoteTmp.startsWith(join(deviceTmp(), 'kiosk-voice-bench.'))).toBe(true);
    expect(args).toEqual(['bench', '--turns', '2', '--budget', `${remoteTmp}/budget.yaml`, '--json', `${remoteTmp}/report.json`, '--html', `${remoteTmp}/report.html`, '--models', 'test', '--note', "a 'b' $HOME \\ `c`"]);
    expectCleanedUp(run);
  });
});

describe('scripts/bench.sh: on a device with kiosk-voice (this checkout, model set test)', () => {
  /** The device's kiosk-voice: this checkout's CLI, run from the repo so that ./models is the test set. */
  function wrapper(): string {
    const mirror = process.env.KIOSK_MODELS_MIRROR ? `export KIOSK_MODELS_MIRROR=${sq(resolve(process.env.KIOSK_MODELS_MIRROR))}\n` : '';
    return writeScript(join(tempDir(), 'kiosk-voice'), `${mirror}cd ${sq(repoRoot)} && exec ${sq(process.execPath)} ${sq(CLI)} "$@"`);
  }
  const readReport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  let firstReport = '';

  it(
    'runs the bench over ssh, fetches the reports and the device facts, and prints the table',
    async () => {
      const out = join(laptopRoot, 'run1');
      const knownHosts = join(tempDir(), 'known_hosts');
      const args = [
        '--host',
        `${sshd.user}@127.0.0.1`,
        '--port',
        String(sshd.port),
        '--identity',
        sshd.identityFile,
        '--ssh-option',
        'StrictHostKeyChecking=no',
        '--ssh-option',
        `UserKnownHostsFile=${knownHosts}`,
        '--turns',
        '3',
        '--out',
        out,
        '--remote-bin',
        wrapper(),
        '--',
        '--models',
        'test',
      ];
      const run = await runBench(args, { timeoutMs: E2E_TIMEOUT_MS });
      if (run.code !== 0) throw new Error(`exit ${run.code}:\n${run.stderr}`);
      const report = readReport(join(out, 'report.json'));
      expect(report.schema).toBe(BENCH_REPORT_SCHEMA);
      expect(report.turns).toHaveLength(3);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<html/i);
      const device = readFileSync(join(out, 'device.txt'), 'utf8');
      expect(device).toMatch(/^uname: Linux /m);
      expect(device).toMatch(/^os: \S/m);
      expect(run.stdout).toContain(TOTAL_LABEL);
      expect(run.stdout).toContain(`Results in ${out}`);
      // ssh's "Permanently added … to the list of known hosts" stays inside the script.
      expect(run.stderr).not.toMatch(/Warning: Permanently added/);
      expectCleanedUp(run);
      firstReport = join(out, 'report.json');
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'over budget: exit 1 after the table and the comparison with --compare, the exceeded metric named',
    async () => {
      if (!firstReport) throw new Error('the first end-to-end run did not produce a report to compare with');
      const dir = tempDir();
      const budget = join(dir, 'impossible.yaml');
      writeFileSync(budget, 'name: impossible\nlimits:\n  endOfSpeechToFirstAudio.p50: 1\n');
      const out = join(dir, 'run2');
      const run = await runBench([...deviceArgs(), '--turns', '3', '--budget', budget, '--compare', firstReport, '--out', out, '--remote-bin', wrapper(), '--', '--models', 'test'], {
        timeoutMs: E2E_TIMEOUT_MS,
      });
      expect(run.code, run.stderr).toBe(1);
      expect(readReport(join(out, 'report.json')).budget?.passed).toBe(false);
      // The table, then the side by side (which names the stages again).
      expect(run.stdout.split(TOTAL_LABEL).length - 1).toBeGreaterThanOrEqual(2);
      expect(nonEmptyLines(run.stderr).at(-1)).toBe(`bench: over budget on 127.0.0.1 (${budget}): endOfSpeechToFirstAudio.p50`);
      expectCleanedUp(run);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a local corpus is copied to the device once, under a name from its contents; the next run finds it there',
    async () => {
      const corpus = join(tempDir(), 'my corpus');
      mkdirSync(corpus);
      const defaults = resolve(repoRoot, 'scripts/bench/corpus');
      const rows = readFileSync(join(defaults, 'corpus.tsv'), 'utf8').trim().split('\n');
      const picked = rows.filter((row) => /^(opening_hours|wifi_password)\.wav\t/.test(row));
      expect(picked).toHaveLength(2);
      for (const row of picked) copyFileSync(join(defaults, row.split('\t')[0]!), join(corpus, row.split('\t')[0]!));
      writeFileSync(join(corpus, 'corpus.tsv'), `${[rows[0], ...picked].join('\n')}\n`);

      const args = (out: string) => [...deviceArgs(), '--corpus', corpus, '--turns', '2', '--out', out, '--remote-bin', wrapper(), '--', '--models', 'test'];
      const first = await runBench(args(join(tempDir(), 'first')), { timeoutMs: E2E_TIMEOUT_MS });
      if (first.code !== 0) throw new Error(`exit ${first.code}:\n${first.stderr}`);
      expect(first.stderr).toMatch(/^bench: copying corpus .*my corpus \(3 files, [0-9a-f]{12}\) to the device …$/m);
      const cached = readdirSync(join(deviceCache(), 'kiosk-voice/bench-corpus'));
      expect(cached).toHaveLength(1);
      expect(cached[0]).toMatch(/^[0-9a-f]{12}$/);
      expect(readdirSync(join(deviceCache(), 'kiosk-voice/bench-corpus', cached[0]!)).sort()).toEqual(['corpus.tsv', 'opening_hours.wav', 'wifi_password.wav']);

      const secondOut = join(tempDir(), 'second');
      const second = await runBench(args(secondOut), { timeoutMs: E2E_TIMEOUT_MS });
      if (second.code !== 0) throw new Error(`exit ${second.code}:\n${second.stderr}`);
      expect(second.stderr).toContain(`(${cached[0]}) is already on the device`);
      expect(second.stderr).not.toContain('copying corpus');
      const report = readReport(join(secondOut, 'report.json'));
      expect(report.corpus.files).toBe(2);
      expect(new Set(report.turns.map((turn) => turn.file))).toEqual(new Set(['opening_hours.wav', 'wifi_password.wav']));
      expect(readdirSync(join(deviceCache(), 'kiosk-voice/bench-corpus'))).toEqual(cached);
      expectCleanedUp(second);
    },
    2 * E2E_TIMEOUT_MS,
  );
});
