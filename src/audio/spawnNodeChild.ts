import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starts a Node child process running one of our entry files, next to the module that asks.
 *
 * Built code runs `dist/…/<name>.js`; under vitest or tsx the sources are TypeScript, which a plain
 * `node` can only run with tsx's loader registered (resolved from here, so the child's working
 * directory does not matter).
 *
 * The child runs in the system temp directory: naudiodon's segfault handler writes `crash.log` into
 * the working directory, which on a kiosk may be read-only or the operator's home.
 */
export function spawnNodeChild(
  callerUrl: string,
  name: string,
  args: string[],
  stdio: StdioOptions,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const entry = new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
  return spawnNodeEntry(entry, args, { stdio, env });
}

/**
 * Starts a Node child running `entry` (a `.js` file, or a `.ts` one through tsx's loader), in the
 * system temp directory. `serialization: 'advanced'` lets an IPC channel carry typed arrays.
 */
export function spawnNodeEntry(
  entry: URL,
  args: string[],
  options: { stdio: StdioOptions; env?: NodeJS.ProcessEnv; serialization?: 'json' | 'advanced' },
): ChildProcess {
  const fromSource = entry.pathname.endsWith('.ts');
  const loader = fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return spawn(process.execPath, [...loader, fileURLToPath(entry), ...args], {
    stdio: options.stdio,
    env: options.env ?? process.env,
    cwd: tmpdir(),
    serialization: options.serialization ?? 'json',
  });
}

/**
 * Lines of a child's stderr worth showing a person: ALSA's and JACK's probing chatter (every
 * PortAudio start prints dozens of lines about cards and servers that do not exist) is left out.
 */
export function meaningfulStderr(stderr: string, maxLines = 3): string {
  const noise = /^(ALSA lib |Cannot connect to server|jack server|JackShm|Jack|connect\(2\) call to|attempt to connect to server failed|Expression 'alsa_|Expression 'paInvalid)/;
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !noise.test(line))
    .slice(-maxLines)
    .join(' | ');
}
