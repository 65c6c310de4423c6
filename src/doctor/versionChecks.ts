import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meaningfulStderr, spawnNodeChild } from '../audio/spawnNodeChild.js';
import { DEFAULT_CHECK_TIMEOUT_MS, type CheckOutcome, type CheckStatus, type DoctorCheck } from './DoctorCheck.js';
import { worstStatus } from './doctorReport.js';
import { explainAddonError, failedAddonPackage } from './addonLoadError.js';
import type { AddonName } from './loadAddonChild.js';

/** The oldest Node kiosk-voice runs on (package.json engines). */
export const MIN_NODE_MAJOR = 20;

/** Node below 20 fails; 20 works but is past end of life, so 22 or 24 is recommended on a Pi. */
export function judgeNodeVersion(version: string, arch: string = process.arch): CheckOutcome {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  const what = `Node ${version.startsWith('v') ? version : `v${version}`} (${arch})`;
  if (!Number.isInteger(major) || major < MIN_NODE_MAJOR) {
    return { status: 'fail', detail: `${what}: kiosk-voice needs Node ${MIN_NODE_MAJOR} or later`, advice: 'install Node 22 or 24 (e.g. from NodeSource), then `npm rebuild` for the native addons' };
  }
  if (major === 22 || major === 24) return { status: 'ok', detail: what };
  const note = major < 22 ? 'supported; 22 or 24 recommended on a Pi (20 is past end of life)' : major % 2 === 1 ? 'not an LTS release; 22 or 24 recommended' : 'newer than the tested 22 and 24';
  return { status: 'ok', detail: `${what}, ${note}` };
}

export const nodeCheck: DoctorCheck = {
  name: 'node',
  needsConfig: false,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'this check does no I/O; report it',
  run: async () => judgeNodeVersion(process.version),
};

/** The libraries whose versions matter in a bug report: the engines, audio, GPIO, MQTT, logging. */
export const REPORTED_LIBRARIES = ['node-llama-cpp', 'sherpa-onnx-node', 'naudiodon', 'onoff', 'mqtt', 'pino'] as const;

/** kiosk-voice's own package.json, two levels up from src/doctor/ and from dist/doctor/. */
function ownPackage(): { dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { dependencies?: Record<string, string> };
}

/**
 * The installed version of a package: the first `node_modules/<name>` up from here, where Node's
 * resolution of a bare import finds it. Undefined when not installed.
 */
export function installedVersion(name: string): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Installed versions against the exact versions package.json pins. */
export const librariesCheck: DoctorCheck = {
  name: 'libraries',
  needsConfig: false,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'reading node_modules hangs: check the disk',
  async run() {
    const pinned = ownPackage().dependencies ?? {};
    const found: string[] = [];
    const missing: string[] = [];
    const differ: string[] = [];
    for (const name of REPORTED_LIBRARIES) {
      const version = installedVersion(name);
      if (version === undefined) {
        missing.push(name);
        continue;
      }
      found.push(`${name} ${version}`);
      if (pinned[name] !== undefined && pinned[name] !== version) differ.push(`${name} ${version} (package.json pins ${pinned[name]})`);
    }
    const detail = found.join(', ') || 'none found';
    if (missing.length > 0) return { status: 'fail', detail: `${detail}; not installed: ${missing.join(', ')}`, advice: 'run `npm ci` in the kiosk-voice directory' };
    if (differ.length > 0) return { status: 'warn', detail: `${detail}; not the pinned version: ${differ.join(', ')}`, advice: 'run `npm ci` to install exactly the pinned versions' };
    return { status: 'ok', detail };
  },
};

/** Each native addon, what it is for and how bad it is when it does not load. */
const NATIVE_ADDONS: readonly { name: AddonName; role: string; missing: CheckStatus }[] = [
  { name: 'sherpa-onnx-node', role: 'VAD, sherpa ASR and TTS', missing: 'fail' },
  { name: 'node-llama-cpp', role: 'the LLM', missing: 'fail' },
  // The fallbacks work without them: arecord/aplay, and the libgpiod tools.
  { name: 'naudiodon', role: 'PortAudio capture and playback; arecord/aplay work without it', missing: 'warn' },
  { name: 'onoff', role: 'sysfs GPIO; the gpiod backend works without it', missing: 'warn' },
];

/** How long one addon may take to load (node-llama-cpp tests its binary in a process of its own). */
const ADDON_LOAD_TIMEOUT_MS = 10_000;

/**
 * Loads every native addon in a child process of its own, as the daemon would: an addon built for
 * another Node, a missing shared library or an x86 PortAudio on arm64 then shows here as a line
 * instead of a crash at start-up.
 */
export const nativeAddonsCheck: DoctorCheck = {
  name: 'native addons',
  needsConfig: false,
  timeoutMs: () => ADDON_LOAD_TIMEOUT_MS + 2000,
  timeoutAdvice: 'loading an addon hangs: run `node -e "require(\'<addon>\')"` by hand',
  async run(context, signal) {
    const loads = await Promise.all(NATIVE_ADDONS.map(async (addon) => ({ addon, error: await loadInChild(addon.name, context.env, signal) })));
    const failed = loads.filter((l) => l.error !== undefined);
    const loaded = loads.filter((l) => l.error === undefined).map((l) => l.addon.name);
    const abi = `Node ${process.version}, ABI ${process.versions.modules}, ${process.arch}`;
    if (failed.length === 0) return { status: 'ok', detail: `${loaded.join(', ')} load (${abi})` };
    const status = worstStatus(failed.map((l) => ({ status: l.addon.missing })));
    const reasons = failed.map((l) => `${l.addon.name} (${l.addon.role}) does not load: ${l.error}`);
    // The .node that failed may belong to a dependency (naudiodon's segfault-handler, onoff's epoll).
    const names = [...new Set(failed.map((l) => failedAddonPackage(l.error ?? '') ?? l.addon.name))].join(' ');
    const relink = process.arch === 'arm64' && failed.some((l) => l.addon.name === 'naudiodon') ? '; for naudiodon on arm64 run scripts/relink-portaudio.sh first' : '';
    return {
      status,
      detail: `${loaded.length > 0 ? `${loaded.join(', ')} load; ` : ''}${reasons.join('; ')} (${abi})`,
      advice: `rebuild them for this Node: \`npm rebuild ${names}\`${relink}`,
    };
  },
};

/** Loads one addon in a child; resolves with why it failed, or undefined when it loaded. */
function loadInChild(name: AddonName, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    // stdout is discarded: naudiodon and PortAudio print there.
    const child = spawnNodeChild(import.meta.url, 'loadAddonChild', [name], ['ignore', 'ignore', 'pipe'], env);
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (stderr = (stderr + text).slice(-8192)));
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, ADDON_LOAD_TIMEOUT_MS);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(`cannot start node: ${error.message}`);
    });
    child.once('close', (code, killedBy) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      if (code === 0) return resolve(undefined);
      const said = meaningfulStderr(stderr, 1);
      if (killedBy === 'SIGKILL') resolve(`no answer within ${ADDON_LOAD_TIMEOUT_MS / 1000} s`);
      else if (killedBy) resolve(`the process died (${killedBy})${said ? `: ${said}` : ''}`);
      else resolve(explainAddonError(said) || `exit code ${code}`);
    });
  });
}
