import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { EndOfTurnProbe } from '../../src/engines/llm/EndOfTurnProbe.js';
import { LlamaChatEngine } from '../../src/engines/llm/LlamaChatEngine.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

// temperature defaults to 0: replies are greedy, so two engines must write the same words.
const config = configSchema.parse({ llm: { threads: 1, contextSize: 2048, maxTokens: 16 } }).llm;

const complete = ['What time do you open on Thursday?', 'Where are the lifts?', 'I would like to book an appointment.'];
const unfinished = ['Could you check if there is a slot on', 'I would like to book an', 'Where is the'];

/** One reply, drained; what it cost in prompt tokens and what it said. */
async function reply(engine: LlamaChatEngine, text: string): Promise<{ cost: number; text: string }> {
  const before = engine.evaluatedInputTokens;
  let said = '';
  for await (const chunk of engine.reply(text, new AbortController().signal)) said += chunk;
  return { cost: engine.evaluatedInputTokens - before, text: said };
}

function probeOf(engine: LlamaChatEngine): EndOfTurnProbe {
  const probe = engine.endOfTurnProbe;
  if (!probe) throw new Error('the engine was loaded with endOfTurnProbe but has no probe');
  return probe;
}

/**
 * stories260K has no chat template and was trained on children's stories, so its probabilities
 * mean nothing about turns; these tests check the mechanics (computed, cached, prefix reuse, the
 * chat untouched), not the judgement.
 */
describe('EndOfTurnProbe (real node-llama-cpp, stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  let engine: LlamaChatEngine;
  let probe: EndOfTurnProbe;
  beforeAll(async () => {
    engine = await LlamaChatEngine.load(config, sharedModelsDir, { endOfTurnProbe: true });
    probe = probeOf(engine);
  });
  afterAll(async () => engine?.dispose());

  it('evaluates the system prompt at load: the first question costs only its own words', async () => {
    const held = probe.contextTokens;
    expect(held).toBeGreaterThan(20);
    const first = await probe.probability('Hello there.');
    expect(first.cached).toBe(false);
    expect(first.evaluatedTokens).toBeGreaterThan(0);
    expect(first.evaluatedTokens).toBeLessThan(held / 2);
    expect(probe.contextTokens).toBe(held + first.evaluatedTokens);
  });

  it('gives a finite probability in [0, 1] that depends on the words', async () => {
    const values: number[] = [];
    for (const text of [...complete, ...unfinished]) {
      const { probability } = await probe.probability(text);
      expect(Number.isFinite(probability)).toBe(true);
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
      values.push(probability);
    }
    expect(new Set(values).size).toBe(values.length);
  });

  it('answers the same words again from its cache, with no evaluation', async () => {
    const first = await probe.probability('Is the pharmacy open today?');
    const again = await probe.probability('Is the pharmacy open today?');
    expect(first.cached).toBe(false);
    expect(again).toEqual({ probability: first.probability, evaluatedTokens: 0, cached: true });
  });

  it('evaluates only the new tokens when the words grow', async () => {
    await probe.probability('Could you check if there is a slot on');
    const heldBefore = probe.contextTokens;
    const longer = await probe.probability('Could you check if there is a slot on Thursday morning');
    const added = probe.contextTokens - heldBefore;
    expect(added).toBeGreaterThan(0);
    // The new words, and at most the one token before them whose logits were needed again.
    expect(longer.evaluatedTokens).toBeLessThanOrEqual(added + 1);
    expect(longer.evaluatedTokens).toBeLessThan(heldBefore);
  });

  it('keeps the common prefix when the words change, and re-reads words it has just left', async () => {
    await probe.probability('Where can I find the lifts');
    const held = probe.contextTokens;
    const other = await probe.probability('Where can I park');
    expect(other.cached).toBe(false);
    expect(other.evaluatedTokens).toBeLessThan(held / 2);
    // The previous words are no longer the cached ones: they are evaluated again (only their tail).
    const back = await probe.probability('Where can I find the lifts');
    expect(back.cached).toBe(false);
    expect(back.evaluatedTokens).toBeGreaterThan(0);
    expect(back.evaluatedTokens).toBeLessThan(held / 2);
  });

  it('reads the words after the given history, and caches that conversation too', async () => {
    const text = 'And on Friday?';
    const alone = await probe.probability(text);
    const history = [{ visitor: 'When do you open on Thursday?', reply: 'We open at nine on Thursday.' }];
    const after = await probe.probability(text, history);
    expect(after.cached).toBe(false);
    expect(Number.isFinite(after.probability)).toBe(true);
    expect(after.probability).not.toBe(alone.probability);
    expect(await probe.probability(text, history)).toEqual({ probability: after.probability, evaluatedTokens: 0, cached: true });
  });

  it('gives the same probability for the same words whatever was asked in between', async () => {
    const first = await probe.probability('Can I leave a parcel here?');
    await probe.probability('Something else entirely, about the weather');
    const again = await probe.probability('Can I leave a parcel here?');
    expect(again.cached).toBe(false);
    expect(again.probability).toBeCloseTo(first.probability, 6);
  });

  it('runs overlapping calls one after another, each with its own answer', async () => {
    const [a, b, c] = await Promise.all([probe.probability('Where is the'), probe.probability('Where is the exit?'), probe.probability('Where is the')]);
    expect(a?.cached).toBe(false);
    expect(b?.cached).toBe(false);
    expect(c?.cached).toBe(false);
    expect(c?.probability).toBeCloseTo(a?.probability ?? Number.NaN, 6);
    expect(b?.probability).not.toBe(a?.probability);
  });
});

