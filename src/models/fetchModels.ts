import { createHash, type Hash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { KioskVoiceError } from '../errors.js';
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

/** A copied or downloaded file's hash is not the pinned one; the file was deleted. */
export class ChecksumMismatchError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly source: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${path}: sha256 mismatch (expected ${expected}, got ${actual}) from ${source}`,
      'the copy was deleted; check the mirror or URL serves the file the manifest pins, then fetch again',
    );
  }
}

/** A copied or downloaded file has the wrong length; the file was deleted. */
export class SizeMismatchError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly source: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `${path}: ${actual} bytes from ${source}, expected ${expected}`,
      'the copy was deleted; check the mirror or URL serves the file the manifest pins, then fetch again',
    );
  }
}

/** The file is not in the mirror and could not be downloaded. */
export class DownloadFailedError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly url: string,
    readonly reason: string,
    mirrorDir: string | undefined,
    options?: { cause?: unknown },
  ) {
    const where = mirrorDir ? `not in the mirror ${mirrorDir} and ` : '';
    super(
      `${path}: ${where}could not download ${url}: ${reason}`,
      mirrorDir
        ? `check the network, or copy ${basename(path)} into ${mirrorDir}`
        : `check the network, or copy the model files to a directory and set KIOSK_MODELS_MIRROR=<dir> (or pass --mirror <dir>)`,
      options,
    );
  }
}

/** The mirror directory the operator named does not exist. */
export class MirrorNotFoundError extends KioskVoiceError {
  constructor(readonly dir: string) {
    super(`model mirror directory ${dir} does not exist`, 'fix KIOSK_MODELS_MIRROR / --mirror, or unset it to download');
  }
}

/** `tar` failed to unpack an archive. */
export class ArchiveExtractError extends KioskVoiceError {
  constructor(
    readonly archive: string,
    reason: string,
    missingTool: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `could not extract ${archive}: ${reason}`,
      missingTool ? 'install tar and bzip2 (apt-get install tar bzip2)' : 'delete the archive and fetch again; if it recurs, the download is corrupt',
      options,
    );
  }
}

/** An archive unpacked fine but lacks files the manifest lists. */
export class ArchiveContentError extends KioskVoiceError {
  constructor(
    readonly modelId: string,
    readonly url: string,
    readonly missing: string[],
  ) {
    super(
      `archive for ${modelId} (${url}) did not contain ${missing.join(', ')}`,
      'the manifest does not match the archive: fix the paths in models/manifest.json',
    );
  }
}

/** A model that comes from a Debian package is not installed. */
export class SystemModelMissingError extends KioskVoiceError {
  constructor(
    readonly modelId: string,
    readonly debianPackage: string,
    readonly missing: string[],
  ) {
    super(
      `${modelId}: ${missing.join(', ')} not found`,
      `install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    );
  }
}

