import type { ChatSessionModelFunctions } from 'node-llama-cpp';
import { composeSystemPrompt } from '../dialog/composeSystemPrompt.js';
import { DialogManager } from '../dialog/DialogManager.js';
import { FrontDesk } from '../dialog/FrontDesk.js';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import { chatSessionFunctions } from '../dialog/tools/chatSessionFunctions.js';
import { FrontDeskTools } from '../dialog/tools/frontDeskTools.js';
import { ToolCaller } from '../dialog/tools/ToolCaller.js';
import { LlamaChatEngine } from '../engines/llm/LlamaChatEngine.js';
import { FrontDeskDatabase } from '../storage/FrontDeskDatabase.js';
import { monotonicMs } from '../system/clock.js';
import { failpoint, failpointAsync } from '../system/failpoints.js';
import { verdictFromProbability } from '../turn/endpointing/EndpointDecision.js';
import type { BrainEvent, BrainInit, BrainReadyInfo, BrainRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

/**
 * Function documentation may take at most this share of the context: the rest is for the
 * conversation and the reply (see LLM_HISTORY_SHARE in the schema).
 */
const MAX_TOOLS_SHARE = 0.4;

runWorker<BrainInit, BrainRequest, BrainEvent, BrainReadyInfo>('brain', async (init, send, logger) => {
  // The brain is the database's one writer: bookings are made where the dialog runs.
  const db = FrontDeskDatabase.open(init.storagePath);
  const frontDesk = new FrontDesk({ site: init.site, db });
  const dialog = new DialogManager({ site: init.site, rules: init.dialog.rules, frontDesk, notUnderstoodReply: init.dialog.notUnderstoodReply });
  // The first visitor's answer should not pay for loading the matcher, chrono and luxon.
  dialog.warmUp();
  const tools = new FrontDeskTools(init.site);
  await failpointAsync('brain.load');
  const llm = await LlamaChatEngine.load({ ...init.llm, systemPrompt: composeSystemPrompt(init.llm.systemPrompt, init.site) }, init.modelsDir, {
    logger: logger.child({ engine: 'llama.cpp' }),
    endOfTurnProbe: init.endpointing.backend === 'llm',
  });
  const inFlight = new Map<number, AbortController>();
  /** One model call at a time: preloads and replies share the context sequence. */
  let queue: Promise<void> = Promise.resolve();
  const serially = (job: () => Promise<void>) => (queue = queue.then(job, job));
  /** The turn whose exchange is last in the model's history: only its reply may be truncated. */
  let lastInHistory: number | undefined;

  /** The documentation is the same for every turn; only the handlers' turn differs. */
  function functionsFor(turnId: number, utterance?: string): ChatSessionModelFunctions | undefined {
    if (toolMode !== 'functions') return undefined;
    return chatSessionFunctions(tools, frontDesk, { onEvent: (event) => raise(turnId, event) }, utterance === undefined ? {} : { utterance });
  }

  /**
   * Whether the tools' documentation leaves room for a conversation in the context. A model with a
   * small context answers without tools rather than failing every question.
   */
  async function toolsFit(): Promise<boolean> {
    const before = llm.contextTokens;
    try {
      // Only the documentation counts here; no handler runs during a preload.
      await llm.preload('', { functions: chatSessionFunctions(tools, frontDesk, { onEvent: () => undefined }) });
      const used = llm.contextTokens;
      if (used <= MAX_TOOLS_SHARE * init.llm.contextSize) return true;
      logger.warn(
        { toolTokens: used - before, contextSize: init.llm.contextSize },
        `the front-desk tools take ${used - before} of the model's ${init.llm.contextSize} context tokens; the model answers without them — raise llm.contextSize or set dialog.llmTools: grammar`,
      );
    } catch (error) {
      logger.warn({ reason: (error as Error).message }, 'the front-desk tools do not fit the model context; the model answers without them — raise llm.contextSize or set dialog.llmTools: grammar');
    }
    await llm.preload('');
    return false;
  }

  function raise(turnId: number, event: FrontDeskEvent): void {
    send({ type: 'frontDesk', turnId, event });
  }

  const toolMode = init.dialog.llmTools === 'functions' && !(await toolsFit()) ? 'off' : init.dialog.llmTools;
  const toolCaller = toolMode === 'grammar' ? new ToolCaller({ tools, frontDesk, model: llm }) : undefined;

  /** A speculative reply in flight or made: what committing or discarding it must do. */
  interface Speculation {
    text: string;
    /** The model's conversation before it (the `llm` path), to put back if it is thrown away. */
    conversation?: ReturnType<typeof llm.saveConversation>;
    lastInHistory: number | undefined;
  }
  const speculations = new Map<number, Speculation>();

  /**
   * Tools a speculative reply may not run: calling one ends the speculation (declined), and the
   * real reply calls it after the final words. Same documentation, so the context prefix is the same.
   */
  function holdingTools(functions: ChatSessionModelFunctions | undefined, onCall: () => void): ChatSessionModelFunctions | undefined {
    if (!functions) return undefined;
    return Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [
        name,
        {
          ...fn,
          handler: () => {
            onCall();
            return 'not now';
          },
        },
      ]),
    );
  }

  async function reply(requestId: number, turnId: number, text: string, receivedAt: number, speculative: boolean): Promise<void> {
    const controller = inFlight.get(requestId);
    if (!controller || controller.signal.aborted) {
      send({ type: 'done', requestId, path: 'llm', receivedAt, doneAt: monotonicMs(), aborted: true });
      return;
    }
    let declined = false;
    try {
      if (speculative) speculations.set(turnId, { text, conversation: llm.saveConversation(), lastInHistory });
      lastInHistory = turnId;
      if (toolCaller) {
        const outcome = await toolCaller.call(text, controller.signal);
        if (outcome.status === 'done') {
          for (const event of outcome.result.events) raise(turnId, event);
          send({ type: 'text', requestId, text: outcome.result.say, at: monotonicMs() });
          send({ type: 'done', requestId, path: 'llm', receivedAt, doneAt: monotonicMs(), aborted: false });
          return;
        }
        if (outcome.status === 'refused') logger.info({ turnId, error: outcome.error }, 'no usable tool call; the model answers in words');
      }
      const functions = functionsFor(turnId, text);
      const held = speculative
        ? holdingTools(functions, () => {
            declined = true;
            controller.abort();
          })
        : functions;
      for await (const chunk of llm.reply(text, controller.signal, { functions: held })) {
        failpoint('brain.generate');
        if (declined) break;
        send({ type: 'text', requestId, text: chunk, at: monotonicMs() });
      }
      const declinedSpeculation = declined ? speculations.get(turnId) : undefined;
      if (declinedSpeculation?.conversation) {
        // Dead already: the turn asks again with the final words, so undo it now, not at settle.
        speculations.delete(turnId);
        llm.restoreConversation(declinedSpeculation.conversation);
        lastInHistory = declinedSpeculation.lastInHistory;
      }
      send({ type: 'done', requestId, path: 'llm', receivedAt, doneAt: monotonicMs(), aborted: controller.signal.aborted, ...(declined ? { declined: true } : {}) });
      // While the reply is being spoken, make room for the next question (a speculation's waits for it to be kept).
      if (!speculative && (await llm.compactIfNeeded({ functions: functionsFor(turnId) }))) logger.debug({ turnId }, 'chat history compacted');
    } catch (error) {
      logger.error({ err: error, turnId }, 'LLM reply failed');
      send(toWorkerError(error, requestId));
    } finally {
      inFlight.delete(requestId);
    }
  }

  /** The final words matched: the dialog now does what the reply implied; else the model's context is put back. */
  function settle(turnId: number, keep: boolean): void {
    const speculation = speculations.get(turnId);
    speculations.delete(turnId);
    if (!speculation) return;
    if (keep) {
      // The dialog's side effects (a knowledge gap, the prepared match) happen now, as for any final.
      for (const event of dialog.respond(speculation.text).events) raise(turnId, event);
      if (speculation.conversation) void serially(async () => void (await llm.compactIfNeeded({ functions: functionsFor(turnId) })));
      return;
    }
    const { conversation } = speculation;
    if (!conversation) return;
    // Queued behind the aborted generation, so it runs once that has let go of the session.
    void serially(async () => {
      llm.restoreConversation(conversation);
      lastInHistory = speculation.lastInHistory;
    });
  }

  return {
    readyInfo: {},
    handle(request) {
      switch (request.type) {
        case 'reply': {
          failpoint('brain.reply');
          const receivedAt = monotonicMs();
          const { requestId, turnId, text } = request;
          const speculative = request.speculative === true;
          if (speculative) {
            const preview = dialog.preview(text);
            // A grammar tool call acts as soon as it is parsed, so there is nothing to hold: it waits for the final words.
            if (preview.kind === 'unsafe' || (preview.kind === 'llm' && toolCaller)) {
              send({ type: 'done', requestId, path: 'rule', receivedAt, doneAt: monotonicMs(), aborted: false, declined: true });
              return;
            }
            if (preview.kind === 'answer') {
              speculations.set(turnId, { text, lastInHistory });
              send({ type: 'text', requestId, text: preview.text, at: monotonicMs() });
              send({ type: 'done', requestId, path: 'rule', receivedAt, doneAt: monotonicMs(), aborted: false });
              return;
            }
          } else {
            const decision = dialog.respond(text);
            for (const event of decision.events) raise(turnId, event);
            if (decision.kind === 'answer') {
              send({ type: 'text', requestId, text: decision.text, at: monotonicMs() });
              send({ type: 'done', requestId, path: 'rule', receivedAt, doneAt: monotonicMs(), aborted: false });
              return;
            }
          }
          inFlight.set(requestId, new AbortController());
          return void serially(() => reply(requestId, turnId, text, receivedAt, speculative));
        }
        case 'settleSpeculation':
          return settle(request.turnId, request.keep);
        case 'endOfTurn': {
          const started = monotonicMs();
          const probe = llm.endOfTurnProbe;
          if (!probe) {
            send({ type: 'endOfTurn', queryId: request.queryId, verdict: undefined, computeMs: 0 });
            return;
          }
          return void serially(async () => {
            try {
              const { probability } = await probe.probability(request.text);
              send({ type: 'endOfTurn', queryId: request.queryId, verdict: verdictFromProbability(probability, init.endpointing), computeMs: monotonicMs() - started });
            } catch (error) {
              logger.warn({ err: error }, 'end-of-turn probability failed; the turn ends on the longest silence');
              send({ type: 'endOfTurn', queryId: request.queryId, verdict: undefined, computeMs: monotonicMs() - started });
            }
          });
        }
        case 'preload':
          dialog.prepare(request.text);
          if (init.llm.preloadPartials) {
            return void serially(() => llm.preload(request.text, { functions: functionsFor(0) }).catch((error: unknown) => logger.warn({ err: error }, 'preload failed')));
          }
          return;
        case 'abort':
          // Aborting works whether the reply is generating or still queued behind a preload.
          inFlight.get(request.requestId)?.abort();
          return;
        case 'truncateReply':
          return void serially(async () => {
            if (lastInHistory !== request.turnId) return;
            llm.truncateLastReply(request.heardText);
            logger.info({ turnId: request.turnId, lastReply: llm.modelReplies().at(-1) }, 'reply truncated to what the visitor heard');
          });
        case 'newConversation':
          dialog.reset();
          speculations.clear();
          return void serially(async () => {
            lastInHistory = undefined;
            llm.newConversation();
            logger.debug('conversation forgotten');
          });
      }
    },
    dispose: async () => {
      await llm.dispose();
      db.close();
    },
  };
});
