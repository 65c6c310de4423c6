import { describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { configSchema } from '../../src/config/schema.js';
import { PocketsphinxAsr, PocketsphinxError } from '../../src/engines/asr/PocketsphinxAsr.js';
import { EspeakError, EspeakTts } from '../../src/engines/tts/EspeakTts.js';
import { SpeechDetector } from '../../src/engines/vad/SpeechDetector.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const defaults = configSchema.parse({});

async function speak(tts: EspeakTts, text: string, signal = new AbortController().signal): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const chunk of tts.speak(text, signal)) chunks.push(chunk);
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) (out.set(c, offset), (offset += c.length));
  return out;
}

describe('pocketsphinx (Debian python3-pocketsphinx, kept loaded)', () => {
  it('transcribes the VAD segment of flite_rms_opening_hours.wav to text with "opening hours"', async () => {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    const padding = 0.25 * 16000;
    const detector = new SpeechDetector(defaults.vad, sharedModelsDir, padding);
    const events = [...detector.accept(samples), ...detector.accept(new Int16Array(16000)), ...detector.flush()];
    const end = events.find((e) => e.type === 'speechEnd');
    if (end?.type !== 'speechEnd') throw new Error('the VAD found no speech in the fixture');
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx);
    try {
      const text = await asr.finishUtterance(detector.audio(end.startSampleIndex - padding, end.endSampleIndex + padding));
      expect(text).toContain('opening hours');
    } finally {
      asr.dispose();
    }
  });

  it('streams: partial transcripts while the audio comes in, then the final one', async () => {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    const asr = new PocketsphinxAsr(defaults.asr.pocketsphinx);
    try {
      await asr.ready();
      for (let round = 0; round < 2; round++) {
        asr.startUtterance();
        const partials: string[] = [];
        for (let i = 0; i < samples.length; i += 320) {
          const partial = asr.acceptSpeech(samples.subarray(i, i + 320));
          if (partial !== undefined) partials.push(partial);
          // Give the recogniser's replies a chance to arrive, as a live mic's pace would.
          if (i % 1600 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(partials.length, `round ${round + 1}`).toBeGreaterThan(0);
        expect(partials.some((p) => p.includes('what'))).toBe(true);
        expect(await asr.finishUtterance(new Int16Array(0))).toContain('opening hours');
      }
    } finally {
      asr.dispose();
    }
  });

  it('names a missing Python or module', async () => {
    const asr = new PocketsphinxAsr({ ...defaults.asr.pocketsphinx, python: '/nonexistent/python3' });
    await expect(asr.finishUtterance(new Int16Array(16000))).rejects.toMatchObject({
      message: expect.stringMatching(/\/nonexistent\/python3 is not installed/),
      hint: expect.stringMatching(/python3-pocketsphinx/),
    });
    asr.dispose();
  });

  it('says how to install it when the model is missing', () => {
    expect.assertions(2);
    expect(() => new PocketsphinxAsr({ ...defaults.asr.pocketsphinx, hmm: '/nonexistent/en-us' })).toThrow(PocketsphinxError);
    try {
      new PocketsphinxAsr({ ...defaults.asr.pocketsphinx, hmm: '/nonexistent/en-us' });
    } catch (error) {
      expect((error as PocketsphinxError).toUserLine()).toMatch(/\/nonexistent\/en-us — install it: apt-get install python3-pocketsphinx/);
    }
  });
});

describe('espeak-ng', () => {
  const tts = new EspeakTts(defaults.tts.espeak);

  it('produces audible speech of a plausible length for the text', async () => {
    const text = 'We are open from nine in the morning until half past five.';
    const samples = await speak(tts, text);
    const seconds = samples.length / tts.sampleRate;
    const words = text.split(' ').length;
    // 170 words per minute is ~0.35 s per word; allow 0.2–0.7 s per word.
    expect(seconds).toBeGreaterThan(words * 0.2);
    expect(seconds).toBeLessThan(words * 0.7);
    expect(rms(samples)).toBeGreaterThan(0.02);
  });

  it('speaks longer text for longer, and nothing for blank text', async () => {
    const short = await speak(tts, 'Hello.');
    const long = await speak(tts, 'Hello. Please take a seat, someone will be with you shortly.');
    expect(long.length).toBeGreaterThan(short.length * 3);
    expect((await speak(tts, '   ')).length).toBe(0);
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    let chunks = 0;
    for await (const _chunk of tts.speak('This is a long sentence that goes on and on. '.repeat(20), controller.signal)) {
      chunks++;
      controller.abort();
    }
    expect(chunks).toBe(1);
  });

  it('treats text that looks like an option as text', async () => {
    expect((await speak(tts, '--help me please')).length).toBeGreaterThan(0);
  });

  it('names the missing binary', async () => {
    const missing = new EspeakTts({ ...defaults.tts.espeak, binary: 'espeak-ng-not-installed' });
    await expect(speak(missing, 'hello')).rejects.toThrow(EspeakError);
  });
});
