import type { GbnfJsonOneOfSchema, GbnfJsonSchema } from 'node-llama-cpp';
import { z } from 'zod';
import type { FrontDesk } from '../FrontDesk.js';
import type { FrontDeskTool, FrontDeskTools, ToolContext, ToolName, ToolResult } from './frontDeskTools.js';
import { describeIssues } from './toolParams.js';

/** What the ToolCaller needs of a model (LlamaChatEngine has it). */
export interface ToolCallModel {
  /** One JSON value generated under a grammar made from `schema`; undefined when aborted. */
  callTool(instruction: string, schema: GbnfJsonSchema, signal: AbortSignal): Promise<unknown>;
  /** Records what the visitor said and was told, so that later replies know it. */
  addExchange(userText: string, spokenReply: string): void;
}

export interface ToolInvocation {
  tool: ToolName;
  arguments: unknown;
}

export type ToolCallOutcome =
  /** The tool ran; speak `result.say` and publish `result.events`. */
  | { status: 'done'; invocation: ToolInvocation; result: ToolResult }
  /** Nothing was done: the invocation was malformed, named no tool, or its arguments failed validation. */
  | { status: 'refused'; error: string; invocation: unknown }
  | { status: 'aborted' };

const invocationShape = z.strictObject({ tool: z.string(), arguments: z.unknown() });

export interface ToolCallerOptions {
  tools: FrontDeskTools;
  frontDesk: FrontDesk;
  model: ToolCallModel;
  /** Offer only these tools (all by default): a small model does better with fewer choices. */
  only?: readonly ToolName[];
}

/**
 * A tool call forced by a grammar, for models too small to do function calling on their own: the
 * model must write `{ "tool": <name>, "arguments": {…} }` where the name is one of the offered
 * tools and the arguments fit that tool's schema (one `oneOf` branch per tool, the name a `const`).
 * The grammar guarantees the shape only; the values are checked by the tool's zod schema before
 * anything is executed, so a nonsense value is refused, never acted on.
 *
 * It lives in the dialog layer, not in engines/llm: it knows the tools and the FrontDesk, while the
 * engine only offers a generic grammar-constrained JSON call and stays free of dialog code.
 */
export class ToolCaller {
  /** The invocation schema the grammar is made from (one object per tool). */
  readonly schema: GbnfJsonOneOfSchema;
  private readonly offered: readonly FrontDeskTool[];

  constructor(private readonly options: ToolCallerOptions) {
    this.offered = options.only ? options.tools.tools.filter((tool) => options.only?.includes(tool.name)) : options.tools.tools;
    this.schema = {
      oneOf: this.offered.map((tool) => ({ type: 'object', properties: { tool: { const: tool.name }, arguments: tool.params } }) as const),
    };
  }

  /**
   * Has the model choose and fill a tool for the visitor's `text`, then validates and executes
   * it. When it ran, the exchange (the visitor's words and the tool's spoken answer) is added to
   * the model's conversation.
   */
  async call(text: string, signal: AbortSignal, ctx: ToolContext = {}): Promise<ToolCallOutcome> {
    let invocation: unknown;
    try {
      invocation = await this.options.model.callTool(this.instruction(text), this.schema, signal);
    } catch (error) {
      if (signal.aborted) return { status: 'aborted' };
      return { status: 'refused', error: (error as Error).message, invocation: undefined };
    }
    if (invocation === undefined || signal.aborted) return { status: 'aborted' };
    const outcome = this.execute(invocation, { utterance: text, ...ctx });
    if (outcome.status === 'done') this.options.model.addExchange(text, outcome.result.say);
    return outcome;
  }

  /** Validates an invocation (from a model or anywhere else) and executes it through the FrontDesk. */
  execute(invocation: unknown, ctx: ToolContext = {}): ToolCallOutcome {
    const shape = invocationShape.safeParse(invocation);
    if (!shape.success) return { status: 'refused', error: `invalid tool call: ${describeIssues(shape.error)}`, invocation };
    const tool = this.offered.find((candidate) => candidate.name === shape.data.tool);
    if (!tool) return { status: 'refused', error: `unknown tool "${shape.data.tool}"; the tools are ${this.offered.map((t) => t.name).join(', ')}`, invocation };
    const result = tool.execute(this.options.frontDesk, shape.data.arguments, ctx);
    if (result.error !== undefined) return { status: 'refused', error: result.error, invocation };
    return { status: 'done', invocation: { tool: tool.name, arguments: shape.data.arguments }, result };
  }

  /** The user turn the model answers with a tool call: the tools, the site's date and time, the visitor's words. */
  private instruction(text: string): string {
    const now = this.options.frontDesk.now();
    return [
      `Choose the tool for the visitor's request and fill in its arguments. It is now ${now.toFormat("cccc yyyy-MM-dd HH:mm")} at the site.`,
      'Tools:',
      ...this.offered.map((tool) => `- ${tool.name}: ${tool.description}`),
      `Visitor: ${JSON.stringify(text)}`,
    ].join('\n');
  }
}
