/**
 * The sherpa-onnx adapters against the real addon. No real sherpa ASR/TTS model can be had on CI,
 * so test/fixtures/make_tiny_sherpa_models.py writes stand-ins with each model type's real
 * inputs, outputs and metadata (see that file). Through them the real pipeline runs: espeak-ng
 * phonemisation, Piper's phoneme ids and onnxruntime for TTS; fbank features, onnxruntime and
 * greedy CTC decoding for NeMo CTC; chunked fbank features, encoder states carried across chunks
 * and transducer greedy search for the streaming (LSTM) transducer.
 *
 * Needs Debian python3-onnx, python3-numpy and espeak-ng-data. Missing ones fail the suite.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sherpaOfflineAsrSchema, sherpaOnlineAsrSchema, sherpaTtsSchema } from '../../src/config/schema.js';
import { SherpaOfflineAsr } from '../../src/engines/asr/SherpaOfflineAsr.js';
import { SherpaOnlineAsr } from '../../src/engines/asr/SherpaOnlineAsr.js';
import { readOnnxModelInfo } from '../../src/engines/onnxMetadata.js';
import { ModelFileMissingError } from '../../src/engines/resolveModelPath.js';
import { SherpaModelConfigError, SherpaModelFileError } from '../../src/engines/sherpaModelFiles.js';
import { SherpaTts } from '../../src/engines/tts/SherpaTts.js';
import { KioskVoiceError } from '../../src/errors.js';
import { sharedFile } from '../helpers/sharedModels.js';
import { thrown } from '../helpers/thrown.js';
import { findPython, TINY_SHERPA_MODELS_SCRIPT } from '../helpers/tinySherpaModels.js';

const SILERO = sharedFile('vad/silero_vad_v5.onnx');

interface Summary {
  piper: { model: string; tokens: string; sampleRate: number; hop: number; amplitude: number };
  nemoCtc: { model: string; tokens: string; text: string; subsampling: number };
  lstm: { encoder: string; decoder: string; joiner: string; tokens: string; text: string; chunkFrames: number };
}

/** Debian puts espeak-ng-data under the multiarch lib dir. */
function findEspeakData(): string {
  const candidates = [
    '/usr/lib/x86_64-linux-gnu/espeak-ng-data',
    '/usr/lib/aarch64-linux-gnu/espeak-ng-data',
    '/usr/lib/arm-linux-gnueabihf/espeak-ng-data',
    '/usr/share/espeak-ng-data',
  ];
  const found = candidates.find((d) => existsSync(join(d, 'phontab')));
  if (!found) throw new Error(`espeak-ng data not found in ${candidates.join(', ')}: apt-get install espeak-ng-data`);
  return found;
}

let dir: string;
let models: Summary;
let espeakData: string;

