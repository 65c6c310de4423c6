import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { LlamaChatEngine } from '../../src/engines/llm/LlamaChatEngine.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const config = configSchema.parse({ llm: { threads: 1, contextSize: 2048, maxTokens: 16 } }).llm;

async function replyCost(engine: LlamaChatEngine, text: string): Promise<number> {
  const before = engine.evaluatedInputTokens;
  for await (const _chunk of engine.reply(text, new AbortController().signal));
  return engine.evaluatedInputTokens - before;
}

/** Prefill work is counted in prompt tokens evaluated, which does not depend on machine speed. */
describe('LlamaChatEngine prefix reuse (real node-llama-cpp, stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  let engine: LlamaChatEngine;
  beforeAll(async () => {
    engine = await LlamaChatEngine.load(config, sharedModelsDir);
  });
  afterAll(async () => engine?.dispose());

  it('evaluates the system prompt at load, not on the first question', async () => {
    const atLoad = engine.evaluatedInputTokens;
    expect(atLoad).toBeGreaterThan(20);
    const firstQuestion = await replyCost(engine, 'Hello there.');
    expect(firstQuestion).toBeLessThan(atLoad / 2);
  });

  it('keeps earlier turns evaluated: the next question costs only its own tokens', async () => {
    const heldBefore = engine.contextTokens;
    const cost = await replyCost(engine, 'Where can I find the lifts in this building?');
    // Re-evaluating the system prompt and the first exchange would cost more than they hold.
    expect(heldBefore).toBeGreaterThan(60);
    expect(cost).toBeLessThan(heldBefore);
    expect(engine.contextTokens).toBeGreaterThan(heldBefore + cost / 2);
  });

  it('preloading a partial transcript leaves only the last words for the final one', async () => {
    const final = 'Could you please tell me where the nearest pharmacy is around here today?';
    engine.newConversation();
    await replyCost(engine, 'Warm up.');
    const withoutPreload = await replyCost(engine, final);

    engine.newConversation();
    await replyCost(engine, 'Warm up.');
    const before = engine.evaluatedInputTokens;
    await engine.preload('Could you please tell me where the nearest pharmacy');
    const preloadCost = engine.evaluatedInputTokens - before;
    const withPreload = await replyCost(engine, final);

    expect(preloadCost).toBeGreaterThan(0);
    expect(withPreload).toBeLessThan(withoutPreload);
    expect(withPreload).toBeLessThanOrEqual(withoutPreload - 8);
  });
});

/**
 * A speculative reply thrown away (the visitor went on speaking) must leave the conversation as if
 * it had never been asked: the same history, the same context, the same next reply, and a next
 * question that still costs only its own tokens past the kept exchanges.
 */
describe('LlamaChatEngine: a speculation thrown away (real node-llama-cpp, stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  const greedy = { ...config, temperature: 0 };
  let speculating: LlamaChatEngine;
  let plain: LlamaChatEngine;
  beforeAll(async () => {
    speculating = await LlamaChatEngine.load(greedy, sharedModelsDir);
    plain = await LlamaChatEngine.load(greedy, sharedModelsDir);
  });
  afterAll(async () => {
    await speculating?.dispose();
    await plain?.dispose();
  });

  it('restoreConversation puts the history back, and the next reply and its cost match an engine that never speculated', async () => {
    await replyCost(speculating, 'Hello there.');
    await replyCost(plain, 'Hello there.');
    const saved = speculating.saveConversation();
    const heldBefore = speculating.contextTokens;
    const specCost = await replyCost(speculating, 'Is there a slot on');
    expect(specCost).toBeGreaterThan(0);
    expect(speculating.modelReplies()).toHaveLength(2);
    speculating.restoreConversation(saved);
    expect(speculating.saveConversation()).toEqual(plain.saveConversation());

    const final = 'Is there a slot on Thursday morning?';
    const costAfterRestore = await replyCost(speculating, final);
    const costPlain = await replyCost(plain, final);
    expect(speculating.modelReplies()).toEqual(plain.modelReplies());
    expect(speculating.saveConversation()).toEqual(plain.saveConversation());
    expect(speculating.contextTokens).toBe(plain.contextTokens);
    // The kept exchanges stayed evaluated: only the tokens from where the speculation diverged are
    // evaluated again, never the system prompt and the first exchange.
    expect(costAfterRestore).toBeLessThan(heldBefore);
    expect(costAfterRestore).toBeLessThanOrEqual(costPlain + 2);
  });
});