/** Writing into the models directory failed (permissions, full disk, …). */
export class ModelInstallError extends KioskVoiceError {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not install ${path}: ${reason}`, 'check that the models directory is writable and the disk has room', options);
  }
}

/** One or more models of a set could not be installed; `problems` holds one error per model. */
export class ModelSetFetchError extends KioskVoiceError {
  constructor(
    readonly set: string,
    readonly problems: KioskVoiceError[],
    readonly report: FetchReport,
  ) {
    super(
      problems.length === 1 && problems[0]
        ? problems[0].message
        : `${problems.length} models of set "${set}" could not be installed`,
      problems.length === 1 ? problems[0]?.hint : 'see the problems listed above',
    );
  }
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

interface Ctx {
  modelsDir: string;
  mirrorDir: string | undefined;
  fetchImpl: typeof fetch;
  signal: AbortSignal | undefined;
  maxAttempts: number;
  retryDelayMs: number;
  emit: (event: FetchEvent) => void;
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

interface Wanted {
  modelId: string;
  /** How the file is named in events and errors. */
  label: string;
  url: string;
  sha256: string | null;
  size: number | null;
  approxSize?: number | undefined;
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

function hashingCounter(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Flushes to disk and cuts any stale tail, so the bytes renamed into place are the bytes hashed. */
async function syncFile(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** An HTTP status that ends an attempt; 5xx, 408 and 429 are worth retrying. */
class HttpStatusError extends Error {
  constructor(readonly status: number, statusText: string) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

async function downloadWithRetries(want: Wanted, partial: string, ctx: Ctx): Promise<{ sha256: string; bytes: number }> {
  let restartedAfterMismatch = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await downloadAttempt(want, partial, attempt, ctx);
      // A partial left by an older run may belong to a different file version. If resuming it gave
      // the wrong hash, start once from zero before calling the source wrong.
      if (result.resumed && want.sha256 !== null && result.sha256 !== want.sha256 && !restartedAfterMismatch) {
        restartedAfterMismatch = true;
        await rm(partial, { force: true });
        attempt--;
        continue;
      }
      ctx.emit({ type: 'download-done', modelId: want.modelId, path: want.label, bytes: result.bytes });
      return result;
    } catch (err) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      // A full disk or a read-only models dir will not get better by asking the server again.
      if (isLocalFsError(err)) throw new ModelInstallError(want.label, errorText(err), { cause: err });
      const retryable = !(err instanceof HttpStatusError) || err.retryable;
      if (!retryable || attempt >= ctx.maxAttempts) {
        throw new DownloadFailedError(want.label, want.url, errorText(err), ctx.mirrorDir, { cause: err });
      }
      ctx.emit({ type: 'retry', modelId: want.modelId, path: want.label, url: want.url, attempt: attempt + 1, reason: errorText(err) });
      await sleep(ctx.retryDelayMs * attempt, undefined, { signal: ctx.signal });
    }
  }
}

/**
 * One HTTP request. With a partial on disk it asks for the rest with `Range`; a 206 whose range
 * starts elsewhere, a 200 (server ignores Range) or a 416 (partial longer than the file) all start
 * over from byte 0. A body that ends early throws, leaving the partial to resume from.
 */
async function downloadAttempt(
  want: Wanted,
  partial: string,
  attempt: number,
  ctx: Ctx,
): Promise<{ sha256: string; bytes: number; resumed: boolean }> {
  let offset = await fileSize(partial);
  // identity: a transparently gunzipped body would make byte offsets meaningless for Range.
  const request = (from: number) =>
    ctx.fetchImpl(want.url, {
      headers: from > 0 ? { 'accept-encoding': 'identity', range: `bytes=${from}-` } : { 'accept-encoding': 'identity' },
      redirect: 'follow',
      signal: ctx.signal ?? null,
    });

  let res = await request(offset);
  if (offset > 0 && res.status === 416) {
    await res.body?.cancel();
    const total = parseContentRange(res.headers.get('content-range'))?.total;
    if (total === offset) {
      // The previous run got every byte but stopped before verifying: check what is there.
      return { sha256: await sha256File(partial, ctx.signal), bytes: offset, resumed: true };
    }
    offset = 0;
    res = await request(0);
  }
  if (offset > 0 && res.status === 206) {
    const resumed = parseContentRange(res.headers.get('content-range'));
    if (!resumed || resumed.start !== offset) {
      await res.body?.cancel();
      offset = 0;
      res = await request(0);
    }
  }

  let total: number | null;
  const range = res.status === 206 ? parseContentRange(res.headers.get('content-range')) : undefined;
  if (range && range.start === offset) {
    total = range.total;
  } else if (res.status === 200) {
    offset = 0; // a full body, whatever we asked for
    total = parseLength(res.headers.get('content-length'));
  } else {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, res.statusText);
  }
  if (!res.body) throw new Error('empty response body');
  const expectedTotal = total ?? want.size ?? want.approxSize ?? null;

  ctx.emit({ type: 'download-start', modelId: want.modelId, path: want.label, url: want.url, offset, total: expectedTotal, attempt });
  const hash = createHash('sha256');
  if (offset > 0) {
    for await (const chunk of createReadStream(partial, { start: 0, end: offset - 1 })) hash.update(chunk as Buffer);
  }
  let received = offset;
  // r+ at `offset` rather than append: the file may hold a stale tail, which syncFile() cuts off.
  const out = createWriteStream(partial, offset > 0 ? { flags: 'r+', start: offset } : { flags: 'w' });
  const counter = hashingCounter(hash, (n) => {
    received += n;
    ctx.emit({ type: 'download-progress', modelId: want.modelId, path: want.label, received, total: expectedTotal });
  });
  try {
    await pipeline(Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>), counter, out, { signal: ctx.signal });
  } finally {
    // The next attempt sizes the partial to resume from it: every write must have landed first.
    if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
  }
  if (total !== null && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
  await syncFile(partial, received);
  return { sha256: hash.digest('hex'), bytes: received, resumed: offset > 0 };
}

/** `bytes 100-199/1000` → {start: 100, total: 1000}; a 416's `*` range → {start: undefined, total: 1000}. */
function parseContentRange(header: string | null): { start?: number; total: number | null } | undefined {
  if (!header) return undefined;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!m) return undefined;
  const total = m[3] === '*' || m[3] === undefined ? null : Number(m[3]);
  return m[1] === undefined ? { total } : { start: Number(m[1]), total };
}

function parseLength(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header);
}

function isLocalFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR';
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
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

/** A one-line reason from any thrown value, including undici's "fetch failed" with its cause. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (err.message === 'fetch failed' && cause instanceof Error) return cause.message;
  if (err.message === 'terminated' && cause instanceof Error) return `connection lost (${cause.message})`;
  return err.message;
}
