import type { KioskConfig } from '../config/schema.js';
import { composeSystemPrompt } from '../dialog/composeSystemPrompt.js';
import { createAsrEngine } from '../engines/asr/createAsrEngine.js';
import { LlamaChatEngine } from '../engines/llm/LlamaChatEngine.js';
import { createTtsEngine } from '../engines/tts/createTtsEngine.js';
import type { Logger } from '../logging/createLogger.js';
import type { EngineSpeed } from './BenchReport.js';

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
/** Enough for a steady rate without making the bench much longer. */
const MAX_LLM_PROMPTS = 3;
const MAX_TTS_PHRASES = 6;

const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : null);

/**
 * The engines' own speed, measured one engine at a time after the turns, on the same models and
 * settings, so that no engine shares the CPU with another while it is timed. The turns' latencies
 * say what a visitor waits for; these say which engine to make faster.
 */
export async function measureEngineSpeed(options: EngineSpeedOptions): Promise<EngineSpeed> {
  const asr = await asrRealTimeFactor(options);
  const tts = await ttsRealTimeFactor(options);
  const llm = await llmTokensPerSecond(options);
  return { asrRealTimeFactor: asr, ttsRealTimeFactor: tts, ...llm };
}

/** Everything fed as fast as the recogniser takes it, to its final transcript: compute over audio time. */
async function asrRealTimeFactor({ config, modelsDir, logger, speech }: EngineSpeedOptions): Promise<number | null> {
  const asr = createAsrEngine(config.asr, modelsDir, logger);
  try {
    await asr.ready();
    let computeMs = 0;
    let audioSamples = 0;
    for (const samples of speech) {
      const started = performance.now();
      asr.startUtterance();
      for (let at = 0; at < samples.length; at += CHUNK_SAMPLES) asr.acceptSpeech(samples.subarray(at, at + CHUNK_SAMPLES));
      await asr.finishUtterance(samples);
      computeMs += performance.now() - started;
      audioSamples += samples.length;
    }
    return ratio(computeMs, (audioSamples / SAMPLE_RATE) * 1000);
  } finally {
    asr.dispose();
  }
}

async function ttsRealTimeFactor({ config, modelsDir, phrases }: EngineSpeedOptions): Promise<number | null> {
  const tts = await createTtsEngine(config.tts, modelsDir);
  try {
    let computeMs = 0;
    let audioSamples = 0;
    for (const phrase of phrases.slice(0, MAX_TTS_PHRASES)) {
      const started = performance.now();
      for await (const chunk of tts.speak(phrase, new AbortController().signal)) audioSamples += chunk.length;
      computeMs += performance.now() - started;
    }
    return ratio(computeMs, (audioSamples / tts.sampleRate) * 1000);
  } finally {
    await tts.dispose();
  }
}

/**
 * Prompt speed: tokens evaluated before the first text arrives, over that wait (it includes one
 * generated token, so it slightly understates prefill on short prompts). Generation speed: the
 * tokens after the first, over the time after the first text.
 */
async function llmTokensPerSecond({ config, modelsDir, prompts }: EngineSpeedOptions): Promise<Pick<EngineSpeed, 'llmPromptTokensPerSecond' | 'llmGenerationTokensPerSecond'>> {
  const llm = await LlamaChatEngine.load({ ...config.llm, systemPrompt: composeSystemPrompt(config.llm.systemPrompt, config.site) }, modelsDir);
  try {
    let promptTokens = 0;
    let promptMs = 0;
    let generated = 0;
    let generationMs = 0;
    for (const prompt of prompts.slice(0, MAX_LLM_PROMPTS)) {
      const inputBefore = llm.evaluatedInputTokens;
      const outputBefore = llm.generatedTokens;
      const started = performance.now();
      let firstAt: number | undefined;
      for await (const chunk of llm.reply(prompt, new AbortController().signal)) if (chunk) firstAt ??= performance.now();
      const endedAt = performance.now();
      if (firstAt === undefined) continue;
      promptTokens += llm.evaluatedInputTokens - inputBefore;
      promptMs += firstAt - started;
      generated += Math.max(0, llm.generatedTokens - outputBefore - 1);
      generationMs += endedAt - firstAt;
    }
    return {
      llmPromptTokensPerSecond: ratio(promptTokens * 1000, promptMs),
      llmGenerationTokensPerSecond: ratio(generated * 1000, generationMs),
    };
  } finally {
    await llm.dispose();
  }
}
