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

describe('pocketsphinx (Debian pocketsphinx_continuous)', () => {
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

  it('says how to install it when the model is missing', () => {
    expect.assertions(2);
    expect(() => new PocketsphinxAsr({ ...defaults.asr.pocketsphinx, hmm: '/nonexistent/en-us' })).toThrow(PocketsphinxError);
    try {
      new PocketsphinxAsr({ ...defaults.asr.pocketsphinx, hmm: '/nonexistent/en-us' });
    } catch (error) {
      expect((error as PocketsphinxError).toUserLine()).toMatch(/\/nonexistent\/en-us — install it: apt-get install pocketsphinx/);
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
