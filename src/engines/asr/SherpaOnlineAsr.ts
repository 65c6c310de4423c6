import sherpa from 'sherpa-onnx-node';
import type { KioskConfig } from '../../config/schema.js';
import { int16ToFloat } from '../../audio/pcm.js';
import type { OnnxModelInfo } from '../onnxMetadata.js';
import {
  checkIcefallStreamingEncoder,
  checkTokens,
  loadNative,
  modelFile,
  onnxInfo,
  requireMetadata,
  SherpaModelFileError,
  streamingTransducerConfig,
  tidyTranscript,
  type MetaType,
} from '../sherpaModelFiles.js';
import type { AsrEngine } from './AsrEngine.js';

type SherpaOnlineConfig = KioskConfig['asr']['sherpaOnline'];

const PREFIX = 'asr.sherpaOnline';
const SAMPLE_RATE = 16000;
/** Silence appended at the end so the last word leaves the encoder's right context. */
const TAIL_PADDING_SECONDS = 0.3;

/** NeMo cache-aware streaming transducers (decoder with more than one output) read these instead. */
const NEMO_ENCODER_KEYS: Record<string, MetaType> = {
  vocab_size: 'int',
  window_size: 'int',
  chunk_shift: 'int',
  subsampling_factor: 'int',
  pred_rnn_layers: 'int',
  pred_hidden: 'int',
  cache_last_channel_dim1: 'int',
  cache_last_channel_dim2: 'int',
  cache_last_channel_dim3: 'int',
  cache_last_time_dim1: 'int',
  cache_last_time_dim2: 'int',
  cache_last_time_dim3: 'int',
};

/**
 * Streaming speech recognition with a sherpa-onnx transducer (streaming zipformer and friends):
 * decodes while the visitor speaks and reports partial transcripts as they change.
 *
 * A partial is reported when the text changes, and the current one again after every
 * `partialIntervalMs` of speech, so listeners get a steady heartbeat. The text itself can only
 * change when the encoder has a full chunk (its `decode_chunk_len` frames, exposed as `chunkMs`,
 * e.g. 320 ms for the 20M zipformer). Synchronous: run it in a worker.
 *
 * Construction checks every file first (see ../sherpaModelFiles.ts for why: a wrong file can end
 * the whole process instead of throwing).
 */
export class SherpaOnlineAsr implements AsrEngine {
  readonly streaming = true;
  /** Audio per encoder chunk in ms, from the encoder metadata; undefined if the model does not say. */
  readonly chunkMs: number | undefined;
  private recognizer: sherpa.OnlineRecognizer | undefined;
  private stream: sherpa.OnlineStream;
  /** The last partial reported, and the newest hypothesis (reported or not). */
  private lastPartial = '';
  private lastPartialCandidate = '';
  private fedSamples = 0;
  private samplesSincePartial = 0;
  private readonly partialIntervalSamples: number;

  constructor(config: SherpaOnlineConfig, modelsDir: string) {
    this.partialIntervalSamples = Math.round((config.partialIntervalMs * SAMPLE_RATE) / 1000);
    const encoder = modelFile(modelsDir, config.encoder, `${PREFIX}.encoder`, 'streaming ASR encoder');
    const decoder = modelFile(modelsDir, config.decoder, `${PREFIX}.decoder`, 'streaming ASR decoder');
    const joiner = modelFile(modelsDir, config.joiner, `${PREFIX}.joiner`, 'streaming ASR joiner');
    const tokens = modelFile(modelsDir, config.tokens, `${PREFIX}.tokens`, 'streaming ASR tokens file');

    const enc = onnxInfo(encoder, `${PREFIX}.encoder`, 'streaming transducer encoder');
    const dec = onnxInfo(decoder, `${PREFIX}.decoder`, 'streaming transducer decoder');
    const join = onnxInfo(joiner, `${PREFIX}.joiner`, 'streaming transducer joiner');
    checkTransducer(encoder, enc, decoder, dec, joiner, join);
    checkTokens(tokens, `${PREFIX}.tokens`, 'symbols');

    const chunkFrames = Number.parseInt(enc.metadata.get('decode_chunk_len') ?? '', 10);
    this.chunkMs = Number.isFinite(chunkFrames) && chunkFrames > 0 ? chunkFrames * 10 : undefined;

    const recognizer = loadNative('streaming transducer', encoder, 'streaming transducer', () => {
      return new sherpa.OnlineRecognizer({
        ...streamingTransducerConfig({ encoder, decoder, joiner, tokens }, config.threads),
        decodingMethod: 'greedy_search',
        // Endpoints come from the VAD; the recogniser only transcribes.
        enableEndpoint: 0,
      });
    });
    this.recognizer = recognizer;
    this.stream = recognizer.createStream();
  }