beforeAll(() => {
  const python = findPython();
  espeakData = findEspeakData();
  dir = mkdtempSync(join(tmpdir(), 'kv-sherpa-'));
  const out = execFileSync(python, [TINY_SHERPA_MODELS_SCRIPT, join(dir, 'gen')], { encoding: 'utf8' });
  models = JSON.parse(out) as Summary;
  // Wrong files of every flavour, for the negative tests.
  writeFileSync(join(dir, 'not-tokens.txt'), 'hello world, this is not a tokens file\nsecond line\n');
  writeFileSync(join(dir, 'not-onnx.onnx'), 'this is plain text, not a protobuf\n');
  writeFileSync(join(dir, 'empty.onnx'), '');
  mkdirSync(join(dir, 'not-espeak'));
  copyFileSync(SILERO, join(dir, 'silero.onnx'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Files relative to the models dir, as a fetched model set would name them. */
const rel = (abs: string): string => abs.slice(dir.length + 1);

function piperConfig(overrides: { files?: Record<string, string>; speakerId?: number; speed?: number; kind?: 'vits' | 'kokoro' | 'kitten' | 'matcha' } = {}) {
  return sherpaTtsSchema.parse({
    kind: overrides.kind ?? 'vits',
    files: overrides.files ?? { model: rel(models.piper.model), tokens: rel(models.piper.tokens), dataDir: espeakData },
    speakerId: overrides.speakerId ?? 0,
    speed: overrides.speed ?? 1,
    threads: 1,
  });
}

async function collect(chunks: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

const total = (chunks: Int16Array[]): number => chunks.reduce((n, c) => n + c.length, 0);

describe('fixture models', () => {
  it('carry the metadata sherpa-onnx reads, as our ONNX reader sees it', () => {
    const piper = readOnnxModelInfo(models.piper.model);
    expect(piper.inputs).toEqual(['input', 'input_lengths', 'scales']);
    expect(piper.outputs).toEqual(['output']);
    expect(piper.metadata.get('comment')).toBe('piper');
    expect(piper.metadata.get('sample_rate')).toBe(String(models.piper.sampleRate));
    const nemo = readOnnxModelInfo(models.nemoCtc.model);
    expect(nemo.inputs).toEqual(['audio_signal', 'length']);
    expect(nemo.metadata.get('model_type')).toBe('EncDecCTCModelBPE');
    expect(nemo.metadata.get('vocab_size')).toBeDefined();
  });
});

describe('SherpaTts (Piper/VITS through the real addon)', () => {
  let tts: SherpaTts;
  beforeAll(() => {
    tts = new SherpaTts(piperConfig(), dir);
  });
  afterAll(async () => {
    await tts?.dispose();
  });

  it('reports the voice rate and speakers from the model', () => {
    expect(tts.sampleRate).toBe(models.piper.sampleRate);
    expect(tts.numSpeakers).toBe(1);
  });

  it('speaks the model\'s waveform in ~100 ms Int16 chunks', async () => {
    const chunks = await collect(tts.speak('Hello there.', new AbortController().signal));
    expect(chunks.length).toBeGreaterThan(1);
    const chunkSize = Math.round(models.piper.sampleRate / 10);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBe(chunkSize);
    expect(chunks.at(-1)!.length).toBeLessThanOrEqual(chunkSize);
    // The stand-in emits `hop` samples per phoneme id of a 440 Hz tone at amplitude 0.5.
    const n = total(chunks);
    expect(n % models.piper.hop).toBe(0);
    const all = Int16Array.from(chunks.flatMap((c) => Array.from(c)));
    const peak = all.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(models.piper.amplitude * 32767 * 0.98);
    expect(peak).toBeLessThanOrEqual(Math.ceil(models.piper.amplitude * 32767) + 1);
    expect(all[0]).toBe(0);
    expect(all[1]).toBe(Math.round(Math.sin((2 * Math.PI * 440) / models.piper.sampleRate) * models.piper.amplitude * 32767));
  });

  it('makes longer audio for longer text (espeak phonemes → Piper ids → model)', async () => {
    const signal = new AbortController().signal;
    const short = total(await collect(tts.speak('Hi.', signal)));
    const medium = total(await collect(tts.speak('We are open from nine.', signal)));
    const long = total(await collect(tts.speak('We are open from nine in the morning until half past five in the evening.', signal)));
    expect(short).toBeGreaterThan(0);
    expect(medium).toBeGreaterThan(short * 2);
    expect(long).toBeGreaterThan(medium * 2);
  });

  it('passes speed through (length_scale = 1 / speed)', async () => {
    const text = 'Please take a seat.';
    const normal = total(await collect(tts.speak(text, new AbortController().signal)));
    const fast = new SherpaTts(piperConfig({ speed: 2 }), dir);
    const quick = total(await collect(fast.speak(text, new AbortController().signal)));
    await fast.dispose();
    expect(Math.abs(quick - normal / 2)).toBeLessThanOrEqual(models.piper.hop);
  });

  it('yields nothing for an already aborted signal or empty text', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await collect(tts.speak('Hello.', ac.signal))).toEqual([]);
    expect(await collect(tts.speak('   ', new AbortController().signal))).toEqual([]);
  });

  it('stops quietly when aborted while the phrase is being synthesised', async () => {
    const ac = new AbortController();
    const it = tts.speak('Hello there, welcome to the front desk.', ac.signal)[Symbol.asyncIterator]();
    const first = it.next(); // generation starts now
    ac.abort();
    await expect(first).resolves.toEqual({ done: true, value: undefined });
    // The engine is still usable: the abandoned generation finishes in the background first.
    expect(total(await collect(tts.speak('Hello.', new AbortController().signal)))).toBeGreaterThan(0);
  });

  it('yields nothing more once aborted between chunks', async () => {
    const ac = new AbortController();
    const got: Int16Array[] = [];
    for await (const chunk of tts.speak('We are open from nine in the morning until half past five.', ac.signal)) {
      got.push(chunk);
      ac.abort();
    }
    expect(got).toHaveLength(1);
  });

  it('serialises concurrent phrases', async () => {
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([collect(tts.speak('First phrase.', signal)), collect(tts.speak('Second phrase here.', signal))]);
    expect(total(a)).toBeGreaterThan(0);
    expect(total(b)).toBeGreaterThan(total(a));
  });

  it('refuses a speaker id the voice does not have', () => {
    const e = thrown(SherpaModelConfigError, () => new SherpaTts(piperConfig({ speakerId: 3 }), dir));
    expect(e.message).toContain('tts.sherpa.speakerId 3');
  });

  it('cannot be used after dispose', async () => {
    const once = new SherpaTts(piperConfig(), dir);
    await once.dispose();
    await expect(collect(once.speak('Hello.', new AbortController().signal))).rejects.toThrow(/after dispose/);
  });
});

describe('SherpaTts refuses missing and wrong files before the addon sees them', () => {
  const files = () => ({ model: rel(models.piper.model), tokens: rel(models.piper.tokens), dataDir: espeakData });

  it('missing model file → ModelFileMissingError with the path and config key', () => {
    const e = thrown(ModelFileMissingError, () => new SherpaTts(piperConfig({ files: { ...files(), model: 'tts/nope.onnx' } }), dir));
    expect(e.path).toBe(join(dir, 'tts/nope.onnx'));
    expect(e.message).toContain('tts.sherpa.files.model');
    expect(e.message).toContain(join(dir, 'tts/nope.onnx'));
  });

  it('empty model file → named error', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), model: 'empty.onnx' } }), dir));
    expect(e.message).toMatch(/tts\.sherpa\.files\.model \(.*empty\.onnx\) is empty/);
  });

  it('the Silero VAD given as the voice → named error listing the missing metadata (the addon would _Exit)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), model: 'silero.onnx' } }), dir));
    expect(e.configKey).toBe('tts.sherpa.files.model');
    expect(e.path).toBe(join(dir, 'silero.onnx'));
    expect(e.message).toContain('is not a VITS voice model');
    expect(e.message).toContain('sample_rate, n_speakers, language, comment');
  });

  it('a text file given as the voice → not an ONNX model (the addon would abort)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), model: 'not-onnx.onnx' } }), dir));
    expect(e.message).toContain('is not an ONNX model');
  });

  it('a text file as tokens → not a tokens file, with the line', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), tokens: 'not-tokens.txt' } }), dir));
    expect(e.configKey).toBe('tts.sherpa.files.tokens');
    expect(e.message).toContain('is not a tokens file: line 1');
  });

  it('ASR tokens given to a Piper voice → named error', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), tokens: rel(models.nemoCtc.tokens) } }), dir));
    expect(e.message).toContain('single character');
  });

  it('a Piper voice without espeak-ng data → names files.dataDir', () => {
    const { dataDir: _d, ...noData } = files();
    const e = thrown(SherpaModelConfigError, () => new SherpaTts(piperConfig({ files: noData }), dir));
    expect(e.configKey).toBe('tts.sherpa.files.dataDir');
  });

  it('a dataDir that is not espeak-ng data → named error', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ files: { ...files(), dataDir: 'not-espeak' } }), dir));
    expect(e.message).toContain('is not an espeak-ng data directory');
  });

  it('a role the kind needs is missing → names it', () => {
    const e = thrown(SherpaModelConfigError, () => new SherpaTts(piperConfig({ kind: 'kokoro', files: files() }), dir));
    expect(e.configKey).toBe('tts.sherpa.files.voices');
    expect(e.message).toContain('a kokoro model needs model, voices, tokens, dataDir');
  });

  it('files of another kind → says the role is not used by this kind', () => {
    const e = thrown(SherpaModelConfigError, () => new SherpaTts(piperConfig({ files: { ...files(), voices: 'voices.bin' } }), dir));
    expect(e.message).toContain('tts.sherpa.files.voices is not used by a vits model');
  });

  it('a Piper voice given as a kokoro model → missing metadata, not a crash', () => {
    writeFileSync(join(dir, 'voices.bin'), Buffer.alloc(1024));
    const e = thrown(SherpaModelFileError, () => new SherpaTts(piperConfig({ kind: 'kokoro', files: { ...files(), voices: 'voices.bin' } }), dir));
    expect(e.message).toContain('is not a Kokoro voice model');
    expect(e.message).toContain('style_dim');
  });

  it('every error is a KioskVoiceError with a hint for the user', () => {
    const e = thrown(KioskVoiceError, () => new SherpaTts(piperConfig({ files: { ...files(), model: 'silero.onnx' } }), dir));
    expect(e.hint).toBeTruthy();
    expect(e.toUserLine()).toContain(' — ');
  });
});

