import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { repoRoot } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kiosk-storage-kill-');
const BOOK_LOOP = resolve(repoRoot, 'test/fixtures/storage/bookLoop.ts');
const KILLS = 24;

/** Runs one bookLoop child, SIGKILLs it `delayMs` after it said `ready`, and returns the complete lines it printed. */
function bookUntilKilled(file: string, run: number, delayMs: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, ['--import', 'tsx', BOOK_LOOP, file, String(run)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!killed && stdout.startsWith('ready\n')) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`bookLoop run ${run} ended with code ${code} before it was killed: ${stderr}`));
      // A line cut off by the kill was never a complete promise: only whole lines count.
      const lines = stdout.split('\n');
      lines.pop();
      resolvePromise(lines.filter((line) => line !== 'ready'));
    });
  });
}

describe('storage durability', () => {
  it(`keeps every booking it confirmed and stays sound through ${KILLS} SIGKILLs mid-write`, async () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    const promised: string[] = [];
    let killedWithWork = 0;
    for (let run = 0; run < KILLS; run++) {
      // Mostly early kills (the first commits, WAL recovery of the last run), some after a few hundred writes.
      const delay = run % 4 === 3 ? 150 + Math.random() * 250 : Math.random() * 60;
      const lines = await bookUntilKilled(file, run, delay);
      if (lines.length > 0) killedWithWork++;
      promised.push(...lines);
    }
    expect(killedWithWork).toBeGreaterThanOrEqual(KILLS / 2);

    const db = FrontDeskDatabase.open(file);
    try {
      expect(db.integrityCheck()).toEqual([]);
      const missing: string[] = [];
      const status = new Map<string, string>();
      for (const line of promised) {
        const [what, reference, moved] = line.split(' ');
        if (what === 'booked') status.set(reference!, 'booked');
        else if (what === 'cancelled') status.set(reference!, 'cancelled');
        else if (what === 'rescheduled') {
          status.set(reference!, 'cancelled');
          status.set(moved!, 'booked');
        } else missing.push(`unexpected line ${line}`);
      }
      for (const [reference, expected] of status) {
        const found = db.appointments.findByReference(reference);
        // A later step (a cancel, a reschedule) may have committed just before the kill, unprinted.
        if (!found) missing.push(`${reference} is missing`);
        else if (expected === 'cancelled' && found.status !== 'cancelled') missing.push(`${reference} should be cancelled, is ${found.status}`);
      }
      expect(missing).toEqual([]);
      expect(status.size).toBeGreaterThan(KILLS);
      // And the rule held throughout: no two booked rows of a resource overlap.
      const booked = db.appointments.list();
      const overlaps = booked.filter((a, i) => booked.some((b, j) => j !== i && a.resourceId === b.resourceId && a.startUtc < b.blockedUntilUtc && b.startUtc < a.blockedUntilUtc));
      expect(overlaps).toEqual([]);
    } finally {
      db.close();
    }
  }, 60_000);
});
