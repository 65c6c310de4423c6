import type { KioskConfig } from '../config/schema.js';
import { composeSystemPrompt } from '../dialog/composeSystemPrompt.js';
import { createAsrEngine } from '../engines/asr/createAsrEngine.js';
import { LlamaChatEngine } from '../engines/llm/LlamaChatEngine.js';
import { createTtsEngine } from '../engines/tts/createTtsEngine.js';
import type { Logger } from '../logging/createLogger.js';
import type { EngineSamples, EngineSpeed } from './BenchReport.js';

export interface EngineSpeedOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  /** 16 kHz mono utterances for the recogniser. */
  speech: Int16Array[];
  /** Sentences to synthesise (the bench's replies). */
  phrases: string[];
  /** Questions for the language model (the corpus' references). */
  prompts: string[];
}

const SAMPLE_RATE = 16000;
const CHUNK_SAMPLES = 320;
/** Enough items for a comparison to tell a change from noise (it wants 5 a side), without making the bench much longer. */
const MAX_LLM_PROMPTS = 6;
const MAX_TTS_PHRASES = 8;

const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : null);

/**
 * The engines' own speed, measured one engine at a time after the turns, on the same models and
 * settings, so that no engine shares the CPU with another while it is timed. The turns' latencies
 * say what a visitor waits for; these say which engine to make faster.
 */
export async function measureEngineSpeed(options: EngineSpeedOptions): Promise<{ speed: EngineSpeed; samples: EngineSamples }> {
  const asr = await asrRealTimeFactor(options);
  const tts = await ttsRealTimeFactor(options);
  const llm = await llmTokensPerSecond(options);
  return {
    speed: { asrRealTimeFactor: asr.overall, ttsRealTimeFactor: tts.overall, llmPromptTokensPerSecond: llm.prompt.overall, llmGenerationTokensPerSecond: llm.generation.overall },
    samples: { asrRealTimeFactor: asr.items, ttsRealTimeFactor: tts.items, llmPromptTokensPerSecond: llm.prompt.items, llmGenerationTokensPerSecond: llm.generation.items },
  };
}

/** A rate over all items (sum over sum, so long items weigh more) and each item's own rate. */
interface Rate {
  overall: number | null;
  items: number[];
}

/** Accumulates amount/time pairs into a Rate; `scale` turns the quotient into the unit reported. */
function rate(scale = 1) {
  let amount = 0;
  let time = 0;
  const items: number[] = [];
  return {
    add(itemAmount: number, itemTime: number) {
      amount += itemAmount;
      time += itemTime;
      const each = ratio(itemAmount * scale, itemTime);
      if (each !== null) items.push(each);
    },
    result: (): Rate => ({ overall: ratio(amount * scale, time), items }),
  };
}

/** Everything fed as fast as the recogniser takes it, to its final transcript: compute over audio time. */
async function asrRealTimeFactor({ config, modelsDir, logger, speech }: EngineSpeedOptions): Promise<Rate> {
  const asr = createAsrEngine(config.asr, modelsDir, logger);
  try {
    await asr.ready();
    const factor = rate();
    for (const samples of speech) {
      const started = performance.now();
      asr.startUtterance();
      for (let at = 0; at < samples.length; at += CHUNK_SAMPLES) asr.acceptSpeech(samples.subarray(at, at + CHUNK_SAMPLES));
      await asr.finishUtterance(samples);
      factor.add(performance.now() - started, (samples.length / SAMPLE_RATE) * 1000);
    }
    return factor.result();
  } finally {
    asr.dispose();
  }
}

async function ttsRealTimeFactor({ config, modelsDir, phrases }: EngineSpeedOptions): Promise<Rate> {
  const tts = await createTtsEngine(config.tts, modelsDir);
  try {
    const factor = rate();
    for (const phrase of phrases.slice(0, MAX_TTS_PHRASES)) {
      const started = performance.now();
      let audioSamples = 0;
      for await (const chunk of tts.speak(phrase, new AbortController().signal)) audioSamples += chunk.length;
      factor.add(performance.now() - started, (audioSamples / tts.sampleRate) * 1000);
    }
    return factor.result();
  } finally {
    await tts.dispose();
  }
}

/**
 * Prompt speed: tokens evaluated before the first text arrives, over that wait (it includes one
 * generated token, so it slightly understates prefill on short prompts). Generation speed: the
 * tokens after the first, over the time after the first text.
 */
async function llmTokensPerSecond({ config, modelsDir, prompts }: EngineSpeedOptions): Promise<{ prompt: Rate; generation: Rate }> {
  const llm = await LlamaChatEngine.load({ ...config.llm, systemPrompt: composeSystemPrompt(config.llm.systemPrompt, config.site) }, modelsDir);
  try {
    const prompt = rate(1000);
    const generation = rate(1000);
    for (const question of prompts.slice(0, MAX_LLM_PROMPTS)) {
      const inputBefore = llm.evaluatedInputTokens;
      const outputBefore = llm.generatedTokens;
      const started = performance.now();
      let firstAt: number | undefined;
      for await (const chunk of llm.reply(question, new AbortController().signal)) if (chunk) firstAt ??= performance.now();
      const endedAt = performance.now();
      if (firstAt === undefined) continue;
      prompt.add(llm.evaluatedInputTokens - inputBefore, firstAt - started);
      generation.add(Math.max(0, llm.generatedTokens - outputBefore - 1), endedAt - firstAt);
    }
    return { prompt: prompt.result(), generation: generation.result() };
  } finally {
    await llm.dispose();
  }
}
