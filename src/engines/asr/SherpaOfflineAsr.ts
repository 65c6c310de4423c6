import sherpa from 'sherpa-onnx-node';
import type { KioskConfig } from '../../config/schema.js';
import { int16ToFloat } from '../../audio/pcm.js';
import {
  checkRoles,
  checkTokens,
  loadNative,
  modelFile,
  onnxInfo,
  requireMetadata,
  SherpaModelFileError,
  tidyTranscript,
  type MetaType,
} from '../sherpaModelFiles.js';
import type { AsrEngine } from './AsrEngine.js';

type SherpaOfflineConfig = KioskConfig['asr']['sherpaOffline'];
type Kind = SherpaOfflineConfig['kind'];

const PREFIX = 'asr.sherpaOffline';
const SAMPLE_RATE = 16000;

/** File roles per kind, named after sherpa-onnx-node's config keys. */
const ROLES: Record<Kind, readonly string[]> = {
  moonshine: ['preprocessor', 'encoder', 'uncachedDecoder', 'cachedDecoder'],
  whisper: ['encoder', 'decoder'],
  'sense-voice': ['model'],
  'nemo-ctc': ['model'],
  transducer: ['encoder', 'decoder', 'joiner'],
};

const LABEL: Record<Kind, string> = {
  moonshine: 'Moonshine',
  whisper: 'Whisper',
  'sense-voice': 'SenseVoice',
  'nemo-ctc': 'NeMo CTC',
  transducer: 'offline transducer',
};

/** Metadata sherpa-onnx's loader for each file reads without a default (offline-*-model.cc). */
const WHISPER_ENCODER_KEYS: Record<string, MetaType> = {
  n_mels: 'int',
  n_text_layer: 'int',
  n_text_ctx: 'int',
  n_text_state: 'int',
  n_vocab: 'int',
  sot: 'int',
  eot: 'int',
  blank_id: 'int',
  translate: 'int',
  transcribe: 'int',
  is_multilingual: 'int',
  no_timestamps: 'int',
  no_speech: 'int',
  sot_sequence: 'ints',
};

const SENSE_VOICE_KEYS: Record<string, MetaType> = {
  vocab_size: 'int',
  lfr_window_size: 'int',
  lfr_window_shift: 'int',
  normalize_samples: 'int',
};

const SENSE_VOICE_FULL_KEYS: Record<string, MetaType> = {
  with_itn: 'int',
  without_itn: 'int',
  lang_auto: 'int',
  lang_zh: 'int',
  lang_en: 'int',
  lang_ja: 'int',
  lang_ko: 'int',
  lang_yue: 'int',
  neg_mean: 'floats',
  inv_stddev: 'floats',
};

/**
 * Segment recognition with a sherpa-onnx offline model (Moonshine, Whisper, SenseVoice, NeMo CTC,
 * offline transducer): nothing happens while the visitor speaks; `finishUtterance` recognises the
 * padded VAD segment in one go. Synchronous decode: run it in a worker.
 *
 * Construction checks every file first (see ../sherpaModelFiles.ts for why: a wrong file can end
 * the whole process instead of throwing).
 */
export class SherpaOfflineAsr implements AsrEngine {
  readonly streaming = false;
  readonly kind: Kind;
  private recognizer: sherpa.OfflineRecognizer | undefined;

