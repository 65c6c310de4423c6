/**
 * The wake-phrase engine against the real sherpa-onnx addon. No real keyword-spotter model can be
 * had on CI, so test/fixtures/make_tiny_sherpa_models.py writes one shaped like
 * sherpa-onnx-kws-zipformer-gigaspeech-3.3M (a streaming zipformer2 transducer with its states and
 * metadata, a unigram bpe.model, tokens.txt) whose joiner emits the tokens of "hey kiosk" on loud
 * frames and blank on silent ones. Through it the real pipeline runs: fbank features, the encoder
 * with its states stacked and unstacked per chunk, modified beam search over the keyword graph
 * sherpa built from the keywords buffer this engine wrote, and sherpa's matching thresholds.
 *
 * The negative cases run in this process on purpose: each is a file that would make the addon
 * _Exit, abort or segfault if it reached it, so a passing suite shows none did.
 *
 * Needs Debian python3-onnx and python3-numpy. Missing ones fail the suite.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, wakeSchema } from '../../src/config/schema.js';
import { KeywordSpotterEngine } from '../../src/engines/kws/KeywordSpotterEngine.js';
import { WakePhraseError } from '../../src/engines/kws/tokenizeKeywords.js';
import { readOnnxModelInfo } from '../../src/engines/onnxMetadata.js';
import { ModelFileMissingError } from '../../src/engines/resolveModelPath.js';
import { SherpaModelConfigError, SherpaModelFileError } from '../../src/engines/sherpaModelFiles.js';
import { KioskVoiceError } from '../../src/errors.js';
import { configForModelSet } from '../../src/models/configForModelSet.js';
import { loadManifest } from '../../src/models/manifestSchema.js';
import { sharedFile } from '../helpers/sharedModels.js';
import { thrown } from '../helpers/thrown.js';
import { findPython, TINY_SHERPA_MODELS_SCRIPT } from '../helpers/tinySherpaModels.js';

const SILERO = sharedFile('vad/silero_vad_v5.onnx');

interface Summary {
  kws: { encoder: string; decoder: string; joiner: string; tokens: string; bpe: string; phrase: string; phraseTokens: string[]; vocabSize: number };
  lstm: { encoder: string; decoder: string; joiner: string; tokens: string };
  nemoCtc: { model: string };
  piper: { model: string };
}

let dir: string;
let models: Summary;
let python: string;

beforeAll(() => {
  python = findPython();
  dir = mkdtempSync(join(tmpdir(), 'kv-kws-'));
  models = JSON.parse(execFileSync(python, [TINY_SHERPA_MODELS_SCRIPT, join(dir, 'gen')], { encoding: 'utf8' })) as Summary;
  writeFileSync(join(dir, 'not-onnx.onnx'), 'this is plain text, not a protobuf\n');
  const encoder = readFileSync(models.kws.encoder);
  writeFileSync(join(dir, 'truncated.onnx'), encoder.subarray(0, Math.floor(encoder.length / 2)));
  writeFileSync(join(dir, 'not-tokens.txt'), 'hello world, this is not a tokens file\n');
  // The right number of tokens, one of them renamed: passes the vocab check, lacks "OSK".
  writeFileSync(join(dir, 'tokens-without-osk.txt'), readFileSync(models.kws.tokens, 'utf8').replace(/^OSK /m, 'OSQ '));
  copyFileSync(SILERO, join(dir, 'silero.onnx'));
  // A zipformer2 encoder whose metadata promises more layers (so more state inputs) than it takes.
  execFileSync(python, [
    '-c',
    'import onnx, sys\nm = onnx.load(sys.argv[1])\nfor p in m.metadata_props:\n    if p.key == "num_encoder_layers": p.value = "2"\nonnx.save(m, sys.argv[2])',
    models.kws.encoder,
    join(dir, 'two-layer-claim.onnx'),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Files relative to the models dir, as a fetched model set names them. */
const rel = (abs: string): string => abs.slice(dir.length + 1);

const files = (): Record<string, string> => ({
  encoder: rel(models.kws.encoder),
  decoder: rel(models.kws.decoder),
  joiner: rel(models.kws.joiner),
  tokens: rel(models.kws.tokens),
  bpe: rel(models.kws.bpe),
});

const wake = (o: { files?: Record<string, string>; phrases?: string[] } = {}) =>
  wakeSchema.parse({ files: o.files ?? files(), phrases: o.phrases ?? ['hey kiosk'], threads: 1 });

