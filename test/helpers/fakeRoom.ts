/**
 * The room between a kiosk's speaker and its mic, for the fake ALSA devices: a playback PCM whose
 * sound reaches an {@link AskingMic}. Whatever is played on it (`aplay -D <pcm> question.wav`) is
 * asked into the mic when the player closes it, in real time. Mono S16_LE at the mic's rate.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AskingMic } from './askingMic.js';
import type { FakeAlsa } from './fakeAlsa.js';

export interface FakeRoom {
  /** The PCM to play on. */
  pcm: string;
  /** How many plays reached the mic. */
  readonly carried: number;
  close(): Promise<void>;
}

export function addFakeRoom(alsa: FakeAlsa, mic: AskingMic, name = 'room'): FakeRoom {
  const fifo = join(alsa.home, `${name}.room.fifo`);
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`mkfifo ${fifo} failed`);
  // The file plugin over the null PCM writes what is played at once, without real-time pacing: the mic paces it.
  appendFileSync(join(alsa.home, '.asoundrc'), `pcm.${name} { type file; slave.pcm "null"; file "${fifo}"; format "raw" }\n`);
  let closed = false;
  let carried = 0;
  const loop = (async () => {
    while (!closed) {
      // Opening for reading waits for the next player.
      const handle = await open(fifo, 'r');
      const played = await handle.readFile();
      await handle.close();
      if (closed || played.length < 2) continue;
      const samples = new Int16Array(played.buffer, played.byteOffset, Math.floor(played.length / 2));
      carried++;
      void mic.ask(samples.slice());
    }
  })();
  return {
    pcm: name,
    get carried() {
      return carried;
    },
    async close() {
      closed = true;
      // Our own writer wakes the reader that waits for one, so the loop can end.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader waiting: the loop is between plays and sees `closed`.
      }
      await loop;
      rmSync(fifo, { force: true });
    },
  };
}
