import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/loadConfig.js';
import { resolveRuntimeConfig } from '../../src/cli/resolveRuntimeConfig.js';
import { loadManifest } from '../../src/models/manifestSchema.js';
import { repoRoot } from '../helpers/sharedModels.js';

/**
 * scripts/install.sh is never run for real here: only --help, --print-unit and --dry-run as the
 * suite's user (root in CI), and bad usage and the refusals of a real run as an unprivileged user
 * (nobody, when the suite runs as root), which stop before any change. Before the dry run goes as
 * root, it runs as nobody: a dry run that tried to act would fail there, at the root check.
 *
 * The unprivileged runs use a copy of what the installer reads (itself, package.json and the lock,
 * the manifest, systemd/, the runtime scripts and dist/cli.js) in a directory that user nobody can
 * read: the checkout may sit in one it cannot (the Node 22 CI run copies it under a 0700 temporary
 * directory).
 */

const INSTALLER = resolve(repoRoot, 'scripts/install.sh');
const EXAMPLE_CONFIG = resolve(repoRoot, 'systemd/config.example.yaml');
const NOBODY = 65534;
/** What the installer touches; a dry run must leave every entry as it was. */
const WATCHED = ['/etc', '/usr/local', '/opt', '/var/lib/kiosk-voice', '/var/cache/kiosk-voice'];

const isRoot = process.getuid?.() === 0;

