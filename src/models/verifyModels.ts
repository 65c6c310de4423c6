import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { modelsInSet, type ModelEntry, type ModelManifest } from './manifestSchema.js';

/**
 * Checks that a model set is installed: every file present, of the pinned size and hash; archive
 * contents present and extracted from the pinned archive; system files installed.
 */

/**
 * - `ok`: present and matches its pinned hash (or, for system files, present).
 * - `unpinned`: present, but no published hash to check it against (the computed hash is reported).
 */
export type VerifyStatus = 'ok' | 'missing' | 'size-mismatch' | 'hash-mismatch' | 'unpinned';

export interface VerifyResult {
  modelId: string;
  role: string;
  /** As the manifest names it: relative to the models dir, or absolute for system files. */
  path: string;
  absolutePath: string;
  status: VerifyStatus;
  expectedSha256?: string | null;
  actualSha256?: string;
  expectedSize?: number | null;
  actualSize?: number;
  /** What is wrong or worth knowing, and what to do, in a few words. */
  detail?: string;
}

export interface VerifyReport {
  set: string;
  modelsDir: string;
  results: VerifyResult[];
  /** True when nothing is missing or mismatched (`unpinned` counts as ok). */
  ok: boolean;
}

export interface VerifyModelSetOptions {
  manifest: ModelManifest;
  set: string;
  modelsDir: string;
  signal?: AbortSignal;
  /** Called after each file is checked, so a CLI can show progress through large files. */
  onResult?: (result: VerifyResult) => void;
}

/** Verifies every file of a set. Never throws for a bad file (that is a result); only for an unknown set. */
export async function verifyModelSet(options: VerifyModelSetOptions): Promise<VerifyReport> {
  const { manifest, set, signal } = options;
  const modelsDir = resolve(options.modelsDir);
  const results: VerifyResult[] = [];
  const push = (r: VerifyResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  for (const model of modelsInSet(manifest, set)) {
    signal?.throwIfAborted();
    for (const r of await verifyModel(model, modelsDir, set, signal)) push(r);
  }
  return { set, modelsDir, results, ok: results.every((r) => r.status === 'ok' || r.status === 'unpinned') };
}

async function verifyModel(model: ModelEntry, modelsDir: string, set: string, signal?: AbortSignal): Promise<VerifyResult[]> {
  const fetchHint = `run \`kiosk-voice models fetch --set ${set}\``;
  const out: VerifyResult[] = [];

  for (const f of model.files ?? []) {
    const absolutePath = resolve(modelsDir, f.path);
    const check = await inspectFile(absolutePath, f, signal);
    const base = { modelId: model.id, role: f.role, path: f.path, absolutePath, expectedSha256: f.sha256, expectedSize: f.size };
    const { status, actualSize, actualSha256 } = check;
    const r: VerifyResult = { ...base, status };
    if (actualSize !== undefined) r.actualSize = actualSize;
    if (actualSha256 !== undefined) r.actualSha256 = actualSha256;
    if (status === 'missing') r.detail = fetchHint;
    else if (status === 'size-mismatch') r.detail = `${actualSize} bytes, expected ${f.size}; ${fetchHint} to replace it`;
    else if (status === 'hash-mismatch') r.detail = `sha256 ${actualSha256}, expected ${f.sha256}; ${fetchHint} to replace it`;
    else if (status === 'unpinned') r.detail = `no published sha256; this copy has ${actualSha256}`;
    out.push(r);
  }

  if (model.archive) {
    const archive = model.archive;
    const stamp = await readArchiveStamp(modelsDir, model.id);
    for (const f of archive.files) {
      const absolutePath = resolve(modelsDir, f.path);
      const r: VerifyResult = { modelId: model.id, role: f.role, path: f.path, absolutePath, status: 'ok', expectedSha256: archive.sha256 };
      if (!(await exists(absolutePath))) {
        r.status = 'missing';
        r.detail = fetchHint;
      } else if (!stamp) {
        r.status = 'unpinned';
        r.detail = `present, but fetch has no record of finishing its extraction; ${fetchHint} to extract it again`;
      } else if (archive.sha256 === null) {
        // The files inside an archive have no hashes of their own; the archive's is all there is.
        r.status = 'unpinned';
        r.actualSha256 = stamp.sha256;
        r.detail = `archive has no published sha256; it was extracted from one with ${stamp.sha256}`;
      } else if (stamp.sha256 !== archive.sha256) {
        r.status = 'hash-mismatch';
        r.actualSha256 = stamp.sha256;
        r.detail = `extracted from an archive with sha256 ${stamp.sha256}, expected ${archive.sha256}; ${fetchHint}`;
      }
      out.push(r);
    }
  }

  if (model.system) {
    const pkg = model.system.debianPackage;
    for (const [role, absolutePath] of Object.entries(model.system.paths)) {
      const present = await exists(absolutePath);
      const r: VerifyResult = { modelId: model.id, role, path: absolutePath, absolutePath, status: present ? 'ok' : 'missing' };
      if (!present) r.detail = `install the Debian package ${pkg} (apt-get install ${pkg})`;
      out.push(r);
    }
  }
  return out;
}

/** The outcome of checking one file on disk against what the manifest pins. */
export interface FileCheck {
  status: VerifyStatus;
  actualSize?: number;
  actualSha256?: string;
}

/**
 * Checks one file: size first (cheap, and catches truncated copies without reading a gigabyte),
 * then sha256. With no pinned hash, a present file is `unpinned` and its hash is still computed.
 */
export async function inspectFile(
  path: string,
  expected: { sha256: string | null; size: number | null },
  signal?: AbortSignal,
): Promise<FileCheck> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return { status: 'missing' };
    size = s.size;
  } catch {
    return { status: 'missing' };
  }
  if (expected.size !== null && size !== expected.size) return { status: 'size-mismatch', actualSize: size };
  const actualSha256 = await sha256File(path, signal);
  if (expected.sha256 === null) return { status: 'unpinned', actualSize: size, actualSha256 };
  return { status: actualSha256 === expected.sha256 ? 'ok' : 'hash-mismatch', actualSize: size, actualSha256 };
}

/** sha256 of a file (or of its first `length` bytes), streamed so large models do not fill memory. */
export async function sha256File(path: string, signal?: AbortSignal, length?: number): Promise<string> {
  const hash = createHash('sha256');
  const opts = length === undefined ? { signal } : { signal, start: 0, end: length - 1 };
  if (length === 0) return hash.digest('hex');
  for await (const chunk of createReadStream(path, opts)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * What fetch records after extracting an archive: the archive's own files are gone by then, so this
 * is the only evidence of which archive (by hash) the files came from.
 */
export interface ArchiveStamp {
  modelId: string;
  url: string;
  sha256: string;
  size: number;
  extractedAt: string;
}

/** Where fetch keeps archive downloads in progress and the stamps of extracted archives. */
export function archivesDir(modelsDir: string): string {
  return join(modelsDir, '.archives');
}

export function archiveStampPath(modelsDir: string, modelId: string): string {
  return join(archivesDir(modelsDir), `${modelId}.json`);
}

/** The stamp of a model's extracted archive, or undefined when there is none (or it is unreadable). */
export async function readArchiveStamp(modelsDir: string, modelId: string): Promise<ArchiveStamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(archiveStampPath(modelsDir, modelId), 'utf8')) as Partial<ArchiveStamp>;
    return typeof stamp.sha256 === 'string' ? (stamp as ArchiveStamp) : undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
