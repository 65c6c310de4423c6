import { PcmBufferSource } from '../audio/PcmBufferSource.js';
import { WavFileSink } from '../audio/WavFileSink.js';
import type { KioskConfig } from '../config/schema.js';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { FixedPrompts } from '../turn/FixedPrompts.js';
import { PlaybackLedger } from '../turn/PlaybackLedger.js';
import type { Turn } from '../turn/Turn.js';
import { TurnController } from '../turn/TurnController.js';
import { Engines, type LoadTimes } from '../workers/Engines.js';
import { fixedPromptTexts } from './fixedPromptTexts.js';

export interface FileConversationOptions {
  config: KioskConfig;
  modelsDir: string;
  /** The front desk's database file (absolute) or `:memory:`. */
  storagePath: string;
  logger: Logger;
  /** 16 kHz mono speech. */
  samples: Int16Array;
  /** Pace the audio like a live microphone. Defaults to false. */
  realtime?: boolean;
  /** Play replies in real time too, like a speaker. Defaults to `realtime`. */
  pacedPlayback?: boolean;
  /** Speak while the reply is generated (default) or only after it is complete (baseline). */
  streaming?: boolean;
  onTurn?: (turn: Turn) => void;
}

export interface FileConversation {
  turns: Turn[];
  /** The business events the dialog raised (bookings, handoffs…), in order, with their turn. */
  frontDesk: { turnId: number; event: FrontDeskEvent }[];
  sink: WavFileSink;
  loadMs: LoadTimes;
  /** When the audio started, on the monotonic clock; marks are reported relative to it. */
  startedAt: number;
  /**
   * Where a sample the ears heard (their sample index, as in `Turn.speechSamples`) lies in
   * `samples`. They differ in real time: while the kiosk thinks or speaks the visitor waits and
   * the mic hears silence that is not in the file.
   */
  toFilePosition(heardSample: number): number;
}

const SAMPLE_RATE = 16000;
const PAUSE_BETWEEN_REPLIES_SECONDS = 0.4;

/**
 * Plays recorded speech into the turn controller as a microphone would, in open-mic mode (every
 * utterance is a turn), and collects every turn. As fast as possible unless `realtime`; fast mode
 * waits for each turn to finish before feeding more audio, so a turn's timings are not disturbed
 * by the next utterance's processing.
 */
export async function runFileConversation(options: FileConversationOptions): Promise<FileConversation> {
  const { config, modelsDir, storagePath, logger, samples, realtime = false, pacedPlayback = realtime, streaming = true } = options;
  const engines = new Engines({ config, modelsDir, storagePath, logger });
  const frontDesk: FileConversation['frontDesk'] = [];
  engines.brain.on('frontDesk', (raised) => frontDesk.push(raised));
  let controller: TurnController | undefined;
  try {
    const loadMs = await engines.start();
    const sink = new WavFileSink(engines.mouth.sampleRate, pacedPlayback);
    const prompts = await FixedPrompts.synthesize(engines.mouth, fixedPromptTexts(config));
    // The file has no button: open mic, no chimes, and the echo tail means nothing to a file.
    const fileConfig = { ...config, turn: { ...config.turn, echoTailMs: 0 }, audio: { ...config.audio, fullDuplex: true } };
    controller = new TurnController({
      config: fileConfig,
      triggerMode: 'open-mic',
      ears: engines.ears,
      brain: engines.brain,
      mouth: engines.mouth,
      speaker: new PlaybackLedger(sink),
      prompts,
      earcons: { listening: undefined, error: undefined },
      logger,
      streaming,
    });
    const turns: Turn[] = [];
    controller.on('turn', (turn) => {
      turns.push(turn);
      sink.pause(PAUSE_BETWEEN_REPLIES_SECONDS);
      options.onTurn?.(turn);
    });
    controller.start();
    // Trailing silence lets an utterance that runs to the end of the file reach its endpoint.
    const { endpointing } = config.turn;
    const longestSilence = endpointing.backend === 'fixed' ? config.vad.minSilenceSeconds : endpointing.maxSilenceMs / 1000;
    const trailing = Math.round((longestSilence + 0.3) * SAMPLE_RATE);
    const startedAt = monotonicMs();
    let toFilePosition = (heardSample: number) => heardSample;
    if (realtime) toFilePosition = await feedLikeAVisitor(samples, trailing, engines, controller);
    else {
      const source = new PcmBufferSource(samples, { sampleRate: SAMPLE_RATE, trailingSilenceSeconds: trailing / SAMPLE_RATE });
      for await (const frame of source) {
        engines.ears.feed(frame, monotonicMs(), true);
        await engines.ears.whenConsumed(frame.sampleIndex + frame.samples.length);
        await controller.whenSettled();
      }
    }
    await engines.ears.endUtterance();
    await controller.whenSettled();
    return { turns, frontDesk, sink, loadMs, startedAt, toFilePosition };
  } finally {
    await controller?.stop();
    await engines.stop();
  }
}

const FRAME_SAMPLES = 320;
/** However long the kiosk stays busy, the file ends this long after its audio did. */
const MAX_WAIT_AFTER_AUDIO_SECONDS = 120;

/**
 * Feeds the file at the audio rate, as a visitor would speak it: while the kiosk thinks or speaks
 * (the file is then in a pause between questions) the visitor waits, and the mic hears silence
 * until the kiosk is ready again. Frames are paced against the start time so timer jitter does
 * not add up. Resolves to the map from a heard sample to its place in the file.
 */
async function feedLikeAVisitor(samples: Int16Array, trailing: number, engines: Engines, controller: TurnController): Promise<(heardSample: number) => number> {
  const total = samples.length + trailing;
  const slots = total + MAX_WAIT_AFTER_AUDIO_SECONDS * SAMPLE_RATE;
  const started = performance.now();
  let cursor = 0;
  // Where the file resumed after each wait: heard sample → file position, in order.
  const resumes: { heard: number; file: number }[] = [{ heard: 0, file: 0 }];
  let waiting = false;
  for (let index = 0; index < slots; index += FRAME_SAMPLES) {
    const due = started + ((index + FRAME_SAMPLES) * 1000) / SAMPLE_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const busy = controller.state === 'thinking' || controller.state === 'speaking' || controller.state === 'error';
    if (cursor >= total && !busy) break;
    const frame = new Int16Array(FRAME_SAMPLES);
    if (waiting && !busy) resumes.push({ heard: index, file: cursor });
    waiting = busy;
    if (!busy && cursor < total) {
      if (cursor < samples.length) frame.set(samples.subarray(cursor, Math.min(cursor + FRAME_SAMPLES, samples.length)));
      cursor += FRAME_SAMPLES;
    }
    engines.ears.feed({ samples: frame, sampleIndex: index }, monotonicMs());
  }
  return (heardSample) => {
    const resume = resumes.findLast((r) => r.heard <= heardSample) ?? resumes[0]!;
    return resume.file + (heardSample - resume.heard);
  };
}