/** 16 kHz s16: a tone with a little noise (loud), or digital silence. */
function audio(seconds: number, loud: boolean): Int16Array {
  const n = Math.round(16000 * seconds);
  const out = new Int16Array(n);
  if (!loud) return out;
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(6000 * Math.sin(i * 0.12) + (seed / 0x7fffffff - 0.5) * 600);
  }
  return out;
}

/** Feeds `samples` in 20 ms frames as the ears worker does; returns [ms fed when spotted, phrase]. */
function feed(engine: KeywordSpotterEngine, samples: Int16Array): Array<[number, string]> {
  const hits: Array<[number, string]> = [];
  for (let off = 0; off < samples.length; off += 320) {
    const end = Math.min(samples.length, off + 320);
    const phrase = engine.accept(samples.subarray(off, end));
    if (phrase !== undefined) hits.push([end / 16, phrase]);
  }
  return hits;
}

describe('fixture keyword spotter', () => {
  it('carries what sherpa-onnx reads for a zipformer2 transducer, as our ONNX reader sees it', () => {
    const enc = readOnnxModelInfo(models.kws.encoder);
    expect(enc.metadata.get('model_type')).toBe('zipformer2');
    // x, six states for the one layer, embed_states, processed_lens.
    expect(enc.inputs).toHaveLength(9);
    expect(enc.outputs).toHaveLength(9);
    expect(readOnnxModelInfo(models.kws.decoder).metadata.get('vocab_size')).toBe(String(models.kws.vocabSize));
    expect(readOnnxModelInfo(models.kws.joiner).outputShapes).toEqual([['N', models.kws.vocabSize]]);
  });
});

describe('model sets with a keyword spotter', () => {
  it.each(['pi4', 'pi5'])('%s points turn.wake.files at the gigaspeech archive, with the roles the engine takes', (set) => {
    const config = configSchema.parse(configForModelSet(loadManifest(), set));
    const d = 'kws/sherpa-onnx-kws-zipformer-gigaspeech-3.3M-2024-01-01';
    expect(config.turn.wake.files).toEqual({
      encoder: `${d}/encoder-epoch-12-avg-2-chunk-16-left-64.int8.onnx`,
      decoder: `${d}/decoder-epoch-12-avg-2-chunk-16-left-64.onnx`,
      joiner: `${d}/joiner-epoch-12-avg-2-chunk-16-left-64.int8.onnx`,
      tokens: `${d}/tokens.txt`,
      bpe: `${d}/bpe.model`,
    });
    expect(KeywordSpotterEngine.isConfigured(config.turn.wake)).toBe(true);
    // The roles pass the engine's role check; the files are looked for under the models dir.
    const e = thrown(ModelFileMissingError, () => KeywordSpotterEngine.create(config.turn.wake, dir));
    expect(e.path).toBe(join(dir, config.turn.wake.files.encoder ?? ''));
  });

  it('the test set has none: wake is off', () => {
    const config = configSchema.parse(configForModelSet(loadManifest(), 'test'));
    expect(KeywordSpotterEngine.isConfigured(config.turn.wake)).toBe(false);
  });
});

