import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { KioskVoiceError } from '../errors.js';
import { downloadWithRetries, type DownloadContext, type Wanted } from './downloadFile.js';
import {
  ArchiveContentError,
  ArchiveExtractError,
  ChecksumMismatchError,
  MirrorNotFoundError,
  ModelInstallError,
  ModelSetFetchError,
  SizeMismatchError,
  SystemModelMissingError,
} from './modelFetchErrors.js';
import { errorText, hashingCounter, syncFile } from './transferHelpers.js';
import { modelsInSet, type ModelArchive, type ModelEntry, type ModelManifest } from './manifestSchema.js';
import { archiveStampPath, archivesDir, inspectFile, readArchiveStamp, sha256File, type ArchiveStamp } from './verifyModels.js';

/**
 * Installs a model set into a models directory: each file comes from the mirror directory if it is
 * there, otherwise over HTTP(S) (resumable), is checked against its pinned sha256 while it streams,
 * and only then is renamed into place — so an engine never loads a half-written or wrong file.
 * Running it again on a complete install reads hashes and transfers nothing.
 */

/** Where the operator's offline copy of the model files lives, if they set one. */
export function defaultMirrorDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.KIOSK_MODELS_MIRROR;
  return dir ? dir : undefined;
}

export type FetchEvent =
  /** The file (or an archive's contents, or a system model) is already installed. */
  | { type: 'present'; modelId: string; path: string }
  | { type: 'copy'; modelId: string; path: string; from: string; size: number }
  | { type: 'download-start'; modelId: string; path: string; url: string; offset: number; total: number | null; attempt: number }
  /** `received` counts from the start of the file, including bytes resumed from a partial. */
  | { type: 'download-progress'; modelId: string; path: string; received: number; total: number | null }
  | { type: 'download-done'; modelId: string; path: string; bytes: number }
  | { type: 'retry'; modelId: string; path: string; url: string; attempt: number; reason: string }
  | { type: 'extract'; modelId: string; archive: string; into: string }
  /** A file with no published hash was accepted: pin `sha256` in the manifest once it is checked. */
  | { type: 'warning'; modelId: string; path: string; message: string; sha256: string };

export interface FetchModelSetOptions {
  manifest: ModelManifest;
  set: string;
  modelsDir: string;
  /** Looked up before the network: `<mirror>/<path>`, then `<mirror>/<basename>`. See `defaultMirrorDir()`. */
  mirrorDir?: string | undefined;
  fetchImpl?: typeof fetch;
  onProgress?: (event: FetchEvent) => void;
  signal?: AbortSignal;
  /** Tries per download; a dropped connection resumes from the partial file. Default 4. */
  maxAttempts?: number;
  /** Wait before retry n is n × this. Default 1000 ms. */
  retryDelayMs?: number;
}

export type FetchAction = 'present' | 'copied' | 'downloaded';

export interface FetchedItem {
  modelId: string;
  kind: 'file' | 'archive' | 'system';
  /** Manifest path of the file, the archive's URL basename, or the Debian package. */
  path: string;
  action: FetchAction;
  /** sha256 of what was copied or downloaded. */
  sha256?: string;
}

export interface FetchReport {
  set: string;
  modelsDir: string;
  items: FetchedItem[];
  /** Files accepted without a published hash. */
  warnings: Extract<FetchEvent, { type: 'warning' }>[];
}


/**
 * Fetches every model of `set` into `modelsDir`. Models are independent: one failure does not stop
 * the others (a mirror holding half the files still yields them), and all failures are reported
 * together as a `ModelSetFetchError`. Abort via `signal` stops at once with the abort reason.
 */
