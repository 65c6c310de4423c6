import { afterEach, describe, expect, it } from 'vitest';
import { AplaySink } from '../../src/audio/playback/AplaySink.js';
import { NaudiodonSink } from '../../src/audio/playback/NaudiodonSink.js';
import type { PacedSink } from '../../src/audio/playback/PacedSink.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';

/**
 * Issue 7, defect 13 (the daemon's memory crept ~1 MB a minute): every block a speaker handed to
 * its player stayed in the play timeline for good, about 100 blocks per second of speech, because
 * only `position()` dropped the finished ones and nothing asks for it while replies play out
 * uninterrupted. A speaker that has played many replies must hold only what is still playing.
 * Real players (aplay, naudiodon's child) on the fake ALSA speaker.
 */
const RATE = 16000;
const TURNS = 25;
/** One reply: 0.3 s of a tone. */
const REPLY = Int16Array.from({ length: RATE * 0.3 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE)));

/** What the sink still keeps of what it played: the timeline's blocks (private, read for this test). */
const keptBlocks = (sink: PacedSink) => (sink as unknown as { timeline: { blocks: unknown[] } }).timeline.blocks.length;

describe('a speaker keeps no per-block record of replies it has played (defect 13)', () => {
  let alsa: FakeAlsa | undefined;
  let sink: PacedSink | undefined;
  afterEach(async () => {
    await sink?.close();
    await alsa?.close();
    sink = alsa = undefined;
  });

  const backends = {
    aplay: async (fake: FakeAlsa) => {
      const s = new AplaySink({ sampleRate: RATE, device: fake.speakerPcm, env: fake.env, leadMs: 50 });
      await s.start();
      return s;
    },
    naudiodon: (fake: FakeAlsa) => NaudiodonSink.open({ sampleRate: RATE, device: fake.speakerPcm, env: fake.env, leadMs: 50 }),
  };

  for (const [backend, open] of Object.entries(backends)) {
    it(`${backend}: after ${TURNS} replies played to the end, only a few blocks are held`, async () => {
      alsa = await createFakeAlsa();
      const s = await open(alsa);
      sink = s;
      const perTurn: number[] = [];
      for (let turn = 0; turn < TURNS; turn++) {
        s.write(REPLY);
        await s.drain();
        perTurn.push(keptBlocks(s));
      }
      // Before the fix this grew by ~30 blocks per reply (750 after 25); a bounded timeline holds
      // at most the blocks of the lead still playing when the last drain resolved.
      expect(Math.max(...perTurn), `blocks held after each reply: ${perTurn.join(' ')}`).toBeLessThanOrEqual(10);
      expect(s.position()).toBeGreaterThanOrEqual(TURNS * REPLY.length * 0.9);
    }, 60_000);
  }
});
