import { describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { configSchema } from '../../src/config/schema.js';
import { PocketsphinxAsr } from '../../src/engines/asr/PocketsphinxAsr.js';
import { sharedFile } from '../helpers/sharedModels.js';

const defaults = configSchema.parse({});
/** Well past a cold start of the recogniser (≈0.3 s here) plus one utterance's search. */
const PROMPT_MS = 8000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no transcript within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One utterance streamed as the ears worker does it: start, audio in 20 ms frames, finish with the segment. */
async function utter(asr: PocketsphinxAsr, samples: Int16Array, what: string): Promise<string> {
  asr.startUtterance();
  for (let i = 0; i < samples.length; i += 320) asr.acceptSpeech(samples.subarray(i, i + 320));
  return within(asr.finishUtterance(samples), PROMPT_MS, what);
}

function capturingLogger(): { lines: string[]; logger: { warn: (obj: object, msg: string) => void } } {
  const lines: string[] = [];
  return { lines, logger: { warn: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`) } };
}

async function killChild(asr: PocketsphinxAsr): Promise<void> {
  const pid = asr.childPid;
  if (pid === undefined) throw new Error('no recogniser child to kill');
  process.kill(pid, 'SIGKILL');
  // Wait until it is really gone (kill(pid, 0) throws ESRCH once it has been reaped).
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`pocketsphinx child ${pid} survived SIGKILL`);
}

/** Waits until the engine has replaced the child `pid` and the new one has loaded. */
async function replacement(asr: PocketsphinxAsr, pid: number | undefined): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const now = asr.childPid;
    if (now !== undefined && now !== pid) {
      await asr.ready();
      return now;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`pocketsphinx child ${pid} was not replaced`);
}

describe('pocketsphinx child restarts (issue 7, defect 1)', () => {
  it('after a SIGKILL between utterances, the next two utterances get their own transcripts at once', async () => {
    const hours = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
    const booking = (await loadWavForPipeline(sharedFile('audio/flite_rms_book_appointment.wav'))).samples;
    const { lines, logger } = capturingLogger();
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx, { logger });
    try {
      await asr.ready();
      expect(await utter(asr, hours, 'utterance 1')).toContain('opening hours');
      expect(await utter(asr, booking, 'utterance 2')).toContain('appointment');
      expect(lines).toEqual([]);

      const before = asr.childPid;
      await killChild(asr);

      const started = Date.now();
      expect(await utter(asr, hours, 'utterance 3 (after the crash)')).toContain('opening hours');
      expect(await utter(asr, booking, 'utterance 4')).toContain('appointment');
      expect(Date.now() - started).toBeLessThan(PROMPT_MS);
      expect(asr.childPid).not.toBe(before);
      // The restart is logged, once, with how the child ended.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/pocketsphinx .*restart/);
      expect(lines[0]).toContain('SIGKILL');
    } finally {
      asr.dispose();
    }
  }, 60_000);

  it('an utterance the child dies in the middle of is recognised again from its segment', async () => {
    const hours = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
    const { lines, logger } = capturingLogger();
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx, { logger });
    try {
      await asr.ready();
      asr.startUtterance();
      const half = Math.floor(hours.length / 2);
      for (let i = 0; i < half; i += 320) asr.acceptSpeech(hours.subarray(i, Math.min(i + 320, half)));
      await killChild(asr);
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = half; i < hours.length; i += 320) asr.acceptSpeech(hours.subarray(i, i + 320));
      expect(await within(asr.finishUtterance(hours), PROMPT_MS, 'interrupted utterance')).toContain('opening hours');
      expect(await utter(asr, hours, 'next utterance')).toContain('opening hours');
      expect(lines).toHaveLength(1);
    } finally {
      asr.dispose();
    }
  }, 60_000);

  it('a final the child dies before sending is recognised again from its segment', async () => {
    const booking = (await loadWavForPipeline(sharedFile('audio/flite_rms_book_appointment.wav'))).samples;
    const { lines, logger } = capturingLogger();
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx, { logger });
    try {
      await asr.ready();
      asr.startUtterance();
      for (let i = 0; i < booking.length; i += 320) asr.acceptSpeech(booking.subarray(i, i + 320));
      const final = asr.finishUtterance(booking);
      // Killed straight after the end was sent: the search has not finished yet.
      process.kill(asr.childPid!, 'SIGKILL');
      expect(await within(final, PROMPT_MS, 'utterance whose final was lost')).toContain('appointment');
      expect(lines).toHaveLength(1);
    } finally {
      asr.dispose();
    }
  }, 60_000);

  it('a child that keeps dying on the same audio fails that utterance with a clear error, then recovers', async () => {
    const hours = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
    const { lines, logger } = capturingLogger();
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx, { logger });
    try {
      // A long segment, so the replacement is still searching it when it is killed too.
      const long = new Int16Array(hours.length * 4);
      for (let k = 0; k < 4; k++) long.set(hours, k * hours.length);
      await asr.ready();
      asr.startUtterance();
      for (let i = 0; i < long.length; i += 320) asr.acceptSpeech(long.subarray(i, i + 320));
      const final = asr.finishUtterance(long);
      final.catch(() => undefined);
      const first = asr.childPid;
      process.kill(first!, 'SIGKILL');
      // The replacement gets the segment again; kill that one too before it answers.
      const second = await replacement(asr, first);
      process.kill(second, 'SIGKILL');
      await expect(within(final, PROMPT_MS, 'twice-interrupted utterance')).rejects.toThrow(/pocketsphinx was killed by SIGKILL/);
      await replacement(asr, second);
      expect(await utter(asr, hours, 'next utterance')).toContain('opening hours');
      expect(lines).toHaveLength(2);
    } finally {
      asr.dispose();
    }
  }, 60_000);
});
