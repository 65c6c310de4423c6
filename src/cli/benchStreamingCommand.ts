import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { loadWavForPipeline } from '../audio/toPipelineAudio.js';
import { runBench, type BenchResult, type ModeResult } from '../bench/runBench.js';
import { exampleSite } from '../config/exampleSite.js';
import { createLogger } from '../logging/createLogger.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface BenchStreamingCliOptions {
  input: string[];
  rounds: number;
  config?: string;
  models?: string;
  modelsDir?: string;
  json?: boolean;
}

const STAGE_LABELS: [string, string][] = [
  ['endOfSpeechToAsrFinal', 'end of speech → ASR final'],
  ['vadHangover', '  VAD hangover (silence to be sure)'],
  ['asrCompute', '  ASR compute'],
  ['asrFinalToLlmFirstToken', 'ASR final → first token (rule or LLM)'],
  ['llmComputeToFirstPhrase', '  LLM compute to first phrase'],
  ['llmFirstTokenToTtsFirstAudio', 'first token → TTS first audio'],
  ['ttsComputeFirstAudio', '  TTS compute to first audio'],
  ['asrFinalToFirstAudio', 'ASR final → first audio'],
  ['endOfSpeechToFirstAudio', 'end of speech → first audio'],
  ['glue', 'glue (not engine compute)'],
  ['ruleFinalToFirstPhrase', 'front-desk rules: final → first phrase'],
];

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1).padStart(9) : '        –');

function table(result: BenchResult): string {
  const lines = [`${'stage (ms)'.padEnd(40)} ${'streaming'.padStart(19)}   ${'whole reply'.padStart(19)}`, `${''.padEnd(40)} ${'p50'.padStart(9)} ${'p95'.padStart(9)}   ${'p50'.padStart(9)} ${'p95'.padStart(9)}`];
  for (const [key, label] of STAGE_LABELS) {
    const s = result.streaming.stages[key]!;
    const w = result.wholeReply.stages[key]!;
    lines.push(`${label.padEnd(40)} ${fmt(s.p50)} ${fmt(s.p95)}   ${fmt(w.p50)} ${fmt(w.p95)}`);
  }
  const paths = (m: ModeResult) => Object.entries(m.paths).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(
    '',
    `turns measured: streaming ${result.streaming.turns} (${paths(result.streaming)}), whole reply ${result.wholeReply.turns} (${paths(result.wholeReply)}); first turn of each dropped as warm-up`,
    `glue: ${(result.streaming.glueShare * 100).toFixed(2)} % of end of speech → first audio (target ≤ 10 %)`,
    `front-desk rules path, final transcript → first phrase handed to TTS: p50 ${result.streaming.stages.ruleFinalToFirstPhrase!.p50.toFixed(1)} ms, p95 ${result.streaming.stages.ruleFinalToFirstPhrase!.p95.toFixed(1)} ms (target ≤ 20 ms)`,
    `multi-sentence replies (streaming ${result.streaming.multiSentence.turns}, whole ${result.wholeReply.multiSentence.turns} turns), p50 ASR final → first audio: streaming ${result.streaming.multiSentence.p50.toFixed(1)} ms, whole reply ${result.wholeReply.multiSentence.p50.toFixed(1)} ms`,
    `streaming / whole reply for multi-sentence replies: ${result.replyRatio.toFixed(2)} (target ≤ 0.5)`,
    `streaming / whole reply, p50 end of speech → first audio: ${result.endToEndRatio.toFixed(2)} (includes VAD hangover and ASR, which streaming the reply cannot shorten)`,
  );
  return lines.join('\n');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return n;
}

export function registerBenchStreamingCommand(program: Command): void {
  const mirror = process.env.KIOSK_MODELS_MIRROR ?? '../shared/models';
  program
    .command('bench-streaming')
    .description('streaming vs whole-reply on real engines: what speaking while the reply is generated saves')
    .option('-i, --input <wav...>', 'speech to answer, played in order each round', [
      `${mirror}/audio/espeak_three_utterances.wav`,
      `${mirror}/audio/flite_rms_opening_hours.wav`,
    ])
    .option('-r, --rounds <n>', 'how many times the input is played (in real time: ~20 s a round per mode)', positiveInt, 3)
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-m, --models <set>', 'model set from models/manifest.json')
    .option('--models-dir <dir>', 'where the model files are')
    .option('--json', 'print the figures as JSON')
    .action(async (options: BenchStreamingCliOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      // Without a config file the front desk is the example clinic, as in the demo.
      const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel, defaults: { logLevel: 'warn', ...(options.config ? {} : { site: exampleSite() }) } });
      const logger = createLogger(config.logLevel);
      const parts = await Promise.all(options.input.map((path) => loadWavForPipeline(resolve(path))));
      const samples = new Int16Array(parts.reduce((n, p) => n + p.samples.length, 0));
      let offset = 0;
      for (const part of parts) (samples.set(part.samples, offset), (offset += part.samples.length));
      const result = await runBench({ config, modelsDir, logger, samples, rounds: options.rounds });
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${table(result)}\n`);
    });
}
