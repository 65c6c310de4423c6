import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { KioskVoiceError } from '../errors.js';
import { loadManifest, type ModelEntry, type ModelFile, type ModelManifest } from '../models/manifestSchema.js';
import { inspectFile, readArchiveStamp } from '../models/verifyModels.js';
import { configured, type CheckOutcome, type DoctorCheck, type DoctorContext } from './DoctorCheck.js';
import { checkEngineFile } from './engineFileChecks.js';
import { formatBytes, modelBytes } from './modelBytes.js';
import { usedModelFiles, type UsedModelFile } from './usedModelFiles.js';

/**
 * Slowest read and hash expected: a Pi 4 (no sha256 instructions) reading from an SD card. The
 * check's time budget grows with the model set, so a 1 GB model is not cut off.
 */
const SLOWEST_BYTES_PER_SECOND = 20e6;
const BASE_TIMEOUT_MS = 10_000;

/** Where the manifest says a file at a path comes from. */
type ManifestSource = { model: ModelEntry; file: ModelFile } | { model: ModelEntry; archive: true } | { model: ModelEntry; system: true };

/** The state of one used file after all its checks. */
interface FileVerdict {
  file: UsedModelFile;
  problem?: string;
  /** The sha256 was compared with the manifest's and matched. */
  hashed: boolean;
  /** In the manifest without a published sha256 (sherpa archives). */
  unpinned: boolean;
}

/**
 * Every model file the configuration uses: present, of the manifest's size and sha256 where the
 * manifest pins them (an archive's files: extracted from the pinned archive), and passing the
 * engines' cheap start-up checks (ONNX parses and has an opset, the VAD is a Silero graph, a GGUF
 * header is sound and its tensors fit the file, tokens parse). Any problem is a failure naming the file.
 */
export const modelsCheck: DoctorCheck = {
  name: 'models',
  needsConfig: true,
  timeoutMs: (context) => {
    const { config, modelsDir } = configured(context);
    return BASE_TIMEOUT_MS + (1000 * modelBytes(usedModelFiles(config, modelsDir))) / SLOWEST_BYTES_PER_SECOND;
  },
  timeoutAdvice: 'reading the model files is too slow: check the disk (`dmesg` for SD card errors) and run `kiosk-voice models verify`',
  async run(context, signal) {
    const { config, modelsDir } = configured(context);
    const files = usedModelFiles(config, modelsDir);
    const manifest = loadManifest();
    const sources = manifestSources(manifest, modelsDir);
    const verdicts: FileVerdict[] = [];
    for (const file of files) {
      signal.throwIfAborted();
      verdicts.push(await verdictFor(file, sources.get(file.path), modelsDir, signal));
    }
    return summarise(verdicts, modelsDir, fetchAdvice(context, manifest, verdicts, sources));
  },
};

async function verdictFor(file: UsedModelFile, source: ManifestSource | undefined, modelsDir: string, signal: AbortSignal): Promise<FileVerdict> {
  const verdict: FileVerdict = { file, hashed: false, unpinned: false };
  if (file.kind !== 'executable' && !existsSync(file.path)) return { ...verdict, problem: 'missing' };
  if (source && 'file' in source) {
    const check = await inspectFile(file.path, source.file, signal);
    if (check.status === 'size-mismatch') return { ...verdict, problem: `${check.actualSize} bytes, the manifest says ${source.file.size}` };
    if (check.status === 'hash-mismatch') return { ...verdict, problem: `sha256 ${check.actualSha256}, the manifest says ${source.file.sha256}` };
    verdict.hashed = check.status === 'ok';
    verdict.unpinned = check.status === 'unpinned';
  } else if (source && 'archive' in source) {
    const { archive } = source.model;
    const stamp = await readArchiveStamp(modelsDir, source.model.id);
    if (stamp && archive?.sha256 && stamp.sha256 !== archive.sha256) {
      return { ...verdict, problem: `extracted from an archive with sha256 ${stamp.sha256}, the manifest says ${archive.sha256}` };
    }
    verdict.hashed = Boolean(stamp && archive?.sha256);
    verdict.unpinned = !verdict.hashed;
  }
  try {
    checkEngineFile(file, modelsDir);
  } catch (error) {
    if (!(error instanceof KioskVoiceError)) throw error;
    return { ...verdict, problem: error.message };
  }
  return verdict;
}

function summarise(verdicts: FileVerdict[], modelsDir: string, advice: string): CheckOutcome {
  const bad = verdicts.filter((v) => v.problem !== undefined);
  if (bad.length > 0) {
    const problems = bad.map((v) => {
      const problem = v.problem ?? '';
      // The engines' messages already name the file and the setting.
      return problem.includes(v.file.path) || problem.startsWith(v.file.setting) ? problem : `${shortPath(v.file.path, modelsDir)} (${v.file.setting}): ${problem}`;
    });
    return { status: 'fail', detail: `${bad.length} of ${verdicts.length} model files bad: ${problems.join('; ')}`, advice };
  }
  const hashed = verdicts.filter((v) => v.hashed).length;
  const unpinned = verdicts.filter((v) => v.unpinned).length;
  const parts = [`${hashed} match the manifest's sha256`];
  if (unpinned > 0) parts.push(`${unpinned} have no published sha256`);
  const others = verdicts.length - hashed - unpinned;
  if (others > 0) parts.push(`${others} present (system files or not in the manifest)`);
  const bytes = modelBytes(verdicts.map((v) => v.file));
  return { status: 'ok', detail: `${verdicts.length} files, ${formatBytes(bytes)}: ${parts.join(', ')}; engine start-up checks pass` };
}

/** Absolute path → where the manifest says it comes from. */
function manifestSources(manifest: ModelManifest, modelsDir: string): Map<string, ManifestSource> {
  const sources = new Map<string, ManifestSource>();
  for (const model of manifest.models) {
    for (const file of model.files ?? []) sources.set(resolve(modelsDir, file.path), { model, file });
    for (const file of model.archive?.files ?? []) sources.set(resolve(modelsDir, file.path), { model, archive: true });
    for (const path of Object.values(model.system?.paths ?? {})) sources.set(path, { model, system: true });
  }
  return sources;
}

/** How to get good copies: fetch the set that holds the bad files, into the directory in use. */
function fetchAdvice(context: DoctorContext, manifest: ModelManifest, verdicts: FileVerdict[], sources: Map<string, ManifestSource>): string {
  const { modelsDir } = configured(context);
  const bad = verdicts.filter((v) => v.problem !== undefined);
  const ids = new Set(bad.map((v) => sources.get(v.file.path)?.model.id));
  const system = bad.map((v) => sources.get(v.file.path)?.model.system?.debianPackage).filter(Boolean);
  const set = context.modelSet ?? Object.entries(manifest.sets).find(([, s]) => [...ids].every((id) => id !== undefined && s.models.includes(id)))?.[0];
  const fetch = set
    ? `run \`kiosk-voice models fetch --set ${set} --dir ${modelsDir}\` to replace ${bad.length === 1 ? 'it' : 'them'}`
    : 'replace the files named above with good copies (they are not all in the manifest, so `kiosk-voice models fetch` cannot)';
  return system.length > 0 ? `${fetch}; install ${[...new Set(system)].join(', ')} (\`sudo apt-get install\`)` : fetch;
}

function shortPath(path: string, modelsDir: string): string {
  const inside = relative(modelsDir, path);
  return inside && !inside.startsWith('..') && !inside.startsWith('/') ? inside : path;
}