let unprivilegedRoot = '';
beforeAll(() => {
  unprivilegedRoot = mkdtempSync(join(tmpdir(), 'kv-installer-'));
  const items = ['package.json', 'package-lock.json', 'models/manifest.json', 'systemd', 'dist/cli.js'];
  for (const item of [...items, 'scripts/install.sh', 'scripts/pocketsphinx-stream.py', 'scripts/relink-portaudio.sh']) {
    mkdirSync(dirname(join(unprivilegedRoot, item)), { recursive: true });
    cpSync(resolve(repoRoot, item), join(unprivilegedRoot, item), { recursive: true });
  }
  const open = (path: string) => {
    chmodSync(path, lstatSync(path).isDirectory() || path.endsWith('.sh') ? 0o755 : 0o644);
    if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) open(join(path, name));
  };
  open(unprivilegedRoot);
  for (let dir = dirname(unprivilegedRoot); dir !== '/'; dir = dirname(dir)) {
    const mode = lstatSync(dir).mode;
    if (isRoot && (mode & 0o001) === 0) throw new Error(`user nobody cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}): set TMPDIR to a directory it can reach`);
  }
});
afterAll(() => {
  if (unprivilegedRoot) rmSync(unprivilegedRoot, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function installer(args: string[], options: { asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}): Run {
  const spawnOptions: SpawnSyncOptions = {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: '/',
    env: { ...process.env, ...options.env, PATH: `${resolve(process.execPath, '..')}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  };
  let script = INSTALLER;
  if (options.asNobody) {
    script = join(unprivilegedRoot, 'scripts/install.sh');
    // nobody's own home, so that no tool tries root's dotfiles (dpkg warns about /root/.dpkg.cfg).
    if (isRoot) Object.assign(spawnOptions, { uid: NOBODY, gid: NOBODY, env: { ...spawnOptions.env, HOME: '/nonexistent' } });
  }
  const result = spawnSync('bash', [script, ...args], spawnOptions);
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** Path → type, size, mode, owner and mtime of everything under the watched trees. */
function snapshot(): Map<string, string> {
  const entries = new Map<string, string>();
  const visit = (path: string) => {
    let stats;
    try {
      stats = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return entries.set(path, 'absent');
      throw error;
    }
    entries.set(path, `${stats.mode.toString(8)} ${stats.uid}:${stats.gid} ${stats.size} ${stats.mtimeMs}`);
    if (stats.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path);
      } catch (error) {
        // A directory we may not list (e.g. root-only, when run unprivileged) still counts by its stats.
        if ((error as NodeJS.ErrnoException).code === 'EACCES') return;
        throw error;
      }
      for (const name of names) visit(join(path, name));
    }
  };
  for (const root of WATCHED) visit(root);
  const getent = (db: string) => spawnSync('getent', [db], { encoding: 'utf8' }).stdout;
  entries.set('getent passwd', getent('passwd'));
  entries.set('getent group', getent('group'));
  return entries;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key)).map((key) => `${key}: ${before.get(key) ?? 'absent'} → ${after.get(key) ?? 'absent'}`);
}

/** True on the system the installer is for; elsewhere a real run must refuse with exit 3. */
function isTargetSystem(): boolean {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
  return /^ID=(debian|raspbian)$/m.test(osRelease) && /^VERSION_CODENAME=(bookworm|trixie)$/m.test(osRelease) && arch === 'arm64';
}

describe('scripts/install.sh', () => {
  it('is shellcheck-clean, as are the other shell scripts and .ci/run', () => {
    const shellScripts = (dir: string) => readdirSync(resolve(repoRoot, dir)).filter((f) => f.endsWith('.sh')).map((f) => resolve(repoRoot, dir, f));
    const scripts = [...shellScripts('scripts'), ...shellScripts('scripts/bench')];
    expect(scripts).toContain(INSTALLER);
    const result = spawnSync('shellcheck', ['--severity=style', ...scripts, resolve(repoRoot, '.ci/run')], { encoding: 'utf8' });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error('shellcheck is missing — apt-get install shellcheck (scripts/setup.sh installs it)');
    }
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('--help describes the options and exits 0', () => {
    const { status, stdout, stderr } = installer(['--help']);
    expect(status).toBe(0);
    expect(stderr).toBe('');
    for (const option of ['--dry-run', '--uninstall', '--purge', '--models', '--node', '--force', '--print-unit']) expect(stdout).toContain(option);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'.*--help/],
    [['--purge'], /--purge only goes with --uninstall/],
    [['--models'], /--models needs a model set name/],
    [['--dry-run', '--models', 'pi9'], /unknown model set 'pi9' — use one of: .*pi5/],
  ])('refuses %j in one line with exit 2', (args, message) => {
    const { status, stdout, stderr } = installer(args, { asNobody: true });
    expect(status).toBe(2);
    expect(lines(stderr).filter((line) => line.includes('error'))).toHaveLength(1);
    expect(stderr).toMatch(message);
    if (!args.includes('--dry-run')) expect(stdout).toBe('');
  });

  it('a real run as an unprivileged user stops at the first check, before any change', () => {
    const before = snapshot();
    const plain = installer([], { asNobody: true });
    if (isTargetSystem()) {
      expect(plain.status).toBe(1);
      expect(plain.stderr).toMatch(/install.sh: error: the installer must run as root: sudo /);
    } else {
      expect(plain.status).toBe(3);
      expect(plain.stderr).toMatch(/install.sh: error: this is .* — install on Raspberry Pi OS 64-bit \(Bookworm or Trixie\), or pass --force/);
    }
    const forced = installer(['--force'], { asNobody: true });
    expect(forced.status).toBe(1);
    expect(forced.stderr).toMatch(/install.sh: error: the installer must run as root/);
    expect(changes(before, snapshot())).toEqual([]);
  });

  it('--dry-run prints the numbered plan and changes nothing, also as root', () => {
    // As nobody first: a dry run that tried to act would stop at the root check here.
    const unprivileged = installer(['--dry-run'], { asNobody: true });
    expect(unprivileged.stderr).not.toMatch(/error/);
    expect(unprivileged.status).toBe(0);

    const before = snapshot();
    const { status, stdout, stderr } = installer(['--dry-run']);
    const after = snapshot();
    console.log(`install.sh --dry-run:\n${stdout}\n${stderr}`);
    expect(status).toBe(0);
    expect(changes(before, after)).toEqual([]);

    expect(stdout).toContain('dry run: nothing will be changed');
    const steps = [...stdout.matchAll(/^\[(\d+)\/(\d+)\] (.+)$/gm)];
    expect(steps.map((m) => Number(m[1]))).toEqual(steps.map((_, i) => i + 1));
    expect(new Set(steps.map((m) => m[2]))).toEqual(new Set([String(steps.length)]));
    const titles = steps.map((m) => m[3]).join('\n');
    for (const step of [/Check Node\.js/, /model set/, /Debian packages \(apt\)/, /user kiosk-voice/, /Copy the app/, /npm dependencies/, /config/, /Fetch the models/, /unit; enable/]) {
      expect(titles).toMatch(step);
    }
    // What each step would do, or that it is already done.
    for (const action of [
      /apt-get install|all installed:/,
      /useradd --system .*kiosk-voice|user kiosk-voice exists/,
      /would: write \/etc\/kiosk-voice\/config\.yaml|kept the existing \/etc\/kiosk-voice\/config\.yaml/,
      /models fetch --set \S+ --dir \/var\/lib\/kiosk-voice\/models/,
      /would: (write|update) \/etc\/systemd\/system\/kiosk-voice\.service|kiosk-voice\.service is up to date/,
      /systemctl enable|kiosk-voice\.service is enabled/,
      /systemctl status kiosk-voice/,
      /journalctl -u kiosk-voice -f/,
      /kiosk-voice doctor/,
    ]) {
      expect(stdout).toMatch(action);
    }
    // Every action is announced as one it would take; none is reported as done.
    expect(stdout).not.toMatch(/^ {4}(wrote|updated|copied|create |install |enable |start |reload )/m);
    if (!isTargetSystem()) expect(stderr).toMatch(/warning: this is .*a real run stops here/);
  });

  it('--uninstall --purge --dry-run prints its plan and changes nothing', () => {
    const before = snapshot();
    const { status, stdout, stderr } = installer(['--uninstall', '--purge', '--dry-run']);
    expect(changes(before, snapshot())).toEqual([]);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/\[1\/6\] Stop and disable the service/);
    expect(stdout).toMatch(/Remove the user kiosk-voice/);
    expect(stdout).toContain('dry run: nothing was changed');
  });
});

describe('systemd/config.example.yaml', () => {
  const text = readFileSync(EXAMPLE_CONFIG, 'utf8');

  it('is a valid config for the real loader', () => {
    const { config, warnings } = resolveConfig({ file: EXAMPLE_CONFIG, env: {} });
    expect(warnings).toEqual([]);
    expect(config.models.dir).toBe('/var/lib/kiosk-voice/models');
    expect(config.hw.gpio.backend).toBe('gpiod');
  });

  it.each(Object.keys(loadManifest().sets))('goes with model set %s without a value the set replaces', (set) => {
    const warned: string[] = [];
    const { config } = resolveRuntimeConfig({ config: EXAMPLE_CONFIG, models: set, env: {}, onWarning: (w) => warned.push(w.message) });
    expect(warned).toEqual([]);
    expect(config.models.dir).toBe('/var/lib/kiosk-voice/models');
  });

  it('has the gpio chip line the installer adapts to the board', () => {
    expect(text).toMatch(/^ {4}chip: gpiochip0 /m);
    expect(readFileSync(INSTALLER, 'utf8')).toContain('content=${content/chip: gpiochip0 /chip: $chip }');
  });
});
