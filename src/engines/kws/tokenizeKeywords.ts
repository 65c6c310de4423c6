import { KioskVoiceError } from '../../errors.js';
import type { SentencePieceModel } from './SentencePieceModel.js';

/** A wake phrase as the keyword spotter listens for it. */
export interface Keyword {
  /** As configured; what the engine reports when it is spotted. */
  phrase: string;
  /** Its pieces, each a symbol of tokens.txt. */
  tokens: string[];
  /**
   * The `@` text of sherpa's keyword line, which sherpa reports back on a detection. sherpa reads
   * the line word by word, so a space would end it and make the next word an unknown token (which
   * ends the process): spaces become "_".
   */
  label: string;
}

/** The keywords and the text handed to sherpa-onnx (its keywords-file format). */
export interface TokenizedKeywords {
  keywords: Keyword[];
  /** One line per keyword: space-separated tokens, then `@label`. */
  text: string;
}

/** A configured wake phrase cannot be spelt with the model's tokens. */
export class WakePhraseError extends KioskVoiceError {
  constructor(
    readonly configKey: string,
    readonly phrase: string,
    problem: string,
    hint: string,
  ) {
    super(`${configKey}: ${JSON.stringify(phrase)} ${problem}`, hint);
  }
}

/** Where the model's files came from, for the messages. */
export interface KeywordSources {
  phrasesKey: string;
  tokensKey: string;
  tokensPath: string;
  bpeKey: string;
}

/**
 * Cuts each phrase into the model's pieces and checks sherpa-onnx will accept every one: sherpa
 * ends the process (SHERPA_ONNX_EXIT) on a keyword token missing from tokens.txt, so each problem
 * is a WakePhraseError here, naming the phrase and what to do.
 */
export function tokenizeKeywords(
  phrases: readonly string[],
  model: SentencePieceModel,
  tokens: ReadonlyMap<string, number>,
  sources: KeywordSources,
): TokenizedKeywords {
  const keywords: Keyword[] = [];
  const byTokens = new Map<string, string>();
  const byLabel = new Map<string, string>();
  for (const phrase of phrases) {
    const fail = (problem: string, hint: string): never => {
      throw new WakePhraseError(sources.phrasesKey, phrase, problem, hint);
    };
    // sherpa's text2token passes text through as is, which is why its docs write gigaspeech
    // keywords in capitals ("HELLO WORLD" → "▁HE LL O ▁WORLD"); matching the vocabulary's case
    // here lets the config say "hey kiosk".
    const cased = model.letterCase === 'upper' ? phrase.toUpperCase() : model.letterCase === 'lower' ? phrase.toLowerCase() : phrase;
    const pieces = model.encode(cased);
    if (pieces.length === 0) fail('has no words', `write the wake phrase in ${sources.phrasesKey}`);
    const unknown = pieces.filter((p) => p.type === 'unknown').map((p) => JSON.stringify(p.piece));
    if (unknown.length > 0) {
      fail(
        `has characters the wake model has no token for: ${unknown.join(', ')}`,
        'write the phrase in plain words (letters the model knows, no punctuation or symbols), or choose another phrase',
      );
    }
    const symbols = pieces.filter((p) => p.type !== 'normal').map((p) => JSON.stringify(p.piece));
    if (symbols.length > 0) fail(`contains ${symbols.join(', ')}, a symbol of the model rather than a word`, 'remove it from the phrase');
    const spelt = pieces.map((p) => p.piece);
    const missing = spelt.filter((t) => !tokens.has(t)).map((t) => JSON.stringify(t));
    if (missing.length > 0) {
      fail(
        `is cut into ${spelt.join(' ')}, but ${sources.tokensPath} has no ${missing.join(', ')}`,
        `${sources.tokensKey} and ${sources.bpeKey} must come from the same model: point both at its tokens.txt and bpe.model`,
      );
    }
    const label = phrase.trim().toLowerCase().replace(/\s+/g, '_');
    const key = spelt.join(' ');
    const twin = byTokens.get(key) ?? byLabel.get(label);
    if (twin !== undefined) fail(`is the same keyword as ${JSON.stringify(twin)} (${key})`, `list it once in ${sources.phrasesKey}`);
    byTokens.set(key, phrase);
    byLabel.set(label, phrase);
    keywords.push({ phrase, tokens: spelt, label });
  }
  const text = keywords.map((k) => `${k.tokens.join(' ')} @${k.label}\n`).join('');
  return { keywords, text };
}
