import { describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { vadSchema } from '../../src/config/schema.js';
import { SpeechDetector } from '../../src/engines/vad/SpeechDetector.js';
import { readTranscripts, sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const RATE = 16000;

/** Runs the real Silero VAD (through sherpa-onnx) over audio in 20 ms frames, as the ears do. */
function detect(samples: Int16Array, model: string): [number, number][] {
  const detector = new SpeechDetector(vadSchema.parse({ model }), sharedModelsDir);
  const padded = new Int16Array(samples.length + RATE);
  padded.set(samples);
  const events = [];
  for (let i = 0; i < padded.length; i += 320) events.push(...detector.accept(padded.subarray(i, i + 320)));
  events.push(...detector.flush());
  return events.flatMap((e) => (e.type === 'speechEnd' ? [[e.startSampleIndex / RATE, e.endSampleIndex / RATE] as [number, number]] : []));
}

describe.each(['vad/silero_vad_v5.onnx', 'vad/silero_vad_v6_2.onnx'])('Silero VAD %s', (model) => {
  sharedFile(model);

  for (const row of readTranscripts()) {
    // The LibriSpeech rows give the file's end as the region's end; the readers trail off into
    // breath noise near -50 dBFS (measured: voiced energy stops at 6.13 s and 16.3 s), so the end
    // gets a wider margin there. Every synthetic file is held to 0.15 s on both edges.
    const endTolerance = row.file.startsWith('librispeech') ? 0.45 : 0.15;
    it(`finds the speech regions of ${row.file} within 0.15 s`, async () => {
      const { samples } = await loadWavForPipeline(sharedFile(`audio/${row.file}`));
      const found = detect(samples, model);
      expect(found).toHaveLength(row.regions.length);
      row.regions.forEach(([start, end], i) => {
        const [foundStart, foundEnd] = found[i]!;
        expect(Math.abs(foundStart - start), `start of region ${i + 1}: found ${foundStart}, expected ~${start}`).toBeLessThanOrEqual(0.15);
        expect(Math.abs(foundEnd - end), `end of region ${i + 1}: found ${foundEnd}, expected ~${end}`).toBeLessThanOrEqual(endTolerance);
      });
    });
  }

  it('finds nothing in digital silence or low white noise', () => {
    expect(detect(new Int16Array(3 * RATE), model)).toEqual([]);
    let seed = 42;
    const noise = Int16Array.from({ length: 3 * RATE }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.round(((seed / 2 ** 31) * 2 - 1) * 0.05 * 32767);
    });
    expect(detect(noise, model)).toEqual([]);
  });
});
