import { PcmBufferSource } from '../audio/PcmBufferSource.js';
import { WavFileSink } from '../audio/WavFileSink.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { Turn } from './Turn.js';
import { VoicePipeline, type LoadTimes } from './VoicePipeline.js';

export interface FileConversationOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  /** 16 kHz mono speech. */
  samples: Int16Array;
  /** Pace the audio like a live microphone. */
  realtime?: boolean;
  /** Play replies in real time too, like a speaker (default: as `realtime`). */
  pacedPlayback?: boolean;
  /** Speak while the reply is generated (default) or only after it is complete (baseline). */
  streaming?: boolean;
  onTurn?: (turn: Turn) => void;
}

export interface FileConversation {
  turns: Turn[];
  sink: WavFileSink;
  loadMs: LoadTimes;
  /** When the audio started, on the monotonic clock; marks are reported relative to it. */
  startedAt: number;
}

const SAMPLE_RATE = 16000;
const PAUSE_BETWEEN_REPLIES_SECONDS = 0.4;

/**
 * Plays recorded speech into the pipeline as a microphone would and collects every turn.
 * As fast as possible unless `realtime`; fast mode waits for each turn to finish before feeding
 * more audio, so a turn's timings are not disturbed by the next utterance's processing.
 */
export async function runFileConversation(options: FileConversationOptions): Promise<FileConversation> {
  const { config, modelsDir, logger, samples, realtime = false, pacedPlayback = realtime, streaming = true } = options;
  let sink: WavFileSink | undefined;
  const pipeline = new VoicePipeline({
    config,
    modelsDir,
    logger,
    streaming,
    createSink: (rate) => (sink = new WavFileSink(rate, pacedPlayback)),
  });
  const turns: Turn[] = [];
  pipeline.on('turn', (turn) => {
    turns.push(turn);
    sink?.pause(PAUSE_BETWEEN_REPLIES_SECONDS);
    options.onTurn?.(turn);
  });
  try {
    const loadMs = await pipeline.start();
    // Trailing silence lets an utterance that runs to the end of the file reach its endpoint.
    const source = new PcmBufferSource(samples, { sampleRate: SAMPLE_RATE, realtime, trailingSilenceSeconds: config.vad.minSilenceSeconds + 0.3 });
    const startedAt = monotonicMs();
    for await (const frame of source) {
      const end = frame.sampleIndex + frame.samples.length;
      pipeline.feed(frame);
      if (!realtime) {
        await pipeline.whenConsumed(end);
        await pipeline.whenIdle();
      }
    }
    await pipeline.finish();
    return { turns, sink: sink!, loadMs, startedAt };
  } finally {
    await pipeline.stop();
  }
}