export async function fetchModelSet(options: FetchModelSetOptions): Promise<FetchReport> {
  const modelsDir = resolve(options.modelsDir);
  const mirrorDir = options.mirrorDir === undefined ? undefined : resolve(options.mirrorDir);
  const models = modelsInSet(options.manifest, options.set);
  const report: FetchReport = { set: options.set, modelsDir, items: [], warnings: [] };
  const ctx: Ctx = {
    modelsDir,
    mirrorDir,
    fetchImpl: options.fetchImpl ?? fetch,
    signal: options.signal,
    maxAttempts: options.maxAttempts ?? 4,
    retryDelayMs: options.retryDelayMs ?? 1000,
    emit: (event) => {
      if (event.type === 'warning') report.warnings.push(event);
      options.onProgress?.(event);
    },
  };

  if (mirrorDir !== undefined && !(await isDirectory(mirrorDir))) throw new MirrorNotFoundError(mirrorDir);
  try {
    await mkdir(modelsDir, { recursive: true });
  } catch (err) {
    throw new ModelInstallError(modelsDir, errorText(err), { cause: err });
  }

  const problems: KioskVoiceError[] = [];
  for (const model of models) {
    ctx.signal?.throwIfAborted();
    try {
      report.items.push(...(await installModel(model, ctx)));
    } catch (err) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      problems.push(err instanceof KioskVoiceError ? err : new ModelInstallError(model.id, errorText(err), { cause: err }));
    }
  }
  if (problems.length > 0) throw new ModelSetFetchError(options.set, problems, report);
  return report;
}

interface Ctx extends DownloadContext {
  modelsDir: string;
}

async function installModel(model: ModelEntry, ctx: Ctx): Promise<FetchedItem[]> {
  if (model.system) return [await checkSystemModel(model, model.system.debianPackage, model.system.paths, ctx)];
  if (model.archive) return [await installArchive(model, model.archive, ctx)];
  const items: FetchedItem[] = [];
  for (const f of model.files ?? []) {
    const got = await acquireFile(
      { modelId: model.id, label: f.path, url: f.url, sha256: f.sha256, size: f.size, approxSize: f.approxSize },
      resolve(ctx.modelsDir, f.path),
      mirrorCandidates(ctx.mirrorDir, f.path),
      ctx,
    );
    items.push({ modelId: model.id, kind: 'file', path: f.path, ...got });
  }
  return items;
}

async function checkSystemModel(model: ModelEntry, debianPackage: string, paths: Record<string, string>, ctx: Ctx): Promise<FetchedItem> {
  const missing: string[] = [];
  for (const p of Object.values(paths)) {
    try {
      await access(p);
    } catch {
      missing.push(p);
    }
  }
  if (missing.length > 0) throw new SystemModelMissingError(model.id, debianPackage, missing);
  ctx.emit({ type: 'present', modelId: model.id, path: debianPackage });
  return { modelId: model.id, kind: 'system', path: debianPackage, action: 'present' };
}

/**
 * Archives are fetched into `<models>/.archives/`, verified, unpacked with the system tar and then
 * deleted (SD cards are small); a stamp with the archive's hash is kept so verify and the next
 * fetch know what the unpacked files came from. Files present without a stamp (extraction cut
 * short by a power loss, or unpacked by hand) are extracted again.
 */
async function installArchive(model: ModelEntry, archive: ModelArchive, ctx: Ctx): Promise<FetchedItem> {
  const name = basename(new URL(archive.url).pathname);
  const targets = archive.files.map((f) => resolve(ctx.modelsDir, f.path));
  // The stamp is written only after a complete extraction, so it also marks "not interrupted".
  const stamp = await readArchiveStamp(ctx.modelsDir, model.id);
  const current = stamp !== undefined && (archive.sha256 === null || stamp.sha256 === archive.sha256);
  if (current && (await allExist(targets))) {
    ctx.emit({ type: 'present', modelId: model.id, path: name });
    return { modelId: model.id, kind: 'archive', path: name, action: 'present' };
  }

  const archivePath = join(archivesDir(ctx.modelsDir), name);
  const got = await acquireFile(
    { modelId: model.id, label: name, url: archive.url, sha256: archive.sha256, size: archive.size, approxSize: archive.approxSize },
    archivePath,
    mirrorCandidates(ctx.mirrorDir, `${archive.extractTo}/${name}`),
    ctx,
  );
  const into = resolve(ctx.modelsDir, archive.extractTo);
  await mkdir(into, { recursive: true });
  await rm(archiveStampPath(ctx.modelsDir, model.id), { force: true });
  ctx.emit({ type: 'extract', modelId: model.id, archive: name, into });
  await extractTarBz2(archivePath, into, ctx.signal);

  const missing: string[] = [];
  for (const f of archive.files) {
    if (!(await allExist([resolve(ctx.modelsDir, f.path)]))) missing.push(f.path);
  }
  if (missing.length > 0) throw new ArchiveContentError(model.id, archive.url, missing);

  const sha256 = got.sha256 ?? (await sha256File(archivePath, ctx.signal));
  const size = (await stat(archivePath)).size;
  const newStamp: ArchiveStamp = { modelId: model.id, url: archive.url, sha256, size, extractedAt: new Date().toISOString() };
  await writeFile(archiveStampPath(ctx.modelsDir, model.id), `${JSON.stringify(newStamp, null, 2)}\n`);
  await rm(archivePath, { force: true });
  return { modelId: model.id, kind: 'archive', path: name, action: got.action, sha256 };
}

