import { statSync } from 'node:fs';
import sherpa from 'sherpa-onnx-node';
import type { KioskConfig } from '../../config/schema.js';
import { floatToInt16 } from '../../audio/pcm.js';
import {
  checkEspeakDataDir,
  checkRoles,
  checkTokens,
  loadNative,
  modelDir,
  modelFile,
  onnxInfo,
  requireMetadata,
  SherpaModelConfigError,
  SherpaModelFileError,
} from '../sherpaModelFiles.js';
import type { OnnxModelInfo } from '../onnxMetadata.js';
import type { TtsEngine } from './TtsEngine.js';

type SherpaTtsConfig = KioskConfig['tts']['sherpa'];
type Kind = SherpaTtsConfig['kind'];

const PREFIX = 'tts.sherpa';

const ROLES: Record<Kind, { required: readonly string[]; optional: readonly string[] }> = {
  // Piper voices phonemise with espeak-ng (dataDir); older VITS voices use a lexicon instead.
  vits: { required: ['model', 'tokens'], optional: ['dataDir', 'lexicon'] },
  kokoro: { required: ['model', 'voices', 'tokens', 'dataDir'], optional: ['lexicon'] },
  kitten: { required: ['model', 'voices', 'tokens', 'dataDir'], optional: [] },
  matcha: { required: ['acousticModel', 'vocoder', 'tokens'], optional: ['dataDir', 'lexicon'] },
};

/** Audio is handed out in blocks of this length so playback can start before the phrase is copied. */
const CHUNK_SECONDS = 0.1;

/**
 * Text to speech with sherpa-onnx's OfflineTts (Piper/VITS, Kokoro, Kitten, Matcha voices).
 *
 * One phrase per `speak` call: `generateAsync` runs on a libuv thread, so the worker's event loop
 * stays free to hear an abort. Its `onProgress` callback is never used — it had a use-after-free
 * (sherpa-onnx #3780). Generations are serialised: the native engine is not shared between two
 * concurrent calls, and `dispose` waits for the one in flight so the engine is not freed under it.
 *
 * espeak-ng is initialised once per process with the first data dir any voice names; a second
 * voice in the same process with another dataDir still uses the first one (sherpa's call_once).
 *
 * Construction checks every file first (see ../sherpaModelFiles.ts for why: a wrong file can end
 * the whole process instead of throwing).
 */
export class SherpaTts implements TtsEngine {
  readonly sampleRate: number;
  /** Speakers the voice offers; speaker ids run from 0 to numSpeakers - 1. */
  readonly numSpeakers: number;
  private tts: sherpa.OfflineTts | undefined;
  private readonly speakerId: number;
  private readonly speed: number;
  /** Settles when the generation in flight (if any) has finished. */
  private idle: Promise<void> = Promise.resolve();

