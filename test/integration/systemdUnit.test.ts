import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/models/manifestSchema.js';
import { runCli } from '../helpers/runCli.js';
import { repoRoot } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

/**
 * The shipped unit, checked with systemd's own tools (systemd 252+, Debian's `systemd` package).
 * `systemd-analyze verify` needs the ExecStart binary to exist, so it runs on the unit as the
 * installer installs it (`scripts/install.sh --print-unit --node <this node>`): the shipped file
 * with only /usr/bin/node replaced by this test's node, which the first test asserts.
 */

const UNIT_FILE = resolve(repoRoot, 'systemd/kiosk-voice.service');
const INSTALLER = resolve(repoRoot, 'scripts/install.sh');
/** The bound for `systemd-analyze security --offline=yes`. */
const MAX_EXPOSURE = 4.0;

const tmp = useTempDirs('kv-unit-');

function tool(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${command} is missing — apt-get install systemd (it ships systemd-analyze; scripts/setup.sh installs it)`);
  }
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The unit exactly as `scripts/install.sh` would install it, with this process's node. */
function installedUnit(): string {
  const result = spawnSync('bash', [INSTALLER, '--print-unit', '--node', process.execPath], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`install.sh --print-unit failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Writes the unit under its real name (verify derives the unit name from the file name). */
function unitCopy(text: string): string {
  const path = join(tmp(), 'kiosk-voice.service');
  writeFileSync(path, text);
  return path;
}

/**
 * `systemd-analyze verify` exits 0 on an unknown key or a value it cannot parse (it only prints
 * "…, ignoring"), so every line it prints about the file counts as a problem.
 */
function verifyProblems(path: string): { status: number | null; problems: string[]; output: string } {
  const { status, stdout, stderr } = tool('systemd-analyze', ['verify', path]);
  const output = `${stdout}${stderr}`;
  const problems = output.split('\n').filter((line) => line.includes('kiosk-voice.service'));
  return { status, problems, output };
}

/** [Section] → key → every value given (settings such as DeviceAllow= repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.endsWith('\\')) throw new Error(`continued lines are not parsed here: ${line}`);
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** systemd time spans as used in the unit: `30s`, `10min`, `90s`, a bare number of seconds. */
function seconds(span: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|sec|min|m)?$/.exec(span);
  if (!match) throw new Error(`unexpected time span "${span}"`);
  return Number(match[1]) * (match[2] === 'min' || match[2] === 'm' ? 60 : 1);
}