describe('KeywordSpotterEngine (tiny zipformer2 keyword spotter through the real addon)', () => {
  it('is off until files are configured', () => {
    expect(KeywordSpotterEngine.isConfigured(wakeSchema.parse({}))).toBe(false);
    expect(KeywordSpotterEngine.isConfigured(wake())).toBe(true);
  });

  it("cuts the phrase with bpe.model into the tokens the model spells, and hands sherpa that line", () => {
    const engine = KeywordSpotterEngine.create(wake(), dir);
    expect(models.kws.phraseTokens).toEqual(['▁HE', 'Y', '▁KI', 'OSK']);
    expect(engine.keywords).toEqual([{ phrase: 'hey kiosk', tokens: models.kws.phraseTokens, label: 'hey_kiosk' }]);
    expect(engine.keywordsText).toBe('▁HE Y ▁KI OSK @hey_kiosk\n');
    engine.dispose();
  });

  it('hears nothing in silence', () => {
    const engine = KeywordSpotterEngine.create(wake(), dir);
    expect(feed(engine, audio(3, false))).toEqual([]);
    engine.dispose();
  });

  it('spots the phrase once the model has emitted its tokens, reports it as configured, and starts afresh', () => {
    const engine = KeywordSpotterEngine.create(wake({ phrases: ['Hello', 'Hey Kiosk'] }), dir);
    expect(engine.keywordsText).toBe('▁HE LL O @hello\n▁HE Y ▁KI OSK @hey_kiosk\n');
    const hits = feed(engine, audio(1, true));
    expect(hits.length).toBeGreaterThanOrEqual(2);
    expect(hits.every(([, phrase]) => phrase === 'Hey Kiosk')).toBe(true);
    // Four tokens and two trailing blanks are six 40 ms encoder frames; the spotter decodes in
    // chunks of 160 ms once 230 ms of features are ready.
    expect(hits[0]![0]).toBeLessThanOrEqual(500);
    // After a detection the keyword is spelt again from scratch, not reported on every frame.
    const gaps = hits.slice(1).map(([ms], i) => ms - hits[i]![0]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
    // Silence after sound: at most the keyword the sound's last frames had begun (its trailing
    // blanks come with the silence), early on; then nothing.
    const tail = feed(engine, audio(2, false));
    expect(tail.length).toBeLessThanOrEqual(1);
    expect(tail.every(([ms]) => ms <= 500)).toBe(true);
    expect(feed(engine, audio(2, false))).toEqual([]);
    engine.dispose();
  });

  it('does not report a phrase whose tokens the model does not emit (the keywords buffer is what counts)', () => {
    const engine = KeywordSpotterEngine.create(wake({ phrases: ['hello', 'hi kiosk'] }), dir);
    expect(engine.keywordsText).toBe('▁HE LL O @hello\n▁HI ▁KI OSK @hi_kiosk\n');
    expect(feed(engine, audio(2, true))).toEqual([]);
    engine.dispose();
  });

  it('reset() forgets the audio heard so far', () => {
    // 0.2 s of sound is enough for the tokens; the detection comes with the silence after it.
    const kept = KeywordSpotterEngine.create(wake(), dir);
    expect(feed(kept, audio(0.2, true))).toEqual([]);
    expect(feed(kept, audio(1, false)).map(([, p]) => p)).toEqual(['hey kiosk']);
    kept.dispose();

    const reset = KeywordSpotterEngine.create(wake(), dir);
    expect(feed(reset, audio(0.2, true))).toEqual([]);
    reset.reset();
    expect(feed(reset, audio(1, false))).toEqual([]);
    // …and listens again afterwards.
    expect(feed(reset, audio(1, true)).length).toBeGreaterThan(0);
    reset.dispose();
  });

  it('cannot be used after dispose', () => {
    const engine = KeywordSpotterEngine.create(wake(), dir);
    engine.dispose();
    expect(() => engine.accept(audio(0.02, true))).toThrow(/after dispose/);
  });
});

describe('KeywordSpotterEngine refuses wrong files and phrases with one clear error, before the addon sees them', () => {
  const withFile = (role: string, path: string) => wake({ files: { ...files(), [role]: path } });

  it('wake not configured → names the missing roles', () => {
    const e = thrown(SherpaModelConfigError, () => KeywordSpotterEngine.create(wakeSchema.parse({}), dir));
    expect(e.configKey).toBe('turn.wake.files.encoder');
    expect(e.message).toContain('a keyword-spotter model needs encoder, decoder, joiner, tokens, bpe');
  });

  it('a role a keyword spotter does not use → named error', () => {
    const e = thrown(SherpaModelConfigError, () => KeywordSpotterEngine.create(wake({ files: { ...files(), model: 'x.onnx' } }), dir));
    expect(e.message).toContain('turn.wake.files.model is not used by a keyword-spotter model');
  });

  it('a missing file → ModelFileMissingError naming the role', () => {
    const e = thrown(ModelFileMissingError, () => KeywordSpotterEngine.create(withFile('joiner', 'kws/nope.onnx'), dir));
    expect(e.message).toContain('turn.wake.files.joiner');
    expect(e.path).toBe(join(dir, 'kws/nope.onnx'));
  });

  it('a text file as the encoder → not an ONNX model (the addon would abort)', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('encoder', 'not-onnx.onnx'), dir));
    expect(e.configKey).toBe('turn.wake.files.encoder');
    expect(e.message).toContain('is not an ONNX model');
  });

  it('a truncated encoder → not an ONNX model, re-download', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('encoder', 'truncated.onnx'), dir));
    expect(e.message).toContain('is not an ONNX model');
    expect(e.hint).toContain('re-download');
  });

  it('an offline ASR model (NeMo CTC) as the encoder → wrong model_type (the addon would segfault)', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('encoder', rel(models.nemoCtc.model)), dir));
    expect(e.message).toContain('is not a streaming transducer encoder: its model_type is "EncDecCTCModelBPE"');
  });

  it('the Silero VAD as the encoder → no model_type', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('encoder', 'silero.onnx'), dir));
    expect(e.message).toContain('model_type is missing');
  });

  it('encoder and decoder swapped → names the encoder', () => {
    const e = thrown(SherpaModelFileError, () =>
      KeywordSpotterEngine.create(wake({ files: { ...files(), encoder: rel(models.kws.decoder), decoder: rel(models.kws.encoder) } }), dir),
    );
    expect(e.configKey).toBe('turn.wake.files.encoder');
  });

  it('a zipformer2 encoder that takes other inputs than its metadata says → named error (the first decode would abort)', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('encoder', 'two-layer-claim.onnx'), dir));
    expect(e.message).toContain('num_encoder_layers says 2 layers, so 15 inputs, but it takes 9');
  });

  it('the Piper voice as the joiner → not a transducer joiner', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('joiner', rel(models.piper.model)), dir));
    expect(e.message).toContain('is not a transducer joiner: it takes 3 inputs');
  });

  it("the streaming ASR model's joiner → its logits do not match the decoder's vocabulary", () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('joiner', rel(models.lstm.joiner)), dir));
    expect(e.configKey).toBe('turn.wake.files.joiner');
    expect(e.message).toContain(`gives 7 logits per frame but the decoder ${models.kws.decoder} has vocab_size ${models.kws.vocabSize}`);
  });

  it("the streaming ASR model's tokens.txt → token ids do not match the decoder (the spotter would listen for other pieces)", () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('tokens', rel(models.lstm.tokens)), dir));
    expect(e.configKey).toBe('turn.wake.files.tokens');
    expect(e.message).toContain(`has 7 token ids but the decoder ${models.kws.decoder} has vocab_size ${models.kws.vocabSize}: they belong to different models`);
  });

  it('a text file as tokens → not a tokens file', () => {
    const e = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('tokens', 'not-tokens.txt'), dir));
    expect(e.message).toContain('is not a tokens file: line 1');
  });

  it('tokens.txt or an ONNX model as bpe.model → not a SentencePiece model', () => {
    const a = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('bpe', rel(models.kws.tokens)), dir));
    expect(a.configKey).toBe('turn.wake.files.bpe');
    expect(a.message).toContain('is not a SentencePiece model');
    const b = thrown(SherpaModelFileError, () => KeywordSpotterEngine.create(withFile('bpe', rel(models.kws.encoder)), dir));
    expect(b.message).toContain('is not a SentencePiece model (field 1 should be a message)');
  });

  it('a phrase with characters the model cannot spell → WakePhraseError naming it (sherpa would end the process)', () => {
    const e = thrown(WakePhraseError, () => KeywordSpotterEngine.create(wake({ phrases: ['hey kiosk', 'hey zebra'] }), dir));
    expect(e.configKey).toBe('turn.wake.phrases');
    expect(e.phrase).toBe('hey zebra');
    expect(e.message).toContain('"Z", "BRA"');
  });

  it('a phrase token missing from tokens.txt → says tokens.txt and bpe.model must match', () => {
    const e = thrown(WakePhraseError, () => KeywordSpotterEngine.create(withFile('tokens', 'tokens-without-osk.txt'), dir));
    expect(e.message).toContain('is cut into ▁HE Y ▁KI OSK, but');
    expect(e.message).toContain('has no "OSK"');
    expect(e.hint).toContain('turn.wake.files.tokens and turn.wake.files.bpe must come from the same model');
  });

  it('every refusal is one line saying what to do', () => {
    const errors = [
      () => KeywordSpotterEngine.create(withFile('encoder', 'silero.onnx'), dir),
      () => KeywordSpotterEngine.create(withFile('tokens', rel(models.lstm.tokens)), dir),
      () => KeywordSpotterEngine.create(wake({ phrases: ['hey zebra'] }), dir),
    ].map((fn) => thrown(KioskVoiceError, fn));
    for (const e of errors) {
      expect(e.hint).toBeTruthy();
      expect(e.toUserLine()).not.toContain('\n');
      expect(e.toUserLine()).toContain(' — ');
    }
  });
});
