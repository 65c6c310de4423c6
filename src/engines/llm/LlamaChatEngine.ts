import {
  getLlama,
  LlamaChatSession,
  type ChatHistoryItem,
  type ChatSessionModelFunctions,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { createLogger } from '../../logging/createLogger.js';
import { AsyncQueue } from '../../util/AsyncQueue.js';
import { resolveModelPath } from '../resolveModelPath.js';
import { EndOfTurnProbe, EndOfTurnProbeUnavailableError } from './EndOfTurnProbe.js';
import { checkGgufFile, GgufFileError } from './ggufFile.js';
import { LLAMA_LOG_LEVEL, LlamaCppLog, type LlamaLog } from './llamaCppLog.js';

/** Share of the context after which old exchanges are dropped. */
const COMPACT_AT = 0.6;

/**
 * Tokens a grammar-constrained tool call may take. Its strings are bounded by the schema, so this
 * is a guard against a schema with long fields, not the usual length of a call (~50 tokens).
 */
const TOOL_CALL_MAX_TOKENS = 512;

/**
 * node-llama-cpp's default batch is min(contextSize × sequences, 512): a second sequence would
 * change how the chat's prompts are split into batches, so the probe's context keeps this cap
 * with the one-sequence size.
 */
const DEFAULT_BATCH_CAP = 512;

/** The GGUF model could not be loaded. */
export class LlmLoadError extends KioskVoiceError {}

/** A grammar made from a JSON schema; its parser also checks the output against the schema. */
type JsonGrammar = LlamaGrammar & { parse(json: string): unknown };

/** A grammar-constrained call ended before its JSON was complete (the token limit, or the context). */
export class LlmToolCallError extends KioskVoiceError {}

export interface LlmReplyOptions {
  /**
   * Functions the model may call while it answers (node-llama-cpp function calling). Their results
   * go back to the model, and its text after them is what is streamed. Pass the same set to
   * `preload` and `compactIfNeeded`: the functions are documented in the context's system part,
   * so a different set means evaluating that part again.
   */
  functions?: ChatSessionModelFunctions;
}

/**
 * One Llama per thread, made at the first load and kept: a second getLlama in the same thread
 * replaces the addon's log callback, and the old one's finalizer then switches the new one off
 * (see LLAMA_LOG_LEVEL), so a load after a dispose would log past the logger.
 */
let sharedLlama: Promise<Llama> | undefined;
/** Where the shared Llama's lines go: the log of the engine that loaded last. */
let currentLog: LlamaCppLog | undefined;

function llamaForThisThread(): Promise<Llama> {
  // build: 'never' — a kiosk must not start compiling llama.cpp or downloading binaries.
  sharedLlama ??= getLlama({ gpu: false, build: 'never', logLevel: LLAMA_LOG_LEVEL, logger: (level, message) => currentLog?.receive(level, message) }).catch(
    (error: unknown) => {
      sharedLlama = undefined;
      throw error;
    },
  );
  return sharedLlama;
}

export interface LlamaChatEngineOptions {
  /**
   * Receives llama.cpp's error lines, a line each (the worker's logger, so that they share its
   * format). Defaults to an error-level JSON logger on stderr.
   */
  logger?: LlamaLog;
  /**
   * Also make an EndOfTurnProbe, on a second sequence of the context. Each sequence has its own
   * `contextSize` tokens in node-llama-cpp, so the chat keeps all of `config.contextSize` and the
   * KV cache doubles. A model that cannot be probed loads without one (a warning on `logger`).
   */
  endOfTurnProbe?: boolean;
}

/**
 * A chat session on a local GGUF model through node-llama-cpp, on the CPU with an explicit thread
 * count. The system prompt is evaluated once at load and stays in the context; stable partial
 * transcripts can be preloaded while the visitor is still speaking, so that by the final
 * transcript only its last words remain to be evaluated.
 */
export class LlamaChatEngine {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly session: LlamaChatSession,
    private readonly config: KioskConfig['llm'],
    /**
     * The end-of-turn probe on its own sequence, when `load` was asked for one and the model can
     * be probed; the chat session's sequence never sees its evaluations.
     */
    readonly endOfTurnProbe: EndOfTurnProbe | undefined,
  ) {}

  /** Grammars made from JSON schemas, by schema object: making one costs a grammar compilation. */
  private readonly grammars = new WeakMap<object, Promise<JsonGrammar>>();

  /**
   * Checks the GGUF file, loads it and evaluates the system prompt. Every failure is an
   * LlmLoadError: a damaged file with the GgufFileError as its cause, a failure inside llama.cpp
   * with the reason llama.cpp logged.
   */
  static async load(config: KioskConfig['llm'], modelsDir: string, options: LlamaChatEngineOptions = {}): Promise<LlamaChatEngine> {
    const modelPath = resolveModelPath(modelsDir, config.model, 'LLM model (GGUF)');
    // Before node-llama-cpp reads a byte: its own header parser aborts the process on some damaged files.
    try {
      checkGgufFile(modelPath);
    } catch (error) {
      if (error instanceof GgufFileError) throw new LlmLoadError(`could not load the LLM: ${error.message}`, error.hint, { cause: error });
      throw error;
    }
    const logger = options.logger ?? createLogger('error', { bindings: { engine: 'llama.cpp' } });
    const log = new LlamaCppLog(logger);
    currentLog = log;
    const llama = await llamaForThisThread();
    let model: LlamaModel | undefined;
    try {
      model = await llama.loadModel({ modelPath });
      const context = await model.createContext({
        contextSize: config.contextSize,
        threads: config.threads,
        ...(options.endOfTurnProbe && { sequences: 2, batchSize: Math.min(config.contextSize, DEFAULT_BATCH_CAP) }),
      });
      const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: config.systemPrompt });
      // Evaluate the system prompt now rather than on the first visitor's question.
      await session.preloadPrompt('');
      const endOfTurnProbe = options.endOfTurnProbe ? await createProbe(context, session, config.systemPrompt, logger) : undefined;
      log.clearErrors();
      return new LlamaChatEngine(model, context, session, config, endOfTurnProbe);
    } catch (error) {
      const reason = (await log.reason()) ?? (error as Error).message;
      await model?.dispose();
      throw new LlmLoadError(`could not load the LLM at ${modelPath} (llm.model): ${reason}`, 'check that the file is a complete GGUF model of an architecture llama.cpp knows (`kiosk-voice models verify`)', {
        cause: error,
      });
    }
  }

  /** Prompt tokens evaluated so far; what a reply adds to it is the prefill work it cost. */
  get evaluatedInputTokens(): number {
    return this.session.sequence.tokenMeter.usedInputTokens;
  }

  /** Tokens generated so far; the bench divides what a reply adds by the time it took. */
  get generatedTokens(): number {
    return this.session.sequence.tokenMeter.usedOutputTokens;
  }

  /** The chat sequence's size in tokens and the context's sequence count (2 with the probe). */
  get contextLayout(): { tokensPerSequence: number; sequences: number } {
    return { tokensPerSequence: this.session.sequence.contextSize, sequences: this.context.totalSequences };
  }

  /** Tokens currently held in the context (system prompt, history, the current turn). */
  get contextTokens(): number {
    return this.session.sequence.nextTokenIndex;
  }

  /** Evaluates the start of a user turn ahead of time. Safe to call repeatedly with longer text. */
  async preload(partialText: string, options: LlmReplyOptions = {}): Promise<void> {
    await this.session.preloadPrompt(partialText, functionOptions(options));
  }

  /**
   * Streams the reply to `text`. Aborting `signal` stops generation at the next token and ends the
   * iteration quietly. With `options.functions` the model may call them first; only its text is
   * streamed, never the calls.
   */
  reply(text: string, signal: AbortSignal, options: LlmReplyOptions = {}): AsyncIterable<string> {
    const queue = new AsyncQueue<string>();
    this.session
      .prompt(text, {
        ...functionOptions(options),
        maxTokens: this.config.maxTokens,
        temperature: this.config.temperature,
        signal,
        stopOnAbortSignal: true,
        onTextChunk: (chunk) => queue.push(chunk),
      })
      .then(
        () => queue.end(),
        (error: unknown) => (signal.aborted ? queue.end() : queue.fail(error)),
      );
    return queue;
  }

  /**
   * When the context is more than 60 % full, keeps only the system prompt and the last
   * `historyTurns` exchanges and evaluates them now. Otherwise node-llama-cpp would compress the
   * history when the context overflows — in the middle of a visitor's question.
   */
  async compactIfNeeded(options: LlmReplyOptions = {}): Promise<boolean> {
    if (this.session.sequence.nextTokenIndex < COMPACT_AT * this.context.contextSize) return false;
    const history = this.session.getChatHistory();
    const exchanges = history.filter((item) => item.type !== 'system');
    const keep = this.config.historyTurns * 2;
    this.session.setChatHistory([...history.filter((item) => item.type === 'system'), ...(keep > 0 ? exchanges.slice(-keep) : [])]);
    await this.session.preloadPrompt('', functionOptions(options));
    return true;
  }

  /**
   * The visitor cut the last reply off (barge-in) after hearing `heardText`: the history keeps
   * only that, so the model does not believe it said what nobody heard.
   */
  truncateLastReply(heardText: string): void {
    const history = this.session.getChatHistory();
    const last = history.at(-1);
    if (last?.type !== 'model') return;
    this.session.setChatHistory([...history.slice(0, -1), { ...last, response: [heardText] }]);
  }

  /**
   * Asks the model for one JSON value that fits `schema`, generated under a grammar made from it,
   * so that even a tiny model can only write a value of that shape (the caller still validates
   * the values). `instruction` is the user turn. Greedy sampling: a tool call should not be a
   * dice roll. The exchange is not kept in the conversation — the caller records what was said
   * with `addExchange`. Resolves to undefined when `signal` aborted it; throws LlmToolCallError
   * when the output stopped before the JSON was complete.
   */
  async callTool(instruction: string, schema: GbnfJsonSchema, signal: AbortSignal): Promise<unknown> {
    let grammar = this.grammars.get(schema);
    if (!grammar) {
      // node-llama-cpp infers a narrow type from a literal schema; this one is only known at run time.
      grammar = this.model.llama.createGrammarForJsonSchema<GbnfJsonSchema, Record<any, any>>(schema) as Promise<JsonGrammar>;
      grammar.catch(() => this.grammars.delete(schema));
      this.grammars.set(schema, grammar);
    }
    const jsonGrammar = await grammar;
    const history = this.session.getChatHistory();
    try {
      const output = await this.session.prompt(instruction, { grammar: jsonGrammar, maxTokens: TOOL_CALL_MAX_TOKENS, temperature: 0, signal, stopOnAbortSignal: true });
      if (signal.aborted) return undefined;
      try {
        return jsonGrammar.parse(output);
      } catch (error) {
        throw new LlmToolCallError(`the model's tool call is not complete JSON: ${(error as Error).message}`, 'give tool parameters shorter maximum lengths, or use a larger llm.contextSize', { cause: error });
      }
    } finally {
      this.session.setChatHistory(history);
    }
  }

  /**
   * Adds an exchange the model did not write itself (a tool's spoken result, a rule's answer) to
   * the conversation, so that its next reply knows what the visitor was told.
   */
  addExchange(userText: string, spokenReply: string): void {
    this.session.setChatHistory([...this.session.getChatHistory(), { type: 'user', text: userText }, { type: 'model', response: [spokenReply] }]);
  }

  /**
   * The conversation as it stands, to put back with `restoreConversation` (a speculative reply
   * thrown away). The evaluated tokens need no saving: the next prompt reuses their common prefix.
   */
  saveConversation(): ChatHistoryItem[] {
    return this.session.getChatHistory();
  }

  restoreConversation(history: ChatHistoryItem[]): void {
    this.session.setChatHistory(history);
  }

    /** The model's side of the conversation so far, oldest first (for tests and diagnostics). */
  modelReplies(): string[] {
    return this.session
      .getChatHistory()
      .filter((item) => item.type === 'model')
      .map((item) => item.response.filter((part): part is string => typeof part === 'string').join(''));
  }

  /** Starts a new conversation: forgets earlier turns but keeps the evaluated system prompt. */
  newConversation(): void {
    this.session.setChatHistory(this.session.getChatHistory().filter((item) => item.type === 'system'));
  }

  /** Frees the model and its context; the thread's Llama stays for the next load. */
  async dispose(): Promise<void> {
    this.session.dispose();
    await this.endOfTurnProbe?.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}

/** The probe on the context's second sequence; undefined, with a warning, when the model cannot be probed. */
async function createProbe(context: LlamaContext, session: LlamaChatSession, systemPrompt: string, logger: LlamaLog): Promise<EndOfTurnProbe | undefined> {
  try {
    return await EndOfTurnProbe.create({ sequence: context.getSequence(), chatWrapper: session.chatWrapper, systemPrompt });
  } catch (error) {
    if (!(error instanceof EndOfTurnProbeUnavailableError)) throw error;
    logger.warn(error.toUserLine());
    return undefined;
  }
}

/** node-llama-cpp's function options, only when there are functions: an empty set still changes the prompt. */
function functionOptions(options: LlmReplyOptions): { functions?: ChatSessionModelFunctions; documentFunctionParams?: boolean } {
  return options.functions && Object.keys(options.functions).length > 0 ? { functions: options.functions, documentFunctionParams: true } : {};
}