/** 16 kHz s16 audio: a tone with a little noise, `seconds` long. */
function speechLike(seconds: number): Int16Array {
  const n = Math.round(16000 * seconds);
  const out = new Int16Array(n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(6000 * Math.sin(i * 0.12) + ((seed / 0x7fffffff) - 0.5) * 600);
  }
  return out;
}

function offlineConfig(kind: 'moonshine' | 'whisper' | 'sense-voice' | 'nemo-ctc' | 'transducer', files: Record<string, string>, tokens?: string) {
  return sherpaOfflineAsrSchema.parse({ kind, files, tokens: tokens ?? rel(models.nemoCtc.tokens), threads: 1 });
}

describe('SherpaOfflineAsr (NeMo CTC through the real addon)', () => {
  let asr: SherpaOfflineAsr;
  beforeAll(() => {
    asr = new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: rel(models.nemoCtc.model) }), dir);
  });
  afterAll(() => asr?.dispose());

  it('is a segment recogniser: no partials', () => {
    expect(asr.streaming).toBe(false);
    asr.startUtterance();
    expect(asr.acceptSpeech(speechLike(0.5))).toBeUndefined();
  });

  it('recognises a segment: features → model → greedy CTC → tokens.txt', async () => {
    expect(await asr.finishUtterance(speechLike(1.2))).toBe(models.nemoCtc.text);
    // Again, to show the engine is reusable utterance after utterance.
    asr.startUtterance();
    expect(await asr.finishUtterance(speechLike(2))).toBe(models.nemoCtc.text);
  });

  it('returns what fits in a short segment, and "" for no audio', async () => {
    // 0.2 s → ~19 feature frames → 4 output frames: blank, "the", blank, "kiosk".
    expect(await asr.finishUtterance(speechLike(0.2))).toBe('the kiosk');
    expect(await asr.finishUtterance(new Int16Array(0))).toBe('');
  });

  it('cannot be used after dispose', async () => {
    const once = new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: rel(models.nemoCtc.model) }), dir);
    once.dispose();
    await expect(once.finishUtterance(speechLike(0.5))).rejects.toThrow(/after dispose/);
  });
});