  /** Loaded in the constructor. */
  async ready(): Promise<void> {}

  startUtterance(): void {
    const recognizer = this.live();
    // A fresh stream: a stream that saw inputFinished() takes no more audio.
    this.stream = recognizer.createStream();
    this.lastPartial = '';
    this.lastPartialCandidate = '';
    this.fedSamples = 0;
    this.samplesSincePartial = 0;
  }

  acceptSpeech(samples: Int16Array): string | undefined {
    if (samples.length === 0) return undefined;
    const recognizer = this.live();
    this.stream.acceptWaveform({ samples: int16ToFloat(samples), sampleRate: SAMPLE_RATE });
    this.fedSamples += samples.length;
    this.samplesSincePartial += samples.length;
    if (this.decodeReady(recognizer)) this.lastPartialCandidate = tidyTranscript(recognizer.getResult(this.stream).text);
    const text = this.lastPartialCandidate;
    const changed = text !== this.lastPartial;
    if (text === '' || (!changed && this.samplesSincePartial < this.partialIntervalSamples)) return undefined;
    this.lastPartial = text;
    this.samplesSincePartial = 0;
    return text;
  }

  async finishUtterance(segment: Int16Array): Promise<string> {
    const recognizer = this.live();
    // A caller that only hands over the whole segment gets it recognised all the same.
    if (this.fedSamples === 0 && segment.length > 0) {
      this.stream.acceptWaveform({ samples: int16ToFloat(segment), sampleRate: SAMPLE_RATE });
      this.fedSamples = segment.length;
    }
    this.stream.acceptWaveform({
      samples: new Float32Array(Math.round(TAIL_PADDING_SECONDS * SAMPLE_RATE)),
      sampleRate: SAMPLE_RATE,
    });
    this.stream.inputFinished();
    this.decodeReady(recognizer);
    const text = tidyTranscript(recognizer.getResult(this.stream).text);
    this.startUtterance();
    return text;
  }

  dispose(): void {
    // The addon frees the recogniser and stream when they are collected.
    this.recognizer = undefined;
  }

  private decodeReady(recognizer: sherpa.OnlineRecognizer): boolean {
    let decoded = false;
    while (recognizer.isReady(this.stream)) {
      recognizer.decode(this.stream);
      decoded = true;
    }
    return decoded;
  }

  private live(): sherpa.OnlineRecognizer {
    if (this.recognizer === undefined) throw new Error('SherpaOnlineAsr used after dispose()');
    return this.recognizer;
  }
}

/**
 * Mirrors how sherpa-onnx picks the implementation: a decoder with one output is an icefall
 * transducer (encoder model_type says which), more outputs mean a NeMo streaming transducer.
 */
function checkTransducer(
  encoder: string,
  enc: OnnxModelInfo,
  decoder: string,
  dec: OnnxModelInfo,
  joiner: string,
  join: OnnxModelInfo,
): void {
  // A joiner that takes other inputs only fails at the first decode, where onnxruntime's exception
  // aborts the process: check its shape of call here (encoder frame + decoder output → logits).
  if (join.inputs.length !== 2 || join.outputs.length !== 1) {
    throw new SherpaModelFileError(
      `${PREFIX}.joiner`,
      joiner,
      `is not a transducer joiner: it takes ${join.inputs.length} inputs (${join.inputs.join(', ')}) and gives ${join.outputs.length} outputs; a joiner takes 2 and gives 1`,
      `point ${PREFIX}.joiner at the joiner of the same model as the encoder`,
    );
  }
  if (dec.outputs.length > 1) {
    requireMetadata(enc, encoder, `${PREFIX}.encoder`, 'NeMo streaming transducer encoder', NEMO_ENCODER_KEYS);
    return;
  }
  // The encoder model_types and metadata sherpa-onnx's icefall streaming transducers read.
  checkIcefallStreamingEncoder('transducer', { path: encoder, configKey: `${PREFIX}.encoder`, info: enc });
  requireMetadata(dec, decoder, `${PREFIX}.decoder`, 'transducer decoder', { vocab_size: 'int', context_size: 'int' });
  if (dec.inputs.length !== 1) {
    throw new SherpaModelFileError(
      `${PREFIX}.decoder`,
      decoder,
      `is not a transducer decoder: it takes ${dec.inputs.length} inputs (${dec.inputs.join(', ')}), a decoder takes the previous tokens only`,
      `point ${PREFIX}.decoder at the decoder of the same model as the encoder`,
    );
  }
}