  constructor(config: SherpaOfflineConfig, modelsDir: string) {
    const { kind, files } = config;
    this.kind = kind;
    const label = LABEL[kind];
    checkRoles(files, PREFIX, kind, ROLES[kind]);
    const file = (role: string): string =>
      modelFile(modelsDir, files[role] as string, `${PREFIX}.files.${role}`, `${label} ${role} file`);
    const info = (role: string, path: string) => onnxInfo(path, `${PREFIX}.files.${role}`, `${label} ${role}`);

    const tokens = modelFile(modelsDir, config.tokens, `${PREFIX}.tokens`, `${label} tokens file`);
    let modelConfig: sherpa.OfflineModelConfig;
    let main: string;
    switch (kind) {
      case 'moonshine': {
        const [preprocessor, encoder, uncachedDecoder, cachedDecoder] = ROLES.moonshine.map((role) => {
          const path = file(role);
          info(role, path);
          return path;
        }) as [string, string, string, string];
        main = encoder;
        modelConfig = { moonshine: { preprocessor, encoder, uncachedDecoder, cachedDecoder } };
        checkTokens(tokens, `${PREFIX}.tokens`, 'symbols');
        break;
      }
      case 'whisper': {
        const encoder = file('encoder');
        const decoder = file('decoder');
        requireMetadata(info('encoder', encoder), encoder, `${PREFIX}.files.encoder`, 'Whisper encoder', WHISPER_ENCODER_KEYS);
        info('decoder', decoder);
        main = encoder;
        modelConfig = { whisper: { encoder, decoder, language: '', task: 'transcribe' } };
        checkTokens(tokens, `${PREFIX}.tokens`, 'symbols');
        break;
      }
      case 'sense-voice': {
        const model = file('model');
        const meta = info('model', model);
        const nano = (meta.metadata.get('comment') ?? '').includes('Nano');
        requireMetadata(meta, model, `${PREFIX}.files.model`, 'SenseVoice model', {
          ...SENSE_VOICE_KEYS,
          ...(nano ? {} : SENSE_VOICE_FULL_KEYS),
        });
        main = model;
        modelConfig = { senseVoice: { model, language: '', useInverseTextNormalization: 1 } };
        checkTokens(tokens, `${PREFIX}.tokens`, 'symbols');
        break;
      }
      case 'nemo-ctc': {
        const model = file('model');
        requireMetadata(info('model', model), model, `${PREFIX}.files.model`, 'NeMo CTC model', {
          vocab_size: 'int',
          subsampling_factor: 'int',
        });
        main = model;
        modelConfig = { nemoCtc: { model } };
        // Greedy CTC decoding exits the process when tokens.txt names no blank.
        checkTokens(tokens, `${PREFIX}.tokens`, 'symbols', [['<blk>', '<eps>', '<blank>']]);
        break;
      }
      case 'transducer': {
        const encoder = file('encoder');
        const decoder = file('decoder');
        const joiner = file('joiner');
        const enc = info('encoder', encoder);
        const dec = info('decoder', decoder);
        const join = info('joiner', joiner);
        // A mismatched joiner would only fail at the first decode, and that failure aborts.
        if (join.inputs.length !== 2 || join.outputs.length !== 1) {
          throw new SherpaModelFileError(
            `${PREFIX}.files.joiner`,
            joiner,
            `is not a transducer joiner: it takes ${join.inputs.length} inputs (${join.inputs.join(', ')}) and gives ${join.outputs.length} outputs; a joiner takes 2 and gives 1`,
            `point ${PREFIX}.files.joiner at the joiner of the same model as the encoder`,
          );
        }
        const type = enc.metadata.get('model_type') ?? '';
        if (['conformer', 'zipformer', 'zipformer2'].includes(type)) {
          requireMetadata(dec, decoder, `${PREFIX}.files.decoder`, 'transducer decoder', { vocab_size: 'int', context_size: 'int' });
        } else if (['EncDecRNNTBPEModel', 'EncDecHybridRNNTCTCBPEModel'].includes(type)) {
          requireMetadata(enc, encoder, `${PREFIX}.files.encoder`, 'NeMo transducer encoder', {
            vocab_size: 'int',
            subsampling_factor: 'int',
            pred_rnn_layers: 'int',
            pred_hidden: 'int',
          });
        } else {
          throw new SherpaModelFileError(
            `${PREFIX}.files.encoder`,
            encoder,
            `is not an offline transducer encoder: its model_type is ${type === '' ? 'missing' : `"${type}"`} (sherpa-onnx takes zipformer, zipformer2, conformer, EncDecRNNTBPEModel, EncDecHybridRNNTCTCBPEModel)`,
            `point ${PREFIX}.files.encoder at the encoder of a non-streaming transducer exported for sherpa-onnx`,
          );
        }
        main = encoder;
        modelConfig = { transducer: { encoder, decoder, joiner } };
        checkTokens(tokens, `${PREFIX}.tokens`, 'symbols');
        break;
      }
    }

    this.recognizer = loadNative(`${label} model`, main, label, () => {
      return new sherpa.OfflineRecognizer({
        featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
        modelConfig: { ...modelConfig, tokens, numThreads: config.threads, provider: 'cpu', debug: 0 },
        decodingMethod: 'greedy_search',
      });
    });
  }

  /** Loaded in the constructor. */
  async ready(): Promise<void> {}

  startUtterance(): void {}

  acceptSpeech(_samples: Int16Array): string | undefined {
    return undefined;
  }

  async finishUtterance(segment: Int16Array): Promise<string> {
    const recognizer = this.recognizer;
    if (recognizer === undefined) throw new Error('SherpaOfflineAsr used after dispose()');
    if (segment.length === 0) return '';
    const stream = recognizer.createStream();
    stream.acceptWaveform({ samples: int16ToFloat(segment), sampleRate: SAMPLE_RATE });
    recognizer.decode(stream);
    return tidyTranscript(recognizer.getResult(stream).text);
  }

  dispose(): void {
    // The addon frees the recogniser when it is collected.
    this.recognizer = undefined;
  }
}