describe('SherpaOfflineAsr refuses missing and wrong files', () => {
  it('missing model → ModelFileMissingError naming the role', () => {
    const e = thrown(ModelFileMissingError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: 'asr/nope.onnx' }), dir));
    expect(e.message).toContain('asr.sherpaOffline.files.model');
    expect(e.path).toBe(join(dir, 'asr/nope.onnx'));
  });

  it('missing tokens → ModelFileMissingError naming asr.sherpaOffline.tokens', () => {
    const e = thrown(ModelFileMissingError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: rel(models.nemoCtc.model) }, 'asr/tokens.txt'), dir));
    expect(e.message).toContain('asr.sherpaOffline.tokens');
  });

  it('a role the kind needs is missing → names it', () => {
    const e = thrown(SherpaModelConfigError, () => new SherpaOfflineAsr(offlineConfig('moonshine', { encoder: rel(models.nemoCtc.model) }), dir));
    expect(e.configKey).toBe('asr.sherpaOffline.files.preprocessor');
    expect(e.message).toContain('asr.sherpaOffline.files.preprocessor, asr.sherpaOffline.files.uncachedDecoder, asr.sherpaOffline.files.cachedDecoder are not set');
  });

  it('roles of another kind (model for whisper) → named error', () => {
    const e = thrown(SherpaModelConfigError, () =>
      new SherpaOfflineAsr(offlineConfig('whisper', { encoder: rel(models.nemoCtc.model), decoder: rel(models.nemoCtc.model), model: 'x.onnx' }), dir),
    );
    expect(e.message).toContain('asr.sherpaOffline.files.model is not used by a whisper model');
  });

  it('the Silero VAD as the NeMo model → lacks vocab_size (the addon would _Exit)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: 'silero.onnx' }), dir));
    expect(e.message).toContain('lacks the ONNX metadata vocab_size, subsampling_factor');
  });

  it('the NeMo CTC model given as a Whisper encoder → lacks the Whisper metadata', () => {
    const e = thrown(SherpaModelFileError, () =>
      new SherpaOfflineAsr(offlineConfig('whisper', { encoder: rel(models.nemoCtc.model), decoder: rel(models.nemoCtc.model) }), dir),
    );
    expect(e.message).toContain('is not a Whisper encoder');
  });

  it('the NeMo CTC model as a transducer encoder → wrong model_type', () => {
    const m = rel(models.nemoCtc.model);
    const e = thrown(SherpaModelFileError, () => new SherpaOfflineAsr(offlineConfig('transducer', { encoder: m, decoder: m, joiner: m }), dir));
    expect(e.message).toContain('model_type is "EncDecCTCModelBPE"');
  });

  it('Piper tokens for a CTC model → lacks a blank token (the addon would _Exit)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: rel(models.nemoCtc.model) }, rel(models.piper.tokens)), dir));
    expect(e.message).toContain('"<blk>" or "<eps>" or "<blank>"');
  });

  it('a text file as tokens → not a tokens file', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: rel(models.nemoCtc.model) }, 'not-tokens.txt'), dir));
    expect(e.configKey).toBe('asr.sherpaOffline.tokens');
  });

  it('a text file as the model → not an ONNX model (the addon would abort)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOfflineAsr(offlineConfig('nemo-ctc', { model: 'not-onnx.onnx' }), dir));
    expect(e.message).toContain('is not an ONNX model');
  });
});

