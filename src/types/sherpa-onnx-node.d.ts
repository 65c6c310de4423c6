/**
 * Types for the parts of sherpa-onnx-node (1.13.x) that kiosk-voice uses. The package ships JSDoc
 * typedefs only (node_modules/sherpa-onnx-node/types.js); these mirror them. Import it as the
 * default export: `import sherpa from 'sherpa-onnx-node'` (named ESM imports fail, it is CommonJS).
 *
 * Every constructor loads ONNX models synchronously and throws an Error when the native side
 * reports a bad config; some malformed models make the native side abort() the whole process
 * instead (see src/engines/sherpaModelFiles.ts), so check files before loading them.
 */
declare module 'sherpa-onnx-node' {
  namespace sherpa {
    /** 1-D float samples in [-1, 1] at `sampleRate`. */
    interface Waveform {
      samples: Float32Array;
      sampleRate: number;
    }

    interface FeatureConfig {
      sampleRate?: number;
      featureDim?: number;
    }

    // ---------------------------------------------------------------- VAD

    interface SileroVadModelConfig {
      model: string;
      threshold?: number;
      minSpeechDuration?: number;
      minSilenceDuration?: number;
      maxSpeechDuration?: number;
      /** Samples per window: 512 at 16 kHz for Silero v5/v6. */
      windowSize?: number;
    }

    interface VadConfig {
      sileroVad: SileroVadModelConfig;
      sampleRate?: number;
      numThreads?: number;
      provider?: string;
      debug?: boolean | number;
    }

    interface SpeechSegment {
      /** Index of the segment's first sample, counted from the first sample ever accepted. */
      start: number;
      samples: Float32Array;
    }

    class Vad {
      constructor(config: VadConfig, bufferSizeInSeconds: number);
      readonly config: VadConfig;
      acceptWaveform(samples: Float32Array): void;
      isEmpty(): boolean;
      isDetected(): boolean;
      /**
       * The earliest finished segment. With `enableExternalBuffer` (the default) `samples` views
       * native memory that `pop()` frees: copy it first if you keep it.
       */
      front(enableExternalBuffer?: boolean): SpeechSegment;
      pop(): void;
      flush(): void;
      reset(): void;
      clear(): void;
    }

    // ---------------------------------------------------------------- streaming ASR

    interface OnlineTransducerModelConfig {
      encoder?: string;
      decoder?: string;
      joiner?: string;
    }

    interface OnlineParaformerModelConfig {
      encoder?: string;
      decoder?: string;
    }

    interface OnlineModelConfig {
      transducer?: OnlineTransducerModelConfig;
      paraformer?: OnlineParaformerModelConfig;
      zipformer2Ctc?: { model?: string };
      nemoCtc?: { model?: string };
      toneCtc?: { model?: string };
      tokens?: string;
      numThreads?: number;
      debug?: boolean | number;
      provider?: string;
      modelType?: string;
      modelingUnit?: string;
      bpeVocab?: string;
    }

    interface HomophoneReplacerConfig {
      lexicon?: string;
      ruleFsts?: string;
    }

    interface OnlineRecognizerConfig {
      featConfig?: FeatureConfig;
      modelConfig?: OnlineModelConfig;
      hr?: HomophoneReplacerConfig;
      decodingMethod?: 'greedy_search' | 'modified_beam_search';
      maxActivePaths?: number;
      enableEndpoint?: boolean | number;
      rule1MinTrailingSilence?: number;
      rule2MinTrailingSilence?: number;
      rule3MinUtteranceLength?: number;
      hotwordsFile?: string;
      hotwordsScore?: number;
      ruleFsts?: string;
      ruleFars?: string;
      blankPenalty?: number;
    }

    interface OnlineRecognizerResult {
      text: string;
      tokens: string[];
      timestamps: number[];
      ys_probs?: number[];
      segment?: number;
      start_time?: number;
      is_final?: boolean;
      is_eof?: boolean;
    }

    class OnlineStream {
      acceptWaveform(wave: Waveform): void;
      inputFinished(): void;
      setOption(key: string, value: string): void;
      getOption(key: string): string;
      hasOption(key: string): boolean;
    }

    class OnlineRecognizer {
      constructor(config: OnlineRecognizerConfig);
      readonly config: OnlineRecognizerConfig;
      createStream(): OnlineStream;
      isReady(stream: OnlineStream): boolean;
      decode(stream: OnlineStream): void;
      decodeStreams(streams: OnlineStream[]): void;
      isEndpoint(stream: OnlineStream): boolean;
      reset(stream: OnlineStream): void;
      getResult(stream: OnlineStream): OnlineRecognizerResult;
    }

    // ---------------------------------------------------------------- keyword spotting

    interface KeywordSpotterConfig {
      featConfig?: FeatureConfig;
      /** A streaming transducer; the spotter reads the same keys as OnlineRecognizer. */
      modelConfig?: OnlineModelConfig;
      maxActivePaths?: number;
      /** Blanks that must follow a keyword's last token before it counts (sherpa's default 1). */
      numTrailingBlanks?: number;
      /** Boost per keyword token (sherpa's default 1.0). */
      keywordsScore?: number;
      /** Mean token probability a keyword needs (sherpa's default 0.25). */
      keywordsThreshold?: number;
      /** A keywords file: one keyword per line, tokens separated by spaces. Not with keywordsBuf. */
      keywordsFile?: string;
      /** The same text in memory. */
      keywordsBuf?: string;
      /** Its length in UTF-8 bytes (not JS characters: "▁" is 3 bytes); sherpa reads this many. */
      keywordsBufSize?: number;
    }

    interface KeywordResult {
      /** Seconds from the start of the stream. */
      start_time: number;
      /** The keyword's `@` text, or its tokens joined; "" while nothing was spotted. */
      keyword: string;
      timestamps: number[];
      tokens: string[];
    }

