import type { Hash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';

/** Small file and error helpers shared by the mirror copy and the HTTP download. */

export function hashingCounter(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** A one-line reason from any thrown value, including undici's "fetch failed" with its cause. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (err.message === 'fetch failed' && cause instanceof Error) return cause.message;
  if (err.message === 'terminated' && cause instanceof Error) return `connection lost (${cause.message})`;
  return err.message;
}

export function isLocalFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR';
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Flushes to disk and cuts any stale tail, so the bytes renamed into place are the bytes hashed. */
export async function syncFile(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
