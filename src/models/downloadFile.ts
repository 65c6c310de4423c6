import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { DownloadFailedError, ModelInstallError } from './modelFetchErrors.js';
import type { FetchEvent } from './fetchModels.js';
import { errorText, fileSize, hashingCounter, isLocalFsError, syncFile } from './transferHelpers.js';
import { sha256File } from './verifyModels.js';

/**
 * Resumable HTTP(S) download of one model file into a `.partial` file, hashing as it streams and
 * retrying cut connections from where they stopped.
 */

export interface Wanted {
  modelId: string;
  /** How the file is named in events and errors. */
  label: string;
  url: string;
  sha256: string | null;
  size: number | null;
  approxSize?: number | undefined;
}

/** What a download needs from the fetch that runs it. */
export interface DownloadContext {
  mirrorDir: string | undefined;
  fetchImpl: typeof fetch;
  signal: AbortSignal | undefined;
  maxAttempts: number;
  retryDelayMs: number;
  emit: (event: FetchEvent) => void;
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

export async function downloadWithRetries(want: Wanted, partial: string, ctx: DownloadContext): Promise<{ sha256: string; bytes: number }> {
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
  ctx: DownloadContext,
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
