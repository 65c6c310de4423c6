import sherpa from 'sherpa-onnx-node';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { int16ToFloat } from '../../audio/pcm.js';
import { checkSileroVadModel } from './vadModelFile.js';

export type VadEvent =
  /** The VAD became sure someone is speaking. `sampleIndex` is where that speech began. */
  | { type: 'speechStart'; sampleIndex: number }
  /** An utterance ended after enough silence. Indices are [start, end) of the voiced audio. */
  | { type: 'speechEnd'; startSampleIndex: number; endSampleIndex: number };

export { VadModelFileError } from './vadModelFile.js';

/** The VAD model file passed our checks but sherpa-onnx could not load it. */
export class VadModelLoadError extends KioskVoiceError {}

const SAMPLE_RATE = 16000;
// Silero v5/v6 take 512-sample windows at 16 kHz.
const WINDOW_SIZE = 512;

/**
 * Silero voice activity detection through sherpa-onnx. Feeds 16 kHz audio and reports where
 * utterances start and end on the stream's sample clock. Synchronous: run it in a worker.
 */
export class SileroVad {
  private readonly vad: InstanceType<typeof sherpa.Vad>;
  private readonly minSpeechSamples: number;
  /** Stream index of the first sample the native VAD has seen since the last reset. */
  private origin = 0;
  private fed = 0;
  private inSpeech = false;

  constructor(config: KioskConfig['vad'], modelsDir: string) {
    // Checked first: sherpa aborts the process on a file that is not ONNX, and a directory or another
    // model gives a VAD that never hears anything (see vadModelFile.ts).
    const model = checkSileroVadModel(modelsDir, config.model);
    try {
      this.vad = new sherpa.Vad(
        {
          sileroVad: {
            model,
            threshold: config.threshold,
            minSpeechDuration: config.minSpeechSeconds,
            minSilenceDuration: config.minSilenceSeconds,
            maxSpeechDuration: config.maxSpeechSeconds,
            windowSize: WINDOW_SIZE,
          },
          sampleRate: SAMPLE_RATE,
          numThreads: config.threads,
          debug: false,
        },
        // Native buffer for finished segments; must hold the longest utterance plus slack.
        config.maxSpeechSeconds + 5,
      );
    } catch (error) {
      throw new VadModelLoadError(
        `could not load the Silero VAD model at ${model}: ${(error as Error).message}`,
        'use silero_vad v5 or v6 (`kiosk-voice models fetch`)',
      );
    }
    this.minSpeechSamples = Math.round(config.minSpeechSeconds * SAMPLE_RATE);
  }

  /** Index, on the stream clock, of the next sample `accept` expects. */
  get position(): number {
    return this.origin + this.fed;
  }

  /** Feeds the next samples of the stream, any length; returns what changed, in order. */
  accept(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    // sherpa-onnx loses segments when one call carries many windows: feed a window at a time.
    for (let i = 0; i < samples.length; i += WINDOW_SIZE) {
      const part = samples.subarray(i, Math.min(i + WINDOW_SIZE, samples.length));
      this.vad.acceptWaveform(int16ToFloat(part));
      this.fed += part.length;
      events.push(...this.collect());
    }
    return events;
  }

  /** End of input: closes an utterance in progress as if silence followed. */
  flush(): VadEvent[] {
    this.vad.flush();
    const events = this.collect();
    this.inSpeech = false;
    return events;
  }

  /** Forgets all state; the next sample accepted is stream index `nextSampleIndex`. */
  reset(nextSampleIndex: number): void {
    this.vad.reset();
    this.origin = nextSampleIndex;
    this.fed = 0;
    this.inSpeech = false;
  }

  private collect(): VadEvent[] {
    const events: VadEvent[] = [];
    while (!this.vad.isEmpty()) {
      const segment = this.vad.front(false);
      const start = this.origin + segment.start;
      const end = start + segment.samples.length;
      this.vad.pop();
      // A segment can finish before the detector noticed speech (very short input or flush).
      if (!this.inSpeech) events.push({ type: 'speechStart', sampleIndex: start });
      events.push({ type: 'speechEnd', startSampleIndex: start, endSampleIndex: end });
      this.inSpeech = false;
    }
    if (!this.inSpeech && this.vad.isDetected()) {
      this.inSpeech = true;
      // The detector fires after minSpeech of voiced audio; the speech began about that long ago.
      const approxStart = Math.max(this.origin, this.position - this.minSpeechSamples - WINDOW_SIZE);
      events.push({ type: 'speechStart', sampleIndex: approxStart });
    }
    return events;
  }
}
