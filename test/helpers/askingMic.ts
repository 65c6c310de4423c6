/**
 * A fake microphone that speaks only when the test asks: silence in real time, and a question
 * each time {@link AskingMic.ask} is called. Fault tests need the next question to come when the
 * kiosk is ready for it (a restarted worker loaded, the apology over) — not at a fixed point of a
 * recording, which a slow restart on a busy machine would overrun.
 *
 * It adds one `file`-plugin PCM to a {@link FakeAlsa} home, reading a FIFO that this process
 * writes at the real byte rate (the job `pv` does for fakeAlsa's mics). Whoever opens the PCM gets
 * the stream from then on; when that reader goes (a killed capture process) the next one is
 * waited for. Mono S16_LE at `rate` (questions must be at that rate).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeAlsa } from './fakeAlsa.js';

export interface AskingMic {
  /** The PCM name to open (`--input-device`). */
  pcm: string;
  /** Resolves once a reader has the PCM open (the daemon's capture has started). */
  readonly opened: Promise<void>;
  /** Queues a question; resolves when its last sample has gone to the reader (the visitor has finished). */
  ask(question: Int16Array): Promise<void>;
  /** Stops writing and removes the FIFO. */
  close(): void;
}

/** Audio kept in the FIFO ahead of real time, so that a read never finds it empty. */
const LEAD_MS = 100;
const TICK_MS = 20;
/**
 * Audio goes out in whole 100 ms blocks, like pv's bursts. A read that finds less than a period
 * in the FIFO is padded with silence by ALSA's file plugin, which would tear holes in the speech;
 * a block holds whole 20 ms periods and is written at once (within PIPE_BUF, all or nothing).
 */
const BLOCK_MS = 100;
const PIPE_BUF = 4096;

export function addAskingMic(alsa: FakeAlsa, name: string, rate = 16000): AskingMic {
  if (!/^[A-Za-z][\w-]*$/.test(name)) throw new Error(`mic name "${name}" must be a plain identifier`);
  const blockBytes = (rate * 2 * BLOCK_MS) / 1000;
  if (!Number.isInteger(blockBytes) || blockBytes > PIPE_BUF) throw new Error(`a ${BLOCK_MS} ms block at ${rate} Hz does not fit one atomic FIFO write`);
  const fifo = join(alsa.home, `${name}.asking.fifo`);
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`mkfifo ${fifo} failed`);
  appendFileSync(join(alsa.home, '.asoundrc'), `pcm.${name} { type file; slave.pcm "null"; file "/dev/null"; infile "${fifo}"; format "raw" }\n`);

  /** Questions waiting to be spoken, with what to call once each is out. */
  const queue: { bytes: Buffer; sent: number; done: () => void }[] = [];
  let closed = false;
  let fd: number | undefined;
  let streamStart = 0;
  let blocksOut = 0;
  let markOpened!: () => void;
  const opened = new Promise<void>((resolve) => (markOpened = resolve));

  /** The next block: the question under way (padded with silence at its end), or silence. */
  function nextBlock(): { block: Buffer; finishes: boolean } {
    const block = Buffer.alloc(blockBytes);
    const head = queue[0];
    if (!head) return { block, finishes: false };
    const n = head.bytes.copy(block, 0, head.sent, head.sent + blockBytes);
    return { block, finishes: head.sent + n >= head.bytes.length };
  }

  function tick(): void {
    if (closed) return;
    if (fd === undefined) {
      try {
        // Non-blocking: without a reader this fails at once (ENXIO) instead of hanging the thread.
        fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        streamStart = performance.now();
        blocksOut = 0;
        markOpened();
      } catch {
        return;
      }
    }
    const due = Math.floor((performance.now() - streamStart + LEAD_MS) / BLOCK_MS);
    while (blocksOut < due) {
      const { block, finishes } = nextBlock();
      try {
        writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return; // the reader is behind: keep our place
        // EPIPE: the reader went away. Wait for the next one; a question half spoken starts again.
        closeSync(fd);
        fd = undefined;
        if (queue[0]) queue[0].sent = 0;
        return;
      }
      blocksOut++;
      const head = queue[0];
      if (!head) continue;
      head.sent += blockBytes;
      if (finishes) {
        queue.shift();
        head.done();
      }
    }
  }

  const timer = setInterval(tick, TICK_MS);
  return {
    pcm: name,
    opened,
    ask(question) {
      const bytes = Buffer.from(question.buffer, question.byteOffset, question.byteLength);
      return new Promise<void>((resolve) => queue.push({ bytes, sent: 0, done: resolve }));
    },
    close() {
      closed = true;
      clearInterval(timer);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(fifo, { force: true });
    },
  };
}