describe('systemd/kiosk-voice.service', () => {
  const text = readFileSync(UNIT_FILE, 'utf8');
  const unit = parseUnit(text);
  const service = unit.get('Service') ?? new Map<string, string[]>();
  const one = (key: string) => {
    const values = service.get(key);
    expect(values, `[Service] ${key}= is set exactly once`).toHaveLength(1);
    return values![0]!;
  };

  it('passes systemd-analyze verify as the installer installs it (only the node path differs)', () => {
    const installed = installedUnit();
    expect(installed.replace(`ExecStart=${process.execPath} `, 'ExecStart=/usr/bin/node ')).toBe(text);

    const { status, problems, output } = verifyProblems(unitCopy(installed));
    if (output.trim()) console.log(`systemd-analyze verify said:\n${output}`);
    expect(problems).toEqual([]);
    expect(status).toBe(0);
  });

  it('counts what verify only warns about: a misspelt key is caught although verify exits 0', () => {
    const broken = installedUnit().replace('WatchdogSec=', 'WatchdogSecs=');
    const { status, problems } = verifyProblems(unitCopy(broken));
    expect(status).toBe(0);
    expect(problems.join('\n')).toMatch(/Unknown key '?WatchdogSecs'?/);
  });

  it(`rates at most ${MAX_EXPOSURE} in systemd-analyze security --offline=yes`, () => {
    const { status, stdout, stderr } = tool('systemd-analyze', ['security', '--offline=yes', UNIT_FILE]);
    expect(status, stderr).toBe(0);
    const match = /Overall exposure level for kiosk-voice\.service: (\d+(?:\.\d+)?) (\S+)/.exec(stdout);
    expect(match, `no exposure level in:\n${stdout}`).not.toBeNull();
    const score = Number(match![1]);
    console.log(`systemd-analyze security --offline=yes systemd/kiosk-voice.service: exposure ${score} ${match![2]}`);
    expect(score).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it('is a notify service with a watchdog, a bounded start and stop, and restarts on failure with a start limit', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('main');
    expect(seconds(one('WatchdogSec'))).toBeGreaterThanOrEqual(10);
    expect(seconds(one('TimeoutStartSec'))).toBeGreaterThan(0);
    // The daemon exits within 5 s of SIGTERM; the stop timeout leaves room before SIGKILL.
    expect(seconds(one('TimeoutStopSec'))).toBeGreaterThan(5);
    expect(one('KillMode')).toBe('mixed');
    expect(one('Restart')).toBe('on-failure');
    expect(seconds(one('RestartSec'))).toBeGreaterThan(0);
    const unitSection = unit.get('Unit')!;
    expect(seconds(unitSection.get('StartLimitIntervalSec')![0]!)).toBeGreaterThan(0);
    expect(Number(unitSection.get('StartLimitBurst')![0])).toBeGreaterThan(1);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs as kiosk-voice with audio and gpio, its own state, cache and config directories, and logs to the journal', () => {
    expect(one('User')).toBe('kiosk-voice');
    expect(one('SupplementaryGroups').split(/\s+/).sort()).toEqual(['audio', 'gpio']);
    expect(one('StateDirectory')).toBe('kiosk-voice');
    expect(one('CacheDirectory')).toBe('kiosk-voice');
    expect(one('ConfigurationDirectory')).toBe('kiosk-voice');
    expect(service.get('EnvironmentFile')).toContain('-/etc/kiosk-voice/secrets.env');
    const environment = service.get('Environment') ?? [];
    expect(environment).toContain('NODE_ENV=production');
    const pool = environment.find((e) => e.startsWith('UV_THREADPOOL_SIZE='));
    expect(Number(pool?.split('=')[1])).toBeGreaterThan(4);
    expect(one('StandardOutput')).toBe('journal');
    expect(one('SyslogLevelPrefix')).toBe('yes');
  });

  it('reaches ALSA and GPIO through a closed device policy, not PrivateDevices, and leaves W+X memory to V8', () => {
    expect(one('DevicePolicy')).toBe('closed');
    const devices = service.get('DeviceAllow') ?? [];
    expect(devices).toContain('char-alsa rw');
    expect(devices.some((d) => /^(char-gpiochip|\/dev\/gpiochip\S*) rw$/.test(d))).toBe(true);
    expect(service.has('PrivateDevices')).toBe(false);
    expect(service.get('MemoryDenyWriteExecute') ?? ['no']).toEqual(['no']);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
  });

  it("starts the app with options the CLI's run command has, and a model set the manifest defines", async () => {
    const exec = one('ExecStart').split(/\s+/);
    expect(exec.slice(0, 3)).toEqual(['/usr/bin/node', '/opt/kiosk-voice/dist/cli.js', 'run']);
    const option = (name: string) => exec[exec.indexOf(name) + 1];
    expect(option('--config')).toBe('/etc/kiosk-voice/config.yaml');
    expect(option('--models')).toBe('${KIOSK_MODEL_SET}');
    expect(option('--models-dir')).toBe('/var/lib/kiosk-voice/models');

    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    for (const flag of exec.filter((arg) => arg.startsWith('--'))) expect(help.stdout).toContain(flag);

    const fallback = (service.get('Environment') ?? []).find((e) => e.startsWith('KIOSK_MODEL_SET='))?.split('=')[1];
    expect(Object.keys(loadManifest().sets)).toContain(fallback);
    expect(service.get('EnvironmentFile')).toContain('-/etc/kiosk-voice/kiosk-voice.env');
  });
});
