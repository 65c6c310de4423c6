import { LlamaText, type ChatHistoryItem, type ChatWrapper, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { KioskVoiceError } from '../../errors.js';

/**
 * The model or its chat template gives no way to read an end-of-turn probability: no end-of-turn
 * or end-of-sequence token, or a template that does not keep the visitor's words as they are.
 */
export class EndOfTurnProbeUnavailableError extends KioskVoiceError {}

/** An earlier exchange, for context: what the visitor said and what the kiosk answered. */
export interface EndOfTurnExchange {
  visitor: string;
  reply: string;
}

/** One reading of the probe. */
export interface EndOfTurnProbability {
  /** The probability (0..1) the model gives to the end-of-turn token right after the words so far. */
  probability: number;
  /** Prompt tokens this call evaluated (0 when cached). */
  evaluatedTokens: number;
  /** The same conversation as the previous call: its probability, with no evaluation. */
  cached: boolean;
}

export interface EndOfTurnProbeOptions {
  /** A sequence of its own: the probe rewrites its state at every call. */
  sequence: LlamaContextSequence;
  /** The chat session's wrapper, so that the probe sees the conversation as the replies do. */
  chatWrapper: ChatWrapper;
  systemPrompt: string;
}

/**
 * Stands for the end of the visitor's words inside the rendered template; everything from it on
 * (the tokens that close the user turn and open the model's) is cut off. Invisible characters
 * around a word no transcript contains.
 */
const WORDS_END = '\u2063kiosk-end-of-turn-probe\u2063';

/**
 * LiveKit's zero-shot turn detection: the conversation is rendered with the model's chat template,
 * the visitor's words so far as the last user message but without the tokens that close it, and
 * the probability the model gives to the template's end-of-turn token next (`<|im_end|>`,
 * `<|eot_id|>`, else the model's EOT/EOS) is the probability that the visitor has finished.
 *
 * Calls run one at a time on the probe's own sequence, which keeps the last conversation
 * evaluated: the same words again cost nothing, longer words only their new tokens.
 */
export class EndOfTurnProbe {
  private readonly model: LlamaModel;
  /** The conversation last evaluated and its result; empty while none is valid. */
  private lastTokens: readonly Token[] = [];
  private lastProbability = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sequence: LlamaContextSequence,
    private readonly chatWrapper: ChatWrapper,
    private readonly systemItems: ChatHistoryItem[],
    private readonly endToken: Token,
  ) {
    this.model = sequence.model;
  }

  /**
   * Finds the end-of-turn token and evaluates the system prompt on `sequence`, so that no call
   * pays for it. Throws EndOfTurnProbeUnavailableError when the model cannot be probed.
   */
  static async create(options: EndOfTurnProbeOptions): Promise<EndOfTurnProbe> {
    const { sequence, chatWrapper } = options;
    const systemItems = chatWrapper.generateInitialChatHistory({ systemPrompt: options.systemPrompt });
    const probe = new EndOfTurnProbe(sequence, chatWrapper, systemItems, endOfTurnToken(sequence.model, chatWrapper, systemItems));
    await sequence.evaluateWithoutGeneratingNewTokens(probe.render('', []));
    // Recurrent and sliding-window models cannot go back to a prefix without a checkpoint there.
    if (sequence.needsCheckpoints) await sequence.takeCheckpoint();
    return probe;
  }

  /** Tokens held in the probe's sequence: the system prompt, the history, the words last asked about. */
  get contextTokens(): number {
    return this.sequence.nextTokenIndex;
  }

  /**
   * The probability that `text` is the visitor's whole turn, after the optional earlier
   * `history` (oldest first). One evaluation, of the tokens that differ from the previous call's.
   */
  probability(text: string, history: readonly EndOfTurnExchange[] = []): Promise<EndOfTurnProbability> {
    const result = this.queue.then(() => this.evaluate(text, history));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Frees the probe's sequence. */
  async dispose(): Promise<void> {
    await this.sequence.dispose();
  }

  private async evaluate(text: string, history: readonly EndOfTurnExchange[]): Promise<EndOfTurnProbability> {
    const tokens = this.render(text, history);
    if (sameTokens(tokens, this.lastTokens)) return { probability: this.lastProbability, evaluatedTokens: 0, cached: true };
    this.lastTokens = [];
    const sequence = this.sequence;
    const before = evaluatedSoFar(sequence);
    // The last token is evaluated even when the state holds it already: its logits are the answer.
    const start = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1);
    if (start < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
    const last = tokens.length - 1;
    // Greedy sampling leaves the logits as the model gave them. Two logits and the softmax
    // denominator rather than the whole vocabulary's probabilities, which cost more than the
    // evaluation itself with a large vocabulary.
    const results = await sequence.controlledEvaluate([
      ...tokens.slice(start, last),
      [tokens[last] as Token, { generateNext: { logits: { filter: { tokens: [this.endToken], includeTop: 1 } }, totalLogitWeight: true } }],
    ]);
    const next = results.at(-1)?.next;
    const endLogit = next?.logits?.get(this.endToken);
    if (next?.logits === undefined || next.totalLogitWeight === undefined || endLogit === undefined) {
      throw new EndOfTurnProbeUnavailableError('the model gave no logits for the end-of-turn token', 'use endpointing.backend: lexical with this model');
    }
    const maxLogit = Math.max(...next.logits.values());
    const probability = Math.exp(endLogit - maxLogit) / next.totalLogitWeight;
    this.lastTokens = tokens;
    this.lastProbability = probability;
    return { probability, evaluatedTokens: evaluatedSoFar(sequence) - before, cached: false };
  }

  /** The conversation's tokens up to the end of the visitor's words. */
  private render(text: string, history: readonly EndOfTurnExchange[]): Token[] {
    const chatHistory: ChatHistoryItem[] = [
      ...this.systemItems,
      ...history.flatMap((exchange): ChatHistoryItem[] => [
        { type: 'user', text: exchange.visitor },
        { type: 'model', response: [exchange.reply] },
      ]),
    ];
    return splitAtWordsEnd(this.chatWrapper, chatHistory, text).words.tokenize(this.model.tokenizer);
  }
}

/**
 * The rendered conversation with `text` as the last user message, split where the visitor's
 * words end: `words` is what the probe evaluates, `closing` what the template would put next.
 */
function splitAtWordsEnd(chatWrapper: ChatWrapper, chatHistory: readonly ChatHistoryItem[], text: string): { words: LlamaText; closing: LlamaText } {
  const { contextText } = chatWrapper.generateContextState({
    chatHistory: [...chatHistory, { type: 'user', text: text + WORDS_END }, { type: 'model', response: [] }],
  });
  const values = contextText.values;
  const at = values.findIndex((value) => typeof value === 'string' && value.includes(WORDS_END));
  const value = values[at];
  if (typeof value !== 'string') {
    throw new EndOfTurnProbeUnavailableError(
      `the ${chatWrapper.wrapperName} chat template does not keep the visitor's words as they are`,
      'use endpointing.backend: lexical with this model',
    );
  }
  const cut = value.indexOf(WORDS_END);
  return {
    words: LlamaText([...values.slice(0, at), value.slice(0, cut)]),
    closing: LlamaText([value.slice(cut + WORDS_END.length), ...values.slice(at + 1)]),
  };
}

/**
 * The template's first token after a user message when it is a special token (`<|im_end|>`,
 * `<|eot_id|>`); otherwise (a plain-text template such as `### Assistant` or ` [/INST]`) the
 * model's end-of-turn token, else its end-of-sequence token.
 */
function endOfTurnToken(model: LlamaModel, chatWrapper: ChatWrapper, systemItems: readonly ChatHistoryItem[]): Token {
  // The closing tokens follow the visitor's words, so they are tokenized as text that has content before it.
  const [first] = splitAtWordsEnd(chatWrapper, systemItems, '').closing.tokenize(model.tokenizer, 'trimLeadingSpace');
  if (first !== undefined && model.isSpecialToken(first)) return first;
  const fallback = model.tokens.eot ?? model.tokens.eos;
  if (fallback === null) {
    throw new EndOfTurnProbeUnavailableError(
      `the model has no end-of-turn token: its ${chatWrapper.wrapperName} chat template closes a user message with plain text, and it has no EOT or EOS token`,
      'use endpointing.backend: lexical with this model, or a model with a chat template',
    );
  }
  return fallback;
}

/** Tokens the sequence has evaluated: node-llama-cpp counts those whose logits were read as output. */
function evaluatedSoFar(sequence: LlamaContextSequence): number {
  return sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((token, index) => token === b[index]);
}
