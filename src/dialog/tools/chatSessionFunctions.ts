import type { ChatSessionModelFunctions } from 'node-llama-cpp';
import type { FrontDeskEvent } from '../FrontDeskEvent.js';
import type { FrontDesk } from '../FrontDesk.js';
import type { FrontDeskTools, ToolContext, ToolName, ToolResult } from './frontDeskTools.js';

export interface ToolCallSink {
  /** Every event a call raised (a booking, a handoff…), in order, as it happens. */
  onEvent(event: FrontDeskEvent): void;
  /** Each call and what it did (for logs and the turn record). */
  onResult?(tool: ToolName, result: ToolResult): void;
}

/**
 * The front-desk tools as node-llama-cpp chat-session functions, bound to one FrontDesk and one
 * turn: pass them to `LlamaChatEngine.reply(text, signal, { functions })`. The model sees each
 * tool's description and parameter schema; node-llama-cpp constrains the parameters it writes with
 * a grammar made from that schema, and the tool validates them again (with zod) before acting.
 * What the model gets back is the tool's spoken sentence (`say`) and its data, or the error when
 * the call was refused — then it can correct itself or tell the visitor. `options.utterance` is
 * the visitor's words of this turn; `options.only` offers a subset of the tools.
 */
export function chatSessionFunctions(
  tools: FrontDeskTools,
  frontDesk: FrontDesk,
  sink: ToolCallSink,
  options: ToolContext & { only?: readonly ToolName[] } = {},
): ChatSessionModelFunctions {
  const { only, ...ctx } = options;
  // Each tool's documentation costs context (all eight: ~4 400 characters), so a site may offer fewer.
  const offered = only ? tools.tools.filter((tool) => only.includes(tool.name)) : tools.tools;
  return Object.fromEntries(
    offered.map((tool) => [
      tool.name,
      {
        description: tool.description,
        params: tool.params,
        handler: (params: unknown) => {
          const result = tool.execute(frontDesk, params, ctx);
          for (const event of result.events) sink.onEvent(event);
          sink.onResult?.(tool.name, result);
          if (result.error !== undefined) return { error: result.error };
          return result.data === undefined ? { tellTheVisitor: result.say } : { tellTheVisitor: result.say, data: result.data };
        },
      },
    ]),
  );
}
