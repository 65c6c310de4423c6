import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { repoRoot } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kiosk-storage-race-');
const BOOK_RACE = resolve(repoRoot, 'test/fixtures/storage/bookRace.ts');
const ROUNDS = 40;

/** A bookRace child and the lines it prints, one at a time. */
class Racer {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly lines: AsyncIterator<string>;
  stderr = '';

  constructor(file: string, name: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', BOOK_RACE, file, name], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`the racer ended: ${this.stderr}`);
    return value as string;
  }
}

const racers: Racer[] = [];
afterEach(() => {
  for (const racer of racers.splice(0)) racer.child.kill('SIGKILL');
});

describe('two processes booking the same slot', () => {
  it(`lets exactly one win, ${ROUNDS} rounds, the other told the slot is taken`, async () => {
    const file = join(tempDir(), 'frontdesk.sqlite');
    // Both open (and so create and migrate) the fresh file at the same time.
    racers.push(new Racer(file, 'Anna'), new Racer(file, 'Bob'));
    expect(await Promise.all(racers.map((racer) => racer.next()))).toEqual(['ready', 'ready']);

    const winners: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A moment far enough ahead for both to have read the line, close enough to keep the test short.
      const at = Date.now() + 40;
      for (const racer of racers) racer.child.stdin.write(`round ${round} ${at}\n`);
      const answers = await Promise.all(racers.map((racer) => racer.next()));
      const won = answers.filter((answer) => answer.startsWith(`won ${round} `));
      expect({ round, answers: answers.filter((answer) => !answer.startsWith('won ')).sort() }).toEqual({ round, answers: [`taken ${round}`] });
      expect(won).toHaveLength(1);
      winners.push(won[0]!.split(' ')[2]!);
    }
    for (const racer of racers) racer.child.stdin.end();

    const db = FrontDeskDatabase.open(file);
    try {
      const booked = db.appointments.list({ includeCancelled: true });
      expect(booked).toHaveLength(ROUNDS);
      expect(booked.map((appointment) => appointment.reference)).toEqual(winners);
      expect(new Set(booked.map((appointment) => appointment.startUtc)).size).toBe(ROUNDS);
      expect(db.integrityCheck()).toEqual([]);
    } finally {
      db.close();
    }
  }, 60_000);
});
