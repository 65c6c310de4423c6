import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { turnLatencies, type Turn } from '../turn/Turn.js';
import { runFileConversation } from '../app/runFileConversation.js';
import { TURN_STAGES } from '../telemetry/turnStages.js';
import { percentile } from './percentile.js';

export interface BenchOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  /** 16 kHz mono speech with one or more utterances, played `rounds` times in one session. */
  samples: Int16Array;
  rounds: number;
}

export interface StageStats {
  p50: number;
  p95: number;
}

export interface ModeResult {
  turns: number;
  paths: Record<string, number>;
  stages: Record<string, StageStats>;
  /** Glue as a share of end of speech → first audio, over all turns (sum of glue / sum of totals). */
  glueShare: number;
  /** ASR final → first audio over the turns whose reply has two sentences or more. */
  multiSentence: StageStats & { turns: number };
}

export interface BenchResult {
  rounds: number;
  /** Turns per mode after the warm-up turn is dropped. */
  streaming: ModeResult;
  /** Whole reply generated, then synthesised whole, then played. */
  wholeReply: ModeResult;
  /** p50 of ASR final → first audio for multi-sentence replies, streaming over whole-reply. */
  replyRatio: number;
  /** p50 of end of speech → first audio, streaming over whole-reply. */
  endToEndRatio: number;
}

const SILENCE_BETWEEN_ROUNDS_SECONDS = 1;

function repeat(samples: Int16Array, rounds: number): Int16Array {
  const gap = SILENCE_BETWEEN_ROUNDS_SECONDS * 16000;
  const out = new Int16Array(rounds * (samples.length + gap));
  for (let r = 0; r < rounds; r++) out.set(samples, r * (samples.length + gap));
  return out;
}

/** Two sentences or more: where speaking the first one early can save time. */
const isMultiSentence = (reply: string) => (reply.match(/[.!?]+(\s|$)/g) ?? []).length >= 2;

function summarise(turns: Turn[]): ModeResult {
  const rows = turns.map((turn) => ({ turn, l: turnLatencies(turn) }));
  const stat = (pick: (row: (typeof rows)[number]) => number | undefined): StageStats => {
    const values = rows.map((row) => pick(row) ?? Number.NaN);
    return { p50: percentile(values, 50), p95: percentile(values, 95) };
  };
  const paths: Record<string, number> = {};
  for (const { turn } of rows) paths[turn.path] = (paths[turn.path] ?? 0) + 1;
  const total = rows.reduce((n, { l }) => n + l.endOfSpeechToFirstAudio, 0);
  const glue = rows.reduce((n, { l }) => n + l.glue, 0);
  const span = (turn: Turn, from: keyof Turn['marks'], to: keyof Turn['marks']) => (turn.marks[to] ?? Number.NaN) - (turn.marks[from] ?? Number.NaN);
  return {
    turns: rows.length,
    paths,
    stages: Object.fromEntries(TURN_STAGES.map((stage) => [stage.name, stat(({ turn }) => stage.of(turn))])),
    glueShare: glue / total,
    multiSentence: {
      ...stat(({ turn }) => (isMultiSentence(turn.reply) ? span(turn, 'asrFinal', 'playbackStart') : undefined)),
      turns: rows.filter(({ turn }) => isMultiSentence(turn.reply)).length,
    },
  };
}

/**
 * Measures the voice turn on real engines: the same audio, paced like a live microphone, through
 * the streaming pipeline and through a whole-reply baseline, in one process, so their ratio is fair.
 * The first turn of each mode warms caches and is left out.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { config, modelsDir, logger, rounds } = options;
  const samples = repeat(options.samples, rounds);
  const modes: Record<'streaming' | 'wholeReply', ModeResult> = {} as never;
  for (const mode of ['streaming', 'wholeReply'] as const) {
    logger.info({ mode }, 'bench: running');
    // Audio at the live rate, as a recogniser that runs beside us needs it; replies are not played
    // out in real time, so a long answer does not hold the next question in a queue.
    const { turns } = await runFileConversation({ config, modelsDir, storagePath: ':memory:', logger, samples, realtime: true, pacedPlayback: false, streaming: mode === 'streaming' });
    modes[mode] = summarise(turns.slice(1));
  }
  return {
    rounds,
    streaming: modes.streaming,
    wholeReply: modes.wholeReply,
    replyRatio: modes.streaming.multiSentence.p50 / modes.wholeReply.multiSentence.p50,
    endToEndRatio: modes.streaming.stages.endOfSpeechToFirstAudio!.p50 / modes.wholeReply.stages.endOfSpeechToFirstAudio!.p50,
  };
}