async function extractTarBz2(archivePath: string, into: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    // --no-same-owner: when run as root, tar would otherwise keep the packager's uid/gid.
    await promisify(execFile)('tar', ['-xjf', archivePath, '-C', into, '--no-same-owner'], {
      signal,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const missingTool = e.code === 'ENOENT' || /bzip2: (not found|No such file)/.test(e.stderr ?? '');
    throw new ArchiveExtractError(basename(archivePath), (e.stderr ?? '').trim() || e.message, missingTool, { cause: err });
  }
}


/**
 * Makes `dest` hold the wanted file: keeps it if it already matches, else copies it from the mirror,
 * else downloads it. New bytes always land in `<dest>.partial` and are renamed only once verified.
 */
async function acquireFile(
  want: Wanted,
  dest: string,
  candidates: string[],
  ctx: Ctx,
): Promise<{ action: FetchAction; sha256?: string }> {
  const existing = await inspectFile(dest, want, ctx.signal);
  if (existing.status === 'ok' || existing.status === 'unpinned') {
    ctx.emit({ type: 'present', modelId: want.modelId, path: want.label });
    return { action: 'present' };
  }

  try {
    await mkdir(dirname(dest), { recursive: true });
  } catch (err) {
    throw new ModelInstallError(want.label, errorText(err), { cause: err });
  }
  const partial = `${dest}.partial`;

  const source = await findInMirror(candidates);
  if (source) {
    const size = (await stat(source)).size;
    ctx.emit({ type: 'copy', modelId: want.modelId, path: want.label, from: source, size });
    const { sha256, bytes } = await copyHashing(source, partial, ctx.signal);
    await acceptPartial(want, partial, dest, source, sha256, bytes, ctx);
    return { action: 'copied', sha256 };
  }

  const { sha256, bytes } = await downloadWithRetries(want, partial, ctx);
  await acceptPartial(want, partial, dest, want.url, sha256, bytes, ctx);
  return { action: 'downloaded', sha256 };
}

/** Checks the finished partial against the manifest and renames it into place, or deletes it. */
async function acceptPartial(want: Wanted, partial: string, dest: string, source: string, sha256: string, bytes: number, ctx: Ctx): Promise<void> {
  if (want.size !== null && bytes !== want.size) {
    await rm(partial, { force: true });
    throw new SizeMismatchError(want.label, source, want.size, bytes);
  }
  if (want.sha256 !== null && sha256 !== want.sha256) {
    await rm(partial, { force: true });
    throw new ChecksumMismatchError(want.label, source, want.sha256, sha256);
  }
  // rename() is atomic within a filesystem: readers see the old file or the whole new one.
  await rename(partial, dest);
  if (want.sha256 === null) {
    ctx.emit({
      type: 'warning',
      modelId: want.modelId,
      path: want.label,
      sha256,
      message: `${want.label} has no published sha256; accepted the copy from ${source} with sha256 ${sha256} — check it and pin it in models/manifest.json`,
    });
  }
}

function mirrorCandidates(mirrorDir: string | undefined, path: string): string[] {
  if (mirrorDir === undefined) return [];
  const exact = join(mirrorDir, path);
  const flat = join(mirrorDir, basename(path));
  return exact === flat ? [exact] : [exact, flat];
}

async function findInMirror(candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) {
    try {
      if ((await stat(c)).isFile()) return c;
    } catch {
      // not there; try the next
    }
  }
  return undefined;
}

async function copyHashing(source: string, partial: string, signal: AbortSignal | undefined): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(createReadStream(source), hashingCounter(hash, (n) => (bytes += n)), createWriteStream(partial), { signal });
    await syncFile(partial, bytes);
  } catch (err) {
    await rm(partial, { force: true });
    if (signal?.aborted) throw signal.reason;
    throw new ModelInstallError(partial, errorText(err), { cause: err });
  }
  return { sha256: hash.digest('hex'), bytes };
}










async function allExist(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    try {
      await stat(p);
    } catch {
      return false;
    }
  }
  return true;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

