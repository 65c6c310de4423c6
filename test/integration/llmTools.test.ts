import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { FrontDesk } from '../../src/dialog/FrontDesk.js';
import type { FrontDeskEvent } from '../../src/dialog/FrontDeskEvent.js';
import { chatSessionFunctions } from '../../src/dialog/tools/chatSessionFunctions.js';
import { FrontDeskTools } from '../../src/dialog/tools/frontDeskTools.js';
import { ToolCaller } from '../../src/dialog/tools/ToolCaller.js';
import { LlamaChatEngine, LlmToolCallError } from '../../src/engines/llm/LlamaChatEngine.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

const config = configSchema.parse({ llm: { threads: 1, contextSize: 2048, maxTokens: 24 } }).llm;
const site = exampleSite();
/** Monday 7 December 2026, 09:30 at the clinic: open, staff on duty. */
const NOW = DateTime.fromISO('2026-12-07T09:30', { zone: site.timezone });

/**
 * The tool mechanics on a real model. stories260K is a 260K-parameter story model: it cannot
 * understand a request, so what it writes inside the grammar is nonsense — but the grammar makes
 * it nonsense of the right shape, which is exactly what these tests are about.
 */
describe('LLM tools on a real model (node-llama-cpp, stories260K)', () => {
  sharedFile('llm/stories260K.gguf');
  let engine: LlamaChatEngine;
  let db: FrontDeskDatabase;
  let desk: FrontDesk;
  const tools = new FrontDeskTools(site);

  beforeAll(async () => {
    engine = await LlamaChatEngine.load(config, sharedModelsDir);
  });
  afterAll(async () => engine?.dispose());
  beforeEach(() => {
    db?.close();
    db = FrontDeskDatabase.open(':memory:');
    desk = new FrontDesk({ site, db, now: () => NOW });
    engine.newConversation();
  });

  it('a grammar-constrained call writes a valid take_message invocation, which is executed and its result returned to speak', async () => {
    const caller = new ToolCaller({ tools, frontDesk: desk, model: engine, only: ['take_message'] });
    const text = 'Please tell the nurse that I will be ten minutes late.';
    const outcome = await caller.call(text, new AbortController().signal);
    expect(outcome.status).toBe('done');
    if (outcome.status !== 'done') return;
    expect(outcome.invocation.tool).toBe('take_message');
    const args = outcome.invocation.arguments as { text: string; name: string | null; contact: string | null };
    // Stored exactly as the model wrote it, nothing added.
    const messages = db.messages.list();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ text: args.text.trim(), visitorName: args.name?.trim() ?? null, contact: args.contact?.trim() ?? null });
    expect(outcome.result.say).toBe("I've taken your message for the reception team.");
    expect(outcome.result.events).toEqual([{ type: 'message', id: messages[0]!.id }]);
    // The conversation holds what the visitor was told, not the JSON.
    expect(engine.modelReplies()).toEqual(["I've taken your message for the reception team."]);
  });

  it('with several tools the grammar still forces one of them and schema-valid arguments, whose effect lands in the database', async () => {
    const caller = new ToolCaller({ tools, frontDesk: desk, model: engine, only: ['lookup_faq', 'take_message', 'request_human'] });
    const outcome = await caller.call('Where can I park my car?', new AbortController().signal);
    expect(outcome.status).toBe('done');
    if (outcome.status !== 'done') return;
    expect(['lookup_faq', 'take_message', 'request_human']).toContain(outcome.invocation.tool);
    // Whichever tool the model picked left its own trace, and only that one.
    const rows = { take_message: db.messages.list().length, request_human: db.handoffs.list().length };
    expect(rows).toEqual({ take_message: outcome.invocation.tool === 'take_message' ? 1 : 0, request_human: outcome.invocation.tool === 'request_human' ? 1 : 0 });
    if (outcome.invocation.tool === 'lookup_faq') {
      const found = (outcome.result.data as { found: boolean }).found;
      expect(db.gaps.list()).toHaveLength(found ? 0 : 1);
      // An unanswered question is logged in the visitor's words, not the model's.
      if (!found) expect(db.gaps.list()[0]!.question).toBe('Where can I park my car?');
    }
    expect(outcome.result.say.length).toBeGreaterThan(10);
    expect(outcome.result.error).toBeUndefined();
  });

  it('an invalid invocation is refused by validation with a clear error, and nothing is executed', () => {
    const caller = new ToolCaller({ tools, frontDesk: desk, model: engine });
    expect(caller.execute({ tool: 'take_message', arguments: { text: 'hi', name: null, contact: null, forward_to: 'everyone' } })).toEqual({
      status: 'refused',
      error: 'invalid parameters: arguments: Unrecognized key: "forward_to"',
      invocation: expect.anything(),
    });
    expect(caller.execute({ tool: 'book_appointment', arguments: { service: 'consultation', start: 'tomorrow at ten', name: null, contact: null } })).toMatchObject({
      status: 'refused',
      error: 'invalid parameters: start: expected a local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-09T10:00',
    });
    expect(caller.execute({ tool: 'list_bookings', arguments: {} })).toMatchObject({ status: 'refused', error: expect.stringMatching(/^unknown tool "list_bookings"/) });
    expect(caller.execute('{"tool": "take_message"}')).toMatchObject({ status: 'refused', error: expect.stringMatching(/^invalid tool call: /) });
    expect([db.messages.list(), db.appointments.list(), db.handoffs.list()]).toEqual([[], [], []]);
  });

  it('a call that runs out of tokens before its JSON is complete is an LlmToolCallError, and the conversation is untouched', async () => {
    // At least 2 000 characters: more than a tool call's token budget on this model's tiny vocabulary.
    const schema = { type: 'object', properties: { text: { type: 'string', minLength: 2000, maxLength: 2000 } } } as const;
    const error = await engine.callTool('Write.', schema, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmToolCallError);
    expect((error as LlmToolCallError).message).toMatch(/^the model's tool call is not complete JSON/);
    expect(engine.modelReplies()).toEqual([]);
  });

  it('an aborted call does nothing', async () => {
    const caller = new ToolCaller({ tools, frontDesk: desk, model: engine, only: ['take_message'] });
    const controller = new AbortController();
    controller.abort();
    expect(await caller.call('Tell them I called.', controller.signal)).toEqual({ status: 'aborted' });
    expect(db.messages.list()).toEqual([]);
    expect(engine.modelReplies()).toEqual([]);
  });

  it('function calling is wired: reply with the tools as functions runs on the model and documents them in its prompt', async () => {
    const events: FrontDeskEvent[] = [];
    // Two tools: all eight are documented in ~4 400 characters, which stories260K's tiny vocabulary makes ~2 900 tokens (more than its context).
    const functions = chatSessionFunctions(tools, desk, { onEvent: (event) => events.push(event) }, { utterance: 'Hello there.', only: ['lookup_faq', 'take_message'] });
    expect(Object.keys(functions)).toEqual(['take_message', 'lookup_faq']);
    const cost = async (options: Parameters<LlamaChatEngine['reply']>[2]) => {
      engine.newConversation();
      const before = engine.evaluatedInputTokens;
      let text = '';
      for await (const chunk of engine.reply('Hello there.', new AbortController().signal, options)) text += chunk;
      return { tokens: engine.evaluatedInputTokens - before, text };
    };
    const plain = await cost(undefined);
    const withTools = await cost({ functions });
    // The tool descriptions and schemas are in the prompt the model reads: hundreds of tokens more.
    expect(withTools.tokens).toBeGreaterThan(plain.tokens + 200);
    // Honest limit: a 260K story model never decides to call a function, so nothing is executed here;
    // calling the tools is covered by the handler tests (test/unit/frontDeskTools.test.ts) and the
    // grammar-constrained calls above.
    expect(events).toEqual([]);
    expect(typeof withTools.text).toBe('string');
  });
});
