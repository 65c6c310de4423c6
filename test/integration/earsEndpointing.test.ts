import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { HESITANT_CORPUS_DIR } from '../../src/bench/benchCorpus.js';
import { exampleSite } from '../../src/config/exampleSite.js';
import { configSchema, type KioskConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import type { EndOfTurnVerdict } from '../../src/turn/endpointing/EndOfTurnVerdict.js';
import type { HeardEvent } from '../../src/turn/ports.js';
import { EngineWorker } from '../../src/workers/EngineWorker.js';
import type { BrainEvent, BrainInit, BrainRequest, EarsEvent, EarsInit, EarsRequest } from '../../src/workers/protocol.js';
import { WorkerBrain } from '../../src/workers/WorkerBrain.js';
import { WorkerEars } from '../../src/workers/WorkerEars.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const FRAME = 320;
const started: EngineWorker<EarsInit, EarsRequest, EarsEvent>[] = [];
afterEach(async () => {
  for (const worker of started.splice(0)) await worker.stop();
});

/**
 * The real ears worker (Silero VAD, pocketsphinx) fed a corpus file frame by frame as fast as it
 * takes them, with a second of silence after: the events it reports, in order. Silence is counted
 * on the audio's own clock, and a pause's decision is waited for, so the decisions are those of a
 * live microphone.
 */
async function hear(file: string, endpointing: NonNullable<KioskConfigInput['turn']>['endpointing'], judge?: (text: string) => Promise<EndOfTurnVerdict | undefined>) {
  sharedFile('vad/silero_vad_v5.onnx');
  const config = configSchema.parse({ site: exampleSite(), turn: { endpointing } });
  const worker = new EngineWorker<EarsInit, EarsRequest, EarsEvent>({
    name: 'ears',
    init: { vad: config.vad, asr: config.asr, wake: config.turn.wake, endpointing: config.turn.endpointing, site: config.site, rules: config.dialog.rules, modelsDir: sharedModelsDir, logLevel: 'silent' },
    logger: createLogger('silent'),
  });
  started.push(worker);
  const ears = new WorkerEars(worker, createLogger('silent'), judge);
  await worker.start();
  ears.arm(true);
  const { samples } = await loadWavForPipeline(join(HESITANT_CORPUS_DIR, file));
  const audio = new Int16Array(samples.length + 16000);
  audio.set(samples);
  const events: HeardEvent[] = [];
  const collecting = (async () => {
    for await (const event of ears.events) events.push(event);
  })();
  let frames = 0;
  for (let i = 0; i < audio.length; i += FRAME) {
    const samplesOfFrame = audio.slice(i, i + FRAME);
    ears.feed({ samples: samplesOfFrame, sampleIndex: i }, performance.now(), true);
    // The ears hold this back while a pause waits for its words or verdict, as real time would.
    await ears.whenConsumed(i + samplesOfFrame.length);
    frames++;
  }
  await ears.endUtterance();
  ears.close();
  await collecting;
  return { events, frames };
}

describe('the ears judge the end of the turn at pauses (real Silero VAD and pocketsphinx)', () => {
  it('lexical: "what time do you … close on friday" (700 ms pause) is one utterance holding both halves', async () => {
    const { events } = await hear('what_time_close.wav', { backend: 'lexical' });
    const finals = events.filter((e) => e.type === 'final');
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toMatch(/what time do you .*friday/);
    expect(events.filter((e) => e.type === 'resume')).toHaveLength(1);
    const end = events.find((e) => e.type === 'speechEnd');
    expect(end).toMatchObject({ endpoint: { backend: 'lexical', verdict: 'complete', requiredSilenceMs: 220, resumedPauses: 1 } });
    // The first pause was judged unfinished: the words then were the first half.
    const pauses = events.filter((e) => e.type === 'pause');
    expect(pauses[0]).toMatchObject({ text: 'what time do you' });
  });

  it('fixed: the same file is two utterances, the first cut off after 0.4 s of silence', async () => {
    const { events } = await hear('what_time_close.wav', { backend: 'fixed' });
    const finals = events.filter((e) => e.type === 'final').map((e) => (e.type === 'final' ? e.text : ''));
    expect(finals).toEqual(['what time do you', expect.stringMatching(/friday/)]);
    expect(events.some((e) => e.type === 'pause' || e.type === 'resume')).toBe(false);
  });

  it('a complete question ends after the short silence, recognised before the endpoint', async () => {
    const { events } = await hear('opening_hours.wav', { backend: 'lexical' });
    const end = events.find((e) => e.type === 'speechEnd');
    const final = events.find((e) => e.type === 'final');
    expect(end).toMatchObject({ endpoint: { verdict: 'complete', requiredSilenceMs: 220 } });
    if (end?.type !== 'speechEnd' || end.endpoint === undefined || final?.type !== 'final') throw new Error('no end');
    expect(end.endpoint.silenceMs).toBeGreaterThanOrEqual(220);
    expect(end.endpoint.silenceMs).toBeLessThan(300);
    expect(final.text).toBe('what are your opening hours');
    // The words were recognised during the silence: nothing left to do at the endpoint.
    expect(final.asrComputeMs).toBeLessThan(20);
  });

  it('llm: the brain\'s model (stories260K) is asked once per pause, not per frame, and its verdict sets the silence', async () => {
    sharedFile('llm/stories260K.gguf');
    const config = configSchema.parse({ site: exampleSite(), llm: { threads: 1 }, turn: { endpointing: { backend: 'llm' } } });
    const brainWorker = new EngineWorker<BrainInit, BrainRequest, BrainEvent>({
      name: 'brain',
      init: { llm: config.llm, dialog: config.dialog, site: config.site, endpointing: config.turn.endpointing, storagePath: ':memory:', modelsDir: sharedModelsDir, logLevel: 'silent' },
      logger: createLogger('silent'),
    });
    const brain = new WorkerBrain(brainWorker);
    await brainWorker.start();
    try {
      const asked: string[] = [];
      const verdicts: (EndOfTurnVerdict | undefined)[] = [];
      const judge = async (text: string) => {
        asked.push(text);
        const verdict = await brain.endOfTurn(text);
        verdicts.push(verdict);
        return verdict;
      };
      const { events, frames } = await hear('what_time_close.wav', { backend: 'llm' }, judge);
      const pauses = events.filter((e) => e.type === 'pause');
      expect(asked).toEqual(pauses.map((p) => (p.type === 'pause' ? p.text : '')));
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.length).toBeLessThan(frames / 50);
      for (const verdict of verdicts) {
        expect(verdict?.probability).toBeGreaterThanOrEqual(0);
        expect(verdict?.probability).toBeLessThanOrEqual(1);
      }
      const end = events.find((e) => e.type === 'speechEnd');
      if (end?.type !== 'speechEnd') throw new Error('no end of speech');
      // A story model's probabilities say nothing of turns (all far below 0.1): "unfinished", the long silence.
      expect(end.endpoint).toMatchObject({ backend: 'llm', probability: verdicts.at(-1)!.probability });
    } finally {
      await brainWorker.stop();
    }
  });

  it('llm without an answer from the brain: the lexical verdict decides', async () => {
    const { events } = await hear('opening_hours.wav', { backend: 'llm' }, async () => undefined);
    expect(events.find((e) => e.type === 'speechEnd')).toMatchObject({ endpoint: { backend: 'llm', verdict: 'complete' } });
  });
});
