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
