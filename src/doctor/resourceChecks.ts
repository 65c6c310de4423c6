import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { configured, DEFAULT_CHECK_TIMEOUT_MS, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { worstStatus } from './doctorReport.js';
import { formatBytes, modelBytes } from './modelBytes.js';
import { usedModelFiles } from './usedModelFiles.js';

/** Node, three worker threads, the capture process and pocketsphinx, with the test models: measured ~250 MB. */
export const DAEMON_OVERHEAD_BYTES = 300e6;
/** onnxruntime and llama.cpp hold a little more than the file (buffers, the LLM's KV cache). */
export const MODEL_MEMORY_FACTOR = 1.2;

/** Free space below this where the models or the state live: the kiosk cannot write (fail). */
export const DISK_FAIL_BYTES = 100e6;
/** Below this: a model update or a growing database will run out (warn). */
export const DISK_WARN_BYTES = 1e9;

/** `MemAvailable` and `MemTotal` from /proc/meminfo text, in bytes; undefined when absent (kernels before 3.14). */
export function parseMeminfo(text: string): { availableBytes: number | undefined; totalBytes: number | undefined } {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  };
  return { availableBytes: field('MemAvailable'), totalBytes: field('MemTotal') };
}

/** What the configured models need in memory, roughly: the files, a margin, and the daemon itself. */
export function memoryNeededBytes(modelFileBytes: number): number {
  return Math.round(modelFileBytes * MODEL_MEMORY_FACTOR + DAEMON_OVERHEAD_BYTES);
}

/** Warn below the estimate; fail when not even the model files fit. */
export function judgeMemory(availableBytes: number, modelFileBytes: number): CheckOutcome {
  const needed = memoryNeededBytes(modelFileBytes);
  const detail = `${formatBytes(availableBytes)} available; the configured models need about ${formatBytes(needed)} (${formatBytes(modelFileBytes)} of model files × ${MODEL_MEMORY_FACTOR} + ${formatBytes(DAEMON_OVERHEAD_BYTES)} for the daemon)`;
  const advice = 'stop other programs, or use a smaller model set (e.g. pi4 on a 4 GB board); if kiosk-voice is running, it already holds its share';
  if (availableBytes < modelFileBytes) return { status: 'fail', detail, advice };
  if (availableBytes < needed) return { status: 'warn', detail, advice };
  return { status: 'ok', detail };
}

/**
 * MemAvailable against an estimate from the sizes of the model files the configuration uses:
 * llama.cpp maps the whole GGUF and onnxruntime loads each ONNX file, so the files are the floor.
 */
export const memoryCheck: DoctorCheck = {
  name: 'memory',
  needsConfig: true,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'reading /proc/meminfo hangs: look at `dmesg`',
  async run(context) {
    const { config, modelsDir } = configured(context);
    const { availableBytes } = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
    if (availableBytes === undefined) return { status: 'warn', detail: '/proc/meminfo has no MemAvailable', advice: 'this kernel is too old to tell; check `free -m` by hand' };
    return judgeMemory(availableBytes, modelBytes(usedModelFiles(config, modelsDir)));
  },
};

/** Free space on one filesystem, judged by the thresholds above. */
export function judgeDisk(what: string, path: string, freeBytes: number, totalBytes: number): CheckOutcome {
  const share = totalBytes > 0 ? ` (${((100 * freeBytes) / totalBytes).toFixed(0)} %)` : '';
  const detail = `${what} ${path}: ${formatBytes(freeBytes)} free${share}`;
  const advice = `free some space on the filesystem of ${path} (\`df -h ${path}\`; old logs: \`journalctl --vacuum-size=100M\`)`;
  if (freeBytes < DISK_FAIL_BYTES) return { status: 'fail', detail, advice };
  if (freeBytes < DISK_WARN_BYTES) return { status: 'warn', detail, advice };
  return { status: 'ok', detail };
}

/**
 * Free space where the models live and, under systemd, in the state directory
 * (`$STATE_DIRECTORY`, which systemd sets from StateDirectory=), which must also be writable.
 * The worst of them decides; every one is named.
 */
export const diskCheck: DoctorCheck = {
  name: 'disk',
  needsConfig: true,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'statfs hangs: a network filesystem or a failing disk; look at `dmesg`',
  async run(context) {
    const { modelsDir, env } = configured(context);
    const places: { what: string; path: string; mustWrite: boolean }[] = [{ what: 'models', path: modelsDir, mustWrite: false }];
    for (const path of (env.STATE_DIRECTORY ?? '').split(':').filter(Boolean)) places.push({ what: 'state', path: resolve(path), mustWrite: true });
    const outcomes: CheckOutcome[] = [];
    for (const place of places) {
      const at = existingAncestor(place.path);
      const fs = await statfs(at);
      const outcome = judgeDisk(place.what, place.path, fs.bavail * fs.bsize, fs.blocks * fs.bsize);
      if (place.mustWrite && !writable(place.path)) {
        outcomes.push({ status: 'fail', detail: `${outcome.detail}, not writable`, advice: `the kiosk cannot save its state: check that ${place.path} is writable by the service user and the filesystem is not read-only (\`mount | grep ' ro,'\`)` });
      } else {
        outcomes.push(outcome);
      }
    }
    const advice = outcomes.map((o) => o.advice).filter(Boolean).join('; ');
    return { status: worstStatus(outcomes), detail: outcomes.map((o) => o.detail).join('; '), ...(advice ? { advice } : {}) };
  },
};

/** The path itself or its closest parent that exists (the models dir may not have been made yet). */
function existingAncestor(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