  constructor(config: SherpaTtsConfig, modelsDir: string) {
    const { kind, files } = config;
    const roles = ROLES[kind];
    checkRoles(files, PREFIX, kind, roles.required, roles.optional);

    const file = (role: string, what: string): string => modelFile(modelsDir, files[role] as string, `${PREFIX}.files.${role}`, what);
    const dir = (role: string, what: string): string | undefined =>
      files[role] === undefined ? undefined : modelDir(modelsDir, files[role], `${PREFIX}.files.${role}`, what);
    // sherpa takes several lexicons as one comma-separated string.
    const lexicon = (): string | undefined =>
      files.lexicon === undefined
        ? undefined
        : files.lexicon
            .split(',')
            .map((p) => modelFile(modelsDir, p.trim(), `${PREFIX}.files.lexicon`, 'TTS lexicon'))
            .join(',');

    const tokens = file('tokens', 'TTS tokens file');
    const dataDir = dir('dataDir', 'espeak-ng data directory');
    if (dataDir !== undefined) checkEspeakDataDir(dataDir, `${PREFIX}.files.dataDir`);
    const lex = lexicon();

    let modelConfig: sherpa.OfflineTtsModelConfig;
    let mainModel: string;
    switch (kind) {
      case 'vits': {
        mainModel = file('model', 'VITS voice model');
        const info = onnxInfo(mainModel, `${PREFIX}.files.model`, 'VITS voice model');
        checkVits(info, mainModel, tokens, dataDir, lex);
        modelConfig = { vits: { model: mainModel, tokens, dataDir: dataDir ?? '', lexicon: lex ?? '' } };
        break;
      }
      case 'kokoro':
      case 'kitten': {
        mainModel = file('model', `${kind} voice model`);
        const voices = file('voices', `${kind} voices file`);
        const info = onnxInfo(mainModel, `${PREFIX}.files.model`, `${kind} voice model`);
        checkStyleModel(kind, info, mainModel, voices);
        checkTokens(tokens, `${PREFIX}.files.tokens`, 'phonemes');
        modelConfig =
          kind === 'kokoro'
            ? { kokoro: { model: mainModel, voices, tokens, dataDir: dataDir ?? '', lexicon: lex ?? '' } }
            : { kitten: { model: mainModel, voices, tokens, dataDir: dataDir ?? '' } };
        break;
      }
      case 'matcha': {
        mainModel = file('acousticModel', 'Matcha acoustic model');
        const vocoder = file('vocoder', 'Matcha vocoder');
        checkMatcha(mainModel, vocoder, tokens, dataDir, lex);
        modelConfig = { matcha: { acousticModel: mainModel, vocoder, tokens, dataDir: dataDir ?? '', lexicon: lex ?? '' } };
        break;
      }
    }

    const tts = loadNative(`${kind} voice`, mainModel, kind, () => {
      return new sherpa.OfflineTts({
        model: { ...modelConfig, numThreads: config.threads, provider: 'cpu', debug: 0 },
        maxNumSentences: 1,
      });
    });
    this.tts = tts;
    this.sampleRate = tts.sampleRate;
    this.numSpeakers = tts.numSpeakers;
    // sherpa quietly falls back to speaker 0 for an out-of-range id; a kiosk should say so instead.
    if (config.speakerId > 0 && config.speakerId >= Math.max(1, this.numSpeakers)) {
      throw new SherpaModelConfigError(
        `${PREFIX}.speakerId`,
        `${PREFIX}.speakerId ${config.speakerId} is out of range: this voice has ${Math.max(1, this.numSpeakers)} speaker(s)`,
        `set ${PREFIX}.speakerId between 0 and ${Math.max(1, this.numSpeakers) - 1}`,
      );
    }
    this.speakerId = config.speakerId;
    this.speed = config.speed;
  }