describe('LlamaChatEngine with and without the probe (real node-llama-cpp, stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  let plain: LlamaChatEngine;
  let probed: LlamaChatEngine;
  beforeAll(async () => {
    plain = await LlamaChatEngine.load(config, sharedModelsDir);
    probed = await LlamaChatEngine.load(config, sharedModelsDir, { endOfTurnProbe: true });
  });
  afterAll(async () => {
    await plain?.dispose();
    await probed?.dispose();
  });

  it('has no probe and one sequence of contextSize tokens without the option', () => {
    expect(plain.endOfTurnProbe).toBeUndefined();
    expect(plain.contextLayout).toEqual({ tokensPerSequence: config.contextSize, sequences: 1 });
  });

  it('keeps contextSize tokens for the chat with the option, the probe on a second sequence', () => {
    expect(probed.endOfTurnProbe).toBeDefined();
    expect(probed.contextLayout).toEqual({ tokensPerSequence: config.contextSize, sequences: 2 });
  });

  it('leaves the chat session untouched: the same replies at the same prompt cost', async () => {
    expect(probed.evaluatedInputTokens).toBe(plain.evaluatedInputTokens);
    const probe = probeOf(probed);

    const plainFirst = await reply(plain, 'Where can I find the lifts?');
    const probedFirst = await reply(probed, 'Where can I find the lifts?');
    for (const text of [...unfinished, 'Is there a slot on Thursday morning?']) await probe.probability(text, [{ visitor: 'Where can I find the lifts?', reply: probedFirst.text }]);
    const plainSecond = await reply(plain, 'Is there a slot on Thursday morning?');
    const probedSecond = await reply(probed, 'Is there a slot on Thursday morning?');

    expect(probedFirst).toEqual(plainFirst);
    expect(probedSecond).toEqual(plainSecond);
    // Re-evaluating the earlier exchange would cost more than the question itself.
    expect(probedSecond.cost).toBeLessThan(probed.contextTokens / 2);
    expect(probed.contextTokens).toBe(plain.contextTokens);
    expect(probed.modelReplies()).toEqual(plain.modelReplies());
  });

  it('frees the probe with the engine', async () => {
    const engine = await LlamaChatEngine.load(config, sharedModelsDir, { endOfTurnProbe: true });
    const probe = probeOf(engine);
    await probe.probability('Hello there.');
    await engine.dispose();
    await expect(probe.probability('Hello again.')).rejects.toThrow();
  });
});