/** Feeds `segment` in 20 ms frames like the ears worker does; returns [ms of audio fed, partial] pairs. */
function stream(asr: SherpaOnlineAsr, segment: Int16Array): Array<[number, string]> {
  const partials: Array<[number, string]> = [];
  for (let off = 0; off < segment.length; off += 320) {
    const p = asr.acceptSpeech(segment.subarray(off, Math.min(segment.length, off + 320)));
    if (p !== undefined) partials.push([Math.min(segment.length, off + 320) / 16, p]);
  }
  return partials;
}

describe('SherpaOnlineAsr (streaming LSTM transducer through the real addon)', () => {
  let asr: SherpaOnlineAsr;
  const lstmConfig = () =>
    sherpaOnlineAsrSchema.parse({
      encoder: rel(models.lstm.encoder),
      decoder: rel(models.lstm.decoder),
      joiner: rel(models.lstm.joiner),
      tokens: rel(models.lstm.tokens),
      threads: 1,
    });
  beforeAll(() => {
    asr = new SherpaOnlineAsr(lstmConfig(), dir);
  });
  afterAll(() => asr?.dispose());

  it('is streaming, with the chunk length the encoder metadata gives', () => {
    expect(asr.streaming).toBe(true);
    expect(asr.chunkMs).toBe(models.lstm.chunkFrames * 10);
  });

  it('reports growing partials while audio streams in, at least every partialIntervalMs of speech', () => {
    asr.startUtterance();
    const partials = stream(asr, speechLike(1.5));
    expect(partials.length).toBeGreaterThanOrEqual(2);
    // Each partial extends the previous one and leads to the full text.
    for (let i = 1; i < partials.length; i++) expect(partials[i]![1].startsWith(partials[i - 1]![1])).toBe(true);
    expect(partials.at(-1)![1]).toBe(models.lstm.text);
    // The first words are out after the first chunk or two, long before the utterance ends.
    expect(partials[0]![0]).toBeLessThanOrEqual(2 * models.lstm.chunkFrames * 10 + 40);
    // Once words are out, a partial (new or repeated) comes at least every 100 ms of speech.
    const gaps = partials.slice(1).map(([ms], i) => ms - partials[i]![0]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(100);
    const more = stream(asr, speechLike(0.5));
    expect(more.length).toBeGreaterThanOrEqual(4);
    expect(more.every(([, p]) => p === models.lstm.text)).toBe(true);
  });

  it('finishes with the final text and starts the next utterance clean', async () => {
    expect(await asr.finishUtterance(new Int16Array(0))).toBe(models.lstm.text);
    asr.startUtterance();
    const again = stream(asr, speechLike(1));
    expect(again.at(-1)![1]).toBe(models.lstm.text);
    expect(await asr.finishUtterance(new Int16Array(0))).toBe(models.lstm.text);
  });

  it('pads the end so the last chunk is decoded', async () => {
    // 0.3 s of speech fills only part of a chunk after the first ones; the padding flushes it.
    asr.startUtterance();
    stream(asr, speechLike(0.3));
    const final = await asr.finishUtterance(new Int16Array(0));
    expect(final.startsWith('where is')).toBe(true);
    expect(final.split(' ').length).toBeGreaterThan(2);
  });

  it('recognises a segment handed over only at the end', async () => {
    asr.startUtterance();
    expect(await asr.finishUtterance(speechLike(1))).toBe(models.lstm.text);
  });

  it('cannot be used after dispose', () => {
    const once = new SherpaOnlineAsr(lstmConfig(), dir);
    once.dispose();
    expect(() => once.acceptSpeech(speechLike(0.1))).toThrow(/after dispose/);
  });
});

describe('SherpaOnlineAsr refuses missing and wrong files', () => {
  const online = (o: Partial<Record<'encoder' | 'decoder' | 'joiner' | 'tokens', string>>) =>
    sherpaOnlineAsrSchema.parse({
      encoder: o.encoder ?? rel(models.nemoCtc.model),
      decoder: o.decoder ?? rel(models.nemoCtc.model),
      joiner: o.joiner ?? rel(models.nemoCtc.model),
      tokens: o.tokens ?? rel(models.nemoCtc.tokens),
      threads: 1,
    });

  it('missing encoder → ModelFileMissingError naming asr.sherpaOnline.encoder', () => {
    const e = thrown(ModelFileMissingError, () => new SherpaOnlineAsr(online({ encoder: 'asr/encoder.onnx' }), dir));
    expect(e.message).toContain('asr.sherpaOnline.encoder');
    expect(e.path).toBe(join(dir, 'asr/encoder.onnx'));
  });

  it('the Silero VAD as encoder → no model_type (the addon would _Exit)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOnlineAsr(online({ encoder: 'silero.onnx' }), dir));
    expect(e.message).toContain('model_type is missing');
  });

  it('an offline model as encoder → unknown model_type (the addon would segfault)', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOnlineAsr(online({}), dir));
    expect(e.message).toContain('is not a streaming transducer encoder: its model_type is "EncDecCTCModelBPE"');
  });

  it('a joiner of another shape (the Piper voice) → named error before the first decode would abort', () => {
    const e = thrown(SherpaModelFileError, () =>
      new SherpaOnlineAsr(
        online({ encoder: rel(models.lstm.encoder), decoder: rel(models.lstm.decoder), joiner: rel(models.piper.model), tokens: rel(models.lstm.tokens) }),
        dir,
      ),
    );
    expect(e.configKey).toBe('asr.sherpaOnline.joiner');
    expect(e.message).toContain('is not a transducer joiner: it takes 3 inputs');
  });

  it('encoder and decoder swapped → named error', () => {
    const e = thrown(SherpaModelFileError, () =>
      new SherpaOnlineAsr(
        online({ encoder: rel(models.lstm.decoder), decoder: rel(models.lstm.encoder), joiner: rel(models.lstm.joiner), tokens: rel(models.lstm.tokens) }),
        dir,
      ),
    );
    expect(e.configKey).toBe('asr.sherpaOnline.encoder');
  });

  it('a text file as joiner → not an ONNX model', () => {
    const e = thrown(SherpaModelFileError, () => new SherpaOnlineAsr(online({ joiner: 'not-onnx.onnx' }), dir));
    expect(e.configKey).toBe('asr.sherpaOnline.joiner');
  });
});