  async *speak(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const tts = this.tts;
    if (tts === undefined) throw new Error('SherpaTts used after dispose()');
    const phrase = text.trim();
    if (phrase === '' || signal.aborted) return;

    const generation = this.idle.then(() =>
      tts.generateAsync({ text: phrase, sid: this.speakerId, speed: this.speed, enableExternalBuffer: false }),
    );
    this.idle = generation.then(
      () => undefined,
      () => undefined,
    );

    // Barge-in must not wait for the native generation: stop listening to it at once and let it
    // finish in the background (`idle` keeps the next generation and dispose() behind it).
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    let audio: sherpa.GeneratedAudio | 'aborted';
    try {
      audio = await Promise.race([generation, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
    if (audio === 'aborted' || signal.aborted) return;

    const samples = audio.samples;
    const chunk = Math.max(1, Math.round(this.sampleRate * CHUNK_SECONDS));
    for (let start = 0; start < samples.length; start += chunk) {
      if (signal.aborted) return;
      yield floatToInt16(samples.subarray(start, Math.min(samples.length, start + chunk)));
    }
  }

  async dispose(): Promise<void> {
    await this.idle;
    // No explicit free in the addon: the native engine goes with the last reference to it.
    this.tts = undefined;
  }
}

function checkVits(
  info: OnnxModelInfo,
  path: string,
  tokens: string,
  dataDir: string | undefined,
  lexicon: string | undefined,
): void {
  const key = `${PREFIX}.files.model`;
  requireMetadata(info, path, key, 'VITS voice model', {
    sample_rate: 'int',
    n_speakers: 'int',
    language: 'str',
    comment: 'str',
  });
  const meta = info.metadata;
  const comment = meta.get('comment') ?? '';
  if (comment.includes('melo')) {
    // sherpa exits for MeloTTS exports older than version 2.
    requireMetadata(info, path, key, 'MeloTTS model (version 2 or later)', { version: 'int' });
    if (Number.parseInt(meta.get('version') ?? '0', 10) < 2) {
      throw new SherpaModelFileError(key, path, 'is a MeloTTS export older than version 2', 'download the current MeloTTS model for sherpa-onnx');
    }
  }
  const usesEspeak = ['piper', 'coqui', 'icefall', 'Inflect'].some((s) => comment.includes(s));
  const needsLexicon =
    meta.get('frontend') !== 'characters' &&
    (meta.get('jieba') === '1' || meta.get('has_g2pw') === '1' || comment.includes('melo') || !usesEspeak || dataDir === undefined);
  if (meta.get('frontend') === 'characters') {
    checkTokens(tokens, `${PREFIX}.files.tokens`, 'symbols');
  } else if (needsLexicon) {
    if (lexicon === undefined) {
      const piper = comment.includes('piper');
      throw new SherpaModelConfigError(
        piper ? `${PREFIX}.files.dataDir` : `${PREFIX}.files.lexicon`,
        piper
          ? `${PREFIX}.files.dataDir is not set: the Piper voice ${path} phonemises with espeak-ng and needs its espeak-ng-data directory`
          : `${PREFIX}.files.lexicon is not set: the VITS voice ${path} (${comment}) needs a lexicon`,
        piper ? 'point it at the espeak-ng-data folder that came with the voice' : 'point it at the lexicon.txt that came with the voice',
      );
    }
    checkTokens(tokens, `${PREFIX}.files.tokens`, 'symbols');
  } else {
    // Piper's phoneme ids: pad "_" always, bos "^" / eos "$" except for Inflect voices.
    const need = comment.includes('Inflect') ? [['_']] : comment.includes('coqui') ? [[',']] : [['_'], ['^'], ['$']];
    checkTokens(tokens, `${PREFIX}.files.tokens`, 'phonemes', need);
  }
}

/** Kokoro and Kitten: the voices file holds n_speakers style matrices of style_dim floats. */
function checkStyleModel(kind: 'kokoro' | 'kitten', info: OnnxModelInfo, path: string, voices: string): void {
  const key = `${PREFIX}.files.model`;
  const label = `${kind === 'kokoro' ? 'Kokoro' : 'Kitten'} voice model`;
  requireMetadata(info, path, key, label, {
    ...(kind === 'kitten' ? { model_type: 'str' as const } : {}),
    sample_rate: 'int',
    n_speakers: 'int',
    has_espeak: 'int',
    style_dim: 'ints',
  });
  if (kind === 'kitten' && info.metadata.get('model_type') !== 'kitten-tts') {
    throw new SherpaModelFileError(key, path, `is not a Kitten voice (model_type is "${info.metadata.get('model_type')}", not "kitten-tts")`, 'use the Kitten model converted by sherpa-onnx');
  }
  const dims = (info.metadata.get('style_dim') ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => Number.parseInt(s, 10));
  const speakers = Number.parseInt(info.metadata.get('n_speakers') ?? '0', 10);
  const expected = dims.reduce((a, b) => a * b, 1) * speakers * 4;
  const actual = statSync(voices).size;
  if (actual !== expected) {
    throw new SherpaModelFileError(
      `${PREFIX}.files.voices`,
      voices,
      `does not belong to ${path}: it has ${actual} bytes, the model's ${speakers} speakers × style_dim ${dims.join('×')} need ${expected}`,
      'use the voices.bin that came with the model',
    );
  }
}

function checkMatcha(acoustic: string, vocoder: string, tokens: string, dataDir: string | undefined, lexicon: string | undefined): void {
  const info = onnxInfo(acoustic, `${PREFIX}.files.acousticModel`, 'Matcha acoustic model');
  requireMetadata(info, acoustic, `${PREFIX}.files.acousticModel`, 'Matcha acoustic model', {
    sample_rate: 'int',
    n_speakers: 'int',
    use_eos_bos: 'int',
    pad_id: 'int',
  });
  const voc = onnxInfo(vocoder, `${PREFIX}.files.vocoder`, 'vocoder');
  const type = voc.metadata.get('model_type') ?? '';
  if (!['hifigan', 'vocos', 'matcha-tts vocos'].includes(type)) {
    throw new SherpaModelFileError(
      `${PREFIX}.files.vocoder`,
      vocoder,
      `is not a vocoder sherpa-onnx knows (model_type ${type === '' ? 'missing' : `"${type}"`}; expected hifigan or vocos)`,
      'use a vocoder from sherpa-onnx\'s vocoder-models release',
    );
  }
  if (dataDir === undefined && lexicon === undefined) {
    throw new SherpaModelConfigError(
      `${PREFIX}.files.dataDir`,
      `${PREFIX}.files.dataDir and ${PREFIX}.files.lexicon are both unset: a matcha voice needs espeak-ng data or a lexicon`,
      'set the one that came with the voice',
    );
  }
  checkTokens(tokens, `${PREFIX}.files.tokens`, dataDir !== undefined && info.metadata.get('has_espeak') === '1' ? 'phonemes' : 'symbols');
}