    class KeywordSpotter {
      constructor(config: KeywordSpotterConfig);
      readonly config: KeywordSpotterConfig;
      createStream(): OnlineStream;
      isReady(stream: OnlineStream): boolean;
      decode(stream: OnlineStream): void;
      /** Restarts the decoder and encoder state of `stream`; buffered audio stays. */
      reset(stream: OnlineStream): void;
      getResult(stream: OnlineStream): KeywordResult;
    }

    // ---------------------------------------------------------------- offline ASR

    interface OfflineModelConfig {
      transducer?: { encoder?: string; decoder?: string; joiner?: string };
      paraformer?: { model?: string };
      zipformerCtc?: { model?: string };
      wenetCtc?: { model?: string };
      nemoCtc?: { model?: string };
      dolphin?: { model?: string };
      whisper?: {
        encoder?: string;
        decoder?: string;
        language?: string;
        task?: string;
        tailPaddings?: number;
      };
      fireRedAsr?: { encoder?: string; decoder?: string };
      moonshine?: {
        preprocessor?: string;
        encoder?: string;
        uncachedDecoder?: string;
        cachedDecoder?: string;
      };
      tdnn?: { model?: string };
      senseVoice?: { model?: string; language?: string; useInverseTextNormalization?: number };
      tokens?: string;
      numThreads?: number;
      debug?: boolean | number;
      provider?: string;
      modelType?: string;
      modelingUnit?: string;
      bpeVocab?: string;
    }

    interface OfflineRecognizerConfig {
      featConfig?: FeatureConfig;
      modelConfig?: OfflineModelConfig;
      decodingMethod?: 'greedy_search' | 'modified_beam_search';
      maxActivePaths?: number;
      hotwordsFile?: string;
      hotwordsScore?: number;
      ruleFsts?: string;
      ruleFars?: string;
      blankPenalty?: number;
      hr?: HomophoneReplacerConfig;
    }

    interface OfflineRecognizerResult {
      text: string;
      tokens: string[];
      timestamps: number[];
      lang?: string;
      emotion?: string;
      event?: string;
      durations?: number[];
      ys_log_probs?: number[];
      words?: number[];
    }

    class OfflineStream {
      acceptWaveform(wave: Waveform): void;
      setOption(key: string, value: string): void;
    }

    class OfflineRecognizer {
      constructor(config: OfflineRecognizerConfig);
      static createAsync(config: OfflineRecognizerConfig): Promise<OfflineRecognizer>;
      readonly config: OfflineRecognizerConfig;
      createStream(hotwords?: string): OfflineStream;
      setConfig(config: OfflineRecognizerConfig): void;
      decode(stream: OfflineStream): void;
      decodeAsync(stream: OfflineStream): Promise<OfflineRecognizerResult>;
      getResult(stream: OfflineStream): OfflineRecognizerResult;
    }

    // ---------------------------------------------------------------- TTS

    interface OfflineTtsVitsModelConfig {
      model?: string;
      lexicon?: string;
      tokens?: string;
      dataDir?: string;
      noiseScale?: number;
      noiseScaleW?: number;
      lengthScale?: number;
    }

    interface OfflineTtsMatchaModelConfig {
      acousticModel?: string;
      vocoder?: string;
      lexicon?: string;
      tokens?: string;
      dataDir?: string;
      noiseScale?: number;
      lengthScale?: number;
    }

    interface OfflineTtsKokoroModelConfig {
      model?: string;
      voices?: string;
      tokens?: string;
      dataDir?: string;
      lengthScale?: number;
      lexicon?: string;
      lang?: string;
    }

    interface OfflineTtsKittenModelConfig {
      model?: string;
      voices?: string;
      tokens?: string;
      dataDir?: string;
      lengthScale?: number;
    }

    interface OfflineTtsModelConfig {
      vits?: OfflineTtsVitsModelConfig;
      matcha?: OfflineTtsMatchaModelConfig;
      kokoro?: OfflineTtsKokoroModelConfig;
      kitten?: OfflineTtsKittenModelConfig;
      numThreads?: number;
      debug?: boolean | number;
      provider?: string;
    }

    interface OfflineTtsConfig {
      model: OfflineTtsModelConfig;
      maxNumSentences?: number;
      silenceScale?: number;
      ruleFsts?: string;
      ruleFars?: string;
    }

    interface GeneratedAudio {
      samples: Float32Array;
      sampleRate: number;
    }

    interface TtsRequest {
      text: string;
      /** Speaker id. */
      sid: number;
      speed: number;
      /** Default true: `samples` views native memory. Pass false to get a JS-owned copy. */
      enableExternalBuffer?: boolean;
    }

    interface TtsAsyncRequest extends TtsRequest {
      /**
       * Do NOT use: the progress callback had a use-after-free in the addon (sherpa-onnx #3780).
       * Synthesise one phrase per call instead.
       */
      onProgress?: never;
    }

    class OfflineTts {
      constructor(config: OfflineTtsConfig);
      static createAsync(config: OfflineTtsConfig): Promise<OfflineTts>;
      readonly config: OfflineTtsConfig;
      readonly numSpeakers: number;
      readonly sampleRate: number;
      generate(request: TtsRequest): GeneratedAudio;
      generateAsync(request: TtsAsyncRequest): Promise<GeneratedAudio>;
    }

    // ---------------------------------------------------------------- misc

    function readWave(filename: string, enableExternalBuffer?: boolean): Waveform;
    function writeWave(filename: string, wave: Waveform): boolean;

    const version: string;
    const gitSha1: string;
    const gitDate: string;
    const onnxruntimeVersion: string;
  }

  export default sherpa;
}
