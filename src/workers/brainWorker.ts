import { RuleMatcher } from '../dialog/RuleMatcher.js';
import { LlamaChatEngine } from '../engines/llm/LlamaChatEngine.js';
import { monotonicMs } from '../system/clock.js';
import { failpoint, failpointAsync } from '../system/failpoints.js';
import type { BrainEvent, BrainInit, BrainReadyInfo, BrainRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

runWorker<BrainInit, BrainRequest, BrainEvent, BrainReadyInfo>('brain', async (init, send, logger) => {
  const rules = new RuleMatcher(init.dialog.rules);
  await failpointAsync('brain.load');
  const llm = await LlamaChatEngine.load(init.llm, init.modelsDir, { logger: logger.child({ engine: 'llama.cpp' }) });
  const inFlight = new Map<number, AbortController>();
  /** One model call at a time: preloads and replies share the context sequence. */
  let queue: Promise<void> = Promise.resolve();
  const serially = (job: () => Promise<void>) => (queue = queue.then(job, job));
  /** The turn whose exchange is last in the model's history: only its reply may be truncated. */
  let lastInHistory: number | undefined;

  async function reply(turnId: number, text: string, receivedAt: number): Promise<void> {
    const controller = inFlight.get(turnId);
    if (!controller || controller.signal.aborted) {
      send({ type: 'done', turnId, path: 'llm', receivedAt, doneAt: monotonicMs(), aborted: true });
      return;
    }
    try {
      lastInHistory = turnId;
      for await (const chunk of llm.reply(text, controller.signal)) {
        failpoint('brain.generate');
        send({ type: 'text', turnId, text: chunk, at: monotonicMs() });
      }
      send({ type: 'done', turnId, path: 'llm', receivedAt, doneAt: monotonicMs(), aborted: controller.signal.aborted });
      // While the reply is being spoken, make room for the next question.
      if (await llm.compactIfNeeded()) logger.debug({ turnId }, 'chat history compacted');
    } catch (error) {
      logger.error({ err: error, turnId }, 'LLM reply failed');
      send(toWorkerError(error, turnId));
    } finally {
      inFlight.delete(turnId);
    }
  }

  return {
    readyInfo: {},
    handle(request) {
      switch (request.type) {
        case 'reply': {
          failpoint('brain.reply');
          const receivedAt = monotonicMs();
          const ruled = rules.match(request.text);
          if (ruled !== undefined) {
            send({ type: 'text', turnId: request.turnId, text: ruled, at: monotonicMs() });
            send({ type: 'done', turnId: request.turnId, path: 'rule', receivedAt, doneAt: monotonicMs(), aborted: false });
            return;
          }
          inFlight.set(request.turnId, new AbortController());
          return void serially(() => reply(request.turnId, request.text, receivedAt));
        }
        case 'preload':
          if (init.llm.preloadPartials) {
            return void serially(() => llm.preload(request.text).catch((error: unknown) => logger.warn({ err: error }, 'preload failed')));
          }
          return;
        case 'abort':
          // Aborting works whether the reply is generating or still queued behind a preload.
          inFlight.get(request.turnId)?.abort();
          return;
        case 'truncateReply':
          return void serially(async () => {
            if (lastInHistory !== request.turnId) return;
            llm.truncateLastReply(request.heardText);
            logger.info({ turnId: request.turnId, lastReply: llm.modelReplies().at(-1) }, 'reply truncated to what the visitor heard');
          });
        case 'newConversation':
          return void serially(async () => {
            lastInHistory = undefined;
            llm.newConversation();
            logger.debug('conversation forgotten');
          });
      }
    },
    dispose: () => llm.dispose(),
  };
});
