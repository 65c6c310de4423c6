import { getLlama, LlamaChatSession, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { AsyncQueue } from '../../util/AsyncQueue.js';
import { resolveModelPath } from '../resolveModelPath.js';

/** Share of the context after which old exchanges are dropped. */
const COMPACT_AT = 0.6;

/** The GGUF model could not be loaded. */
export class LlmLoadError extends KioskVoiceError {}

/**
 * A chat session on a local GGUF model through node-llama-cpp, on the CPU with an explicit thread
 * count. The system prompt is evaluated once at load and stays in the context; stable partial
 * transcripts can be preloaded while the visitor is still speaking, so that by the final
 * transcript only its last words remain to be evaluated.
 */
export class LlamaChatEngine {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly session: LlamaChatSession,
    private readonly config: KioskConfig['llm'],
  ) {}

  static async load(config: KioskConfig['llm'], modelsDir: string): Promise<LlamaChatEngine> {
    const modelPath = resolveModelPath(modelsDir, config.model, 'LLM model (GGUF)');
    // build: 'never' — a kiosk must not start compiling llama.cpp or downloading binaries.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath });
    } catch (error) {
      await llama.dispose();
      throw new LlmLoadError(`could not load the LLM at ${modelPath}: ${(error as Error).message}`, 'check that the file is a complete GGUF model (`kiosk-voice models verify`)');
    }
    const context = await model.createContext({ contextSize: config.contextSize, threads: config.threads });
    const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: config.systemPrompt });
    const engine = new LlamaChatEngine(llama, model, context, session, config);
    // Evaluate the system prompt now rather than on the first visitor's question.
    await session.preloadPrompt('');
    return engine;
  }

  /** Prompt tokens evaluated so far; what a reply adds to it is the prefill work it cost. */
  get evaluatedInputTokens(): number {
    return this.session.sequence.tokenMeter.usedInputTokens;
  }

  /** Tokens currently held in the context (system prompt, history, the current turn). */
  get contextTokens(): number {
    return this.session.sequence.nextTokenIndex;
  }

  /** Evaluates the start of a user turn ahead of time. Safe to call repeatedly with longer text. */
  async preload(partialText: string): Promise<void> {
    await this.session.preloadPrompt(partialText);
  }

  /**
   * Streams the reply to `text`. Aborting `signal` stops generation at the next token and ends the
   * iteration quietly.
   */
  reply(text: string, signal: AbortSignal): AsyncIterable<string> {
    const queue = new AsyncQueue<string>();
    this.session
      .prompt(text, {
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
  async compactIfNeeded(): Promise<boolean> {
    if (this.session.sequence.nextTokenIndex < COMPACT_AT * this.context.contextSize) return false;
    const history = this.session.getChatHistory();
    const exchanges = history.filter((item) => item.type !== 'system');
    const keep = this.config.historyTurns * 2;
    this.session.setChatHistory([...history.filter((item) => item.type === 'system'), ...(keep > 0 ? exchanges.slice(-keep) : [])]);
    await this.session.preloadPrompt('');
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

  async dispose(): Promise<void> {
    this.session.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
