import sherpa from 'sherpa-onnx-node';
import type { KioskConfig } from '../../config/schema.js';
import { int16ToFloat } from '../../audio/pcm.js';
import {
  checkIcefallStreamingTransducer,
  checkRoles,
  checkTokens,
  checkTokensMatchVocab,
  loadNative,
  modelFile,
  onnxInfo,
  SherpaModelFileError,
  streamingTransducerConfig,
  type OnnxPart,
} from '../sherpaModelFiles.js';
import { SentencePieceModel, SentencePieceModelError } from './SentencePieceModel.js';
import { tokenizeKeywords, type Keyword } from './tokenizeKeywords.js';

type WakeConfig = KioskConfig['turn']['wake'];

const PREFIX = 'turn.wake';
const ROLES = ['encoder', 'decoder', 'joiner', 'tokens', 'bpe'] as const;
const SAMPLE_RATE = 16000;
/** sherpa-onnx's defaults, stated so a sherpa upgrade cannot change them silently. */
const MAX_ACTIVE_PATHS = 4;
const NUM_TRAILING_BLANKS = 1;

/**
 * The wake phrase: a sherpa-onnx KeywordSpotter (a streaming transducer, e.g.
 * sherpa-onnx-kws-zipformer-gigaspeech-3.3M) listening for the configured phrases, which are cut
 * into the model's tokens with its bpe.model when the engine is created.
 *
 * Feed it 16 kHz mono audio as it arrives; `accept` returns the configured phrase when it was
 * spotted (then the spotter starts afresh). Synchronous: run it in a worker.
 *
 * Creation checks every file first (see ../sherpaModelFiles.ts: a wrong file can end the whole
 * process instead of throwing), and every phrase too (sherpa ends the process on a keyword token
 * missing from tokens.txt).
 */
export class KeywordSpotterEngine {
  private spotter: sherpa.KeywordSpotter | undefined;
  private stream: sherpa.OnlineStream;
  private readonly phraseByLabel: ReadonlyMap<string, string>;

  private constructor(
    spotter: sherpa.KeywordSpotter,
    /** The phrases with the tokens they were cut into. */
    readonly keywords: readonly Keyword[],
    /** Exactly what sherpa-onnx was given as its keywords (sherpa's keywords-file format). */
    readonly keywordsText: string,
  ) {
    this.spotter = spotter;
    this.stream = spotter.createStream();
    this.phraseByLabel = new Map(keywords.map((k) => [k.label, k.phrase]));
  }

  /** Wake is off until keyword-spotter files are configured. */
  static isConfigured(config: WakeConfig): boolean {
    return Object.keys(config.files).length > 0;
  }

  /**
   * Checks the model files and phrases, then loads the spotter. Throws a KioskVoiceError naming
   * the config key for a missing or wrong file or an unspellable phrase.
   */
  static create(config: WakeConfig, modelsDir: string): KeywordSpotterEngine {
    checkRoles(config.files, PREFIX, 'keyword-spotter', ROLES);
    const [encoder, decoder, joiner, tokens, bpe] = ROLES.map((role) =>
      modelFile(modelsDir, config.files[role] ?? '', `${PREFIX}.files.${role}`, `keyword-spotter ${role} file`),
    ) as [string, string, string, string, string];

    const part = (path: string, role: string): OnnxPart => {
      const configKey = `${PREFIX}.files.${role}`;
      return { path, configKey, info: onnxInfo(path, configKey, `keyword-spotter ${role}`) };
    };
    const dec = part(decoder, 'decoder');
    checkIcefallStreamingTransducer('keyword spotter', part(encoder, 'encoder'), dec, part(joiner, 'joiner'));
    const tokensKey = `${PREFIX}.files.tokens`;
    const table = checkTokens(tokens, tokensKey, 'symbols');
    checkTokensMatchVocab(table, tokens, tokensKey, dec);

    const bpeKey = `${PREFIX}.files.bpe`;
    let model: SentencePieceModel;
    try {
      model = SentencePieceModel.read(bpe);
    } catch (e) {
      if (!(e instanceof SentencePieceModelError)) throw e;
      throw new SherpaModelFileError(
        bpeKey,
        bpe,
        `is not a SentencePiece model (${e.reason})`,
        `point ${bpeKey} at the bpe.model that came with the keyword spotter`,
      );
    }
    const { keywords, text } = tokenizeKeywords(config.phrases, model, table, {
      phrasesKey: `${PREFIX}.phrases`,
      tokensKey,
      tokensPath: tokens,
      bpeKey,
    });

    const spotter = loadNative('keyword spotter', encoder, 'streaming transducer keyword-spotter', () => {
      return new sherpa.KeywordSpotter({
        ...streamingTransducerConfig({ encoder, decoder, joiner, tokens }, config.threads),
        maxActivePaths: MAX_ACTIVE_PATHS,
        numTrailingBlanks: NUM_TRAILING_BLANKS,
        keywordsScore: config.score,
        keywordsThreshold: config.threshold,
        // In memory rather than a temp file; sherpa copies keywordsBufSize *bytes*.
        keywordsBuf: text,
        keywordsBufSize: Buffer.byteLength(text, 'utf8'),
      });
    });
    return new KeywordSpotterEngine(spotter, keywords, text);
  }

  /**
   * Feeds 16 kHz mono samples; returns the configured phrase if it was spotted in the audio so
   * far. After a detection the spotter starts listening afresh from the audio that follows.
   */
  accept(samples: Int16Array): string | undefined {
    const spotter = this.live();
    if (samples.length > 0) this.stream.acceptWaveform({ samples: int16ToFloat(samples), sampleRate: SAMPLE_RATE });
    while (spotter.isReady(this.stream)) {
      spotter.decode(this.stream);
      const { keyword } = spotter.getResult(this.stream);
      if (keyword !== '') {
        // The result keeps the keyword until the stream is reset (sherpa's examples do the same).
        spotter.reset(this.stream);
        return this.phraseByLabel.get(keyword) ?? keyword;
      }
    }
    return undefined;
  }

  /**
   * Forgets the audio heard so far (e.g. while the agent was speaking): a new stream, since the
   * addon's reset keeps buffered audio.
   */
  reset(): void {
    this.stream = this.live().createStream();
  }

  dispose(): void {
    // The addon frees the spotter and its stream when they are collected.
    this.spotter = undefined;
  }

  private live(): sherpa.KeywordSpotter {
    if (this.spotter === undefined) throw new Error('KeywordSpotterEngine used after dispose()');
    return this.spotter;
  }
}
