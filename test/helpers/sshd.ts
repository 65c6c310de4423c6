/**
 * A real ssh server per test file: Debian's openssh-server run in the foreground as the current
 * user on a free 127.0.0.1 port, with its own temp dir holding a fresh host key, a client key pair
 * it accepts, a known_hosts for that host key and its sshd_config. Nothing under ~/.ssh is read
 * or written by the clients that use `sshOptions`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './mosquitto.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const READY_TIMEOUT_MS = 10_000;

export interface Sshd {
  port: number;
  /** The current user: the only one an sshd not run as root can log in, and root's in CI. */
  user: string;
  /** A private key the server accepts (its public half is the whole of authorized_keys). */
  identityFile: string;
  /** known_hosts holding the server's host key for [127.0.0.1]:port. */
  knownHostsFile: string;
  /** `-o` values for ssh and scp: strict host key checking against knownHostsFile only. */
  sshOptions: string[];
  /** The server's temp dir (keys, config, pid file); removed by stop(). */
  dir: string;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Environment for the sessions (sshd_config SetEnv), e.g. a TMPDIR the test owns. */
  env?: Record<string, string>;
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Makes a passphrase-less ed25519 key pair at `path` and `path.pub`. */
export async function makeKeyPair(path: string, comment = 'kiosk-voice test'): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** Starts sshd and resolves once `ssh true` works through it; throws with its stderr if it does not come up. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing — run scripts/setup.sh (it installs openssh-server): the SSH bench tests need a real sshd`);
  const isRoot = process.getuid?.() === 0;
  // Its privilege separation dir; as root sshd refuses to start without it (a container has none).
  if (isRoot && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

  const dir = await mkdtemp(join(tmpdir(), 'kiosk-sshd-'));
  try {
    const file = (name: string) => join(dir, name);
    const port = await freePort();
    const user = userInfo().username;
    await makeKeyPair(file('host_ed25519'), 'kiosk-voice test host');
    await makeKeyPair(file('client_ed25519'));
    await writeFile(file('authorized_keys'), await readFile(file('client_ed25519.pub')));
    await writeFile(file('known_hosts'), `[127.0.0.1]:${port} ${(await readFile(file('host_ed25519.pub'), 'utf8')).trim()}\n`);
    const lines = [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${file('host_ed25519')}`,
      `PidFile ${file('sshd.pid')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      `AllowUsers ${user}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // No PAM: its session modules (pam_loginuid…) fail in containers and as a plain user.
      'UsePAM no',
      // The temp dir's modes are not sshd's business here.
      'StrictModes no',
      `PermitRootLogin ${isRoot ? 'prohibit-password' : 'no'}`,
      // scp speaks SFTP since OpenSSH 9.0.
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // One line: sshd keeps the first SetEnv it reads and ignores the others.
      ...(options.env && Object.keys(options.env).length > 0 ? [`SetEnv ${Object.entries(options.env).map(([name, value]) => `${name}=${value}`).join(' ')}`] : []),
    ];
    const config = file('sshd_config');
    await writeFile(config, `${lines.join('\n')}\n`);
    // sshd ≥ 9.8 shuts out an address after failed logins, which the refused-key tests make on purpose.
    const effective = await run(SSHD, ['-T', '-f', config]).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`sshd rejects its test config ${config}: ${error.stderr ?? error.message}`);
    });
    if (/^persourcepenalties /m.test(effective.stdout)) await writeFile(config, `${lines.join('\n')}\nPerSourcePenalties no\n`);

    const sshOptions = ['StrictHostKeyChecking=yes', `UserKnownHostsFile=${file('known_hosts')}`, 'GlobalKnownHostsFile=/dev/null'];
    // The absolute path: sshd re-executes itself for each connection.
    const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.once('error', (error) => (exited = error.message));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    };
    const fail = async (why: string): Promise<never> => {
      await stop();
      // Without PAM, sshd turns away an account with a locked password ("!" in /etc/shadow), key or not.
      const locked = /account is locked/.test(stderr) ? ` — user ${user}'s password is locked, which sshd without PAM refuses: run the tests as another user, or unlock it (usermod -p '*' ${user})` : '';
      throw new Error(`sshd did not come up on 127.0.0.1:${port} (${why})${locked}:\n${stderr}`);
    };

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await portAccepts(port))) {
      if (exited !== undefined) await fail(exited);
      if (Date.now() > deadline) await fail(`not listening after ${READY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const sshArgs = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', ...sshOptions.flatMap((option) => ['-o', option]), '-i', file('client_ed25519'), '-p', String(port), `${user}@127.0.0.1`, 'true'];
    await run('ssh', sshArgs, { timeout: READY_TIMEOUT_MS }).catch((error: { stderr?: string; message: string }) => fail(`ssh ${user}@127.0.0.1 true failed: ${error.stderr?.trim() || error.message}`));

    return { port, user, identityFile: file('client_ed25519'), knownHostsFile: file('known_hosts'), sshOptions, dir, stop };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
