import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type sherpa from 'sherpa-onnx-node';
import { KioskVoiceError } from '../errors.js';
import { OnnxFormatError, readOnnxModelInfo, type OnnxModelInfo } from './onnxMetadata.js';
import { protoFields, WIRE_LEN } from './protobufReader.js';
import { resolveModelPath } from './resolveModelPath.js';

/*
 * Why the sherpa adapters check model files themselves before they touch the addon
 * (measured with sherpa-onnx-node 1.13.8, onnxruntime 1.28.2, on Linux x64):
 *
 *   - a file that does not exist           → the addon throws "Please check your config!" (safe)
 *   - an ONNX that lacks the metadata the model type reads (e.g. the Silero VAD given as a TTS or
 *     ASR model), a tokens.txt in the wrong format, a CTC tokens.txt without <blk>
 *                                          → sherpa prints a line on stderr and calls _Exit(255):
 *                                            the WHOLE process ends, no exception, no cleanup
 *   - a file that is not ONNX at all (text, GGUF, truncated download)
 *                                          → an uncaught Ort::Exception: std::terminate → SIGABRT
 *   - an ONNX whose model_type the online transducer does not know → a null model → SIGSEGV
 *
 * Workers do not contain any of these: _Exit, abort and a segfault take the main thread with them.
 * So every file is checked here first — exists, is non-empty, is ONNX, carries the metadata keys
 * sherpa-onnx's loader for that model type reads, tokens.txt parses the way sherpa parses it —
 * and each failure is a named error naming the file and the config key. What these cheap checks
 * cannot see (an ONNX with the right metadata but the wrong graph, an opset onnxruntime rejects)
 * can still kill the process: `kiosk-voice doctor` is meant to load each configured model once in
 * a child process, where a crash is a diagnosis rather than an outage.
 */

/** The config names a model file or role that cannot work (missing role, unknown role, bad value). */
export class SherpaModelConfigError extends KioskVoiceError {
  constructor(
    readonly configKey: string,
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

/** A configured model file exists but is not what the model type needs. */
export class SherpaModelFileError extends KioskVoiceError {
  constructor(
    readonly configKey: string,
    readonly path: string,
    problem: string,
    hint: string,
  ) {
    super(`${configKey} (${path}) ${problem}`, hint);
  }
}

/** The addon refused a model that passed our checks. */
export class SherpaModelLoadError extends KioskVoiceError {
  constructor(
    readonly what: string,
    readonly path: string,
    readonly kind: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `could not load the ${what} at ${path}: ${reason}`,
      `check that the files belong to a ${kind} model (sherpa-onnx printed its reason on stderr)`,
      options,
    );
  }
}

/** A model file named by `configKey`: absolute path, known to exist and be a non-empty file. */
export function modelFile(modelsDir: string, configured: string, configKey: string, what: string): string {
  const path = resolveModelPath(modelsDir, configured, `${what} (${configKey})`);
  const st = statSync(path);
  if (!st.isFile()) {
    throw new SherpaModelFileError(configKey, path, 'is not a file', `point ${configKey} at the ${what}`);
  }
  if (st.size === 0) {
    throw new SherpaModelFileError(
      configKey,
      path,
      'is empty',
      'the download was probably interrupted: run `kiosk-voice models fetch` again',
    );
  }
  return path;
}

/** A model directory named by `configKey`, known to exist. */
export function modelDir(modelsDir: string, configured: string, configKey: string, what: string): string {
  const path = resolveModelPath(modelsDir, configured, `${what} (${configKey})`);
  if (!statSync(path).isDirectory()) {
    throw new SherpaModelFileError(configKey, path, 'is not a directory', `point ${configKey} at the ${what}`);
  }
  return path;
}

/** espeak-ng's data directory: sherpa checks these four, then espeak_Initialize would _Exit. */
export function checkEspeakDataDir(dir: string, configKey: string): void {
  const missing = ['phontab', 'phonindex', 'phondata', 'intonations'].filter((f) => {
    try {
      return !statSync(join(dir, f)).isFile();
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new SherpaModelFileError(
      configKey,
      dir,
      `is not an espeak-ng data directory (no ${missing.join(', ')})`,
      'use the espeak-ng-data folder that ships with the voice (or Debian espeak-ng-data)',
    );
  }
}

/** Parses the ONNX header, or a named error saying the file is not an ONNX model. */
export function onnxInfo(path: string, configKey: string, what: string): OnnxModelInfo {
  try {
    return readOnnxModelInfo(path);
  } catch (e) {
    if (e instanceof OnnxFormatError) {
      throw new SherpaModelFileError(
        configKey,
        path,
        `is not an ONNX model (${e.message.slice(e.message.indexOf(': ') + 2)})`,
        `point ${configKey} at the ${what} .onnx file, and re-download it if it is truncated`,
      );
    }
    throw e;
  }
}

/** How sherpa-onnx parses a metadata value (SHERPA_ONNX_READ_META_DATA*). */
export type MetaType = 'int' | 'str' | 'ints' | 'floats';

const INT = /^\s*\+?\d+/;
const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function metaValueOk(value: string, type: MetaType): boolean {
  switch (type) {
    case 'str':
      return value.length > 0;
    case 'int':
      return INT.test(value);
    case 'ints':
      return value.split(',').filter((s) => s !== '').length > 0 && value.split(',').every((s) => s === '' || /^\s*-?\d+\s*$/.test(s));
    case 'floats':
      return value.split(',').filter((s) => s !== '').length > 0 && value.split(',').every((s) => s === '' || FLOAT.test(s));
  }
}

/**
 * Every key must be present (sherpa treats an empty value as missing) and parse as `type`; one
 * error lists every problem so a wrong file is recognised at once.
 */
export function requireMetadata(
  info: OnnxModelInfo,
  path: string,
  configKey: string,
  modelLabel: string,
  keys: Record<string, MetaType>,
): void {
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const [key, type] of Object.entries(keys)) {
    const value = info.metadata.get(key);
    if (value === undefined || value === '') missing.push(key);
    else if (!metaValueOk(value, type)) invalid.push(`${key}=${JSON.stringify(value)}`);
  }
  if (missing.length === 0 && invalid.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`lacks the ONNX metadata ${missing.join(', ')}`);
  if (invalid.length > 0) parts.push(`has invalid metadata ${invalid.join(', ')}`);
  throw new SherpaModelFileError(
    configKey,
    path,
    `is not a ${modelLabel}: it ${parts.join(' and ')}`,
    `point ${configKey} at a ${modelLabel} exported for sherpa-onnx (its export scripts add this metadata), or fix the model kind in the config`,
  );
}

/**
 * tokens.txt formats:
 * - `symbols`: ASR symbol tables — `<symbol> <id>` per line (a lone `<id>` means a space).
 * - `phonemes`: espeak-based TTS (Piper/VITS, Kokoro, Kitten, Matcha) — same, but every symbol is one
 *   Unicode code point and appears once.
 * `requireOneOf`: groups of symbols of which at least one per group must be present.
 */
export function checkTokens(
  path: string,
  configKey: string,
  style: 'symbols' | 'phonemes',
  requireOneOf: string[][] = [],
): Map<string, number> {
  const text = readFileSync(path, 'utf8');
  const table = new Map<string, number>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const bad = (n: number, line: string, why: string): never => {
    throw new SherpaModelFileError(
      configKey,
      path,
      `is not a tokens file: line ${n} ${JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line)} ${why}`,
      `point ${configKey} at the tokens.txt that came with the model`,
    );
  };
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const parts = line.split(/[ \t]+/).filter((p) => p !== '');
    if (parts.length === 0) bad(i + 1, line, 'is empty');
    let symbol: string;
    let id: string;
    if (parts.length === 1) {
      symbol = ' ';
      id = parts[0] as string;
    } else if (parts.length === 2) {
      symbol = parts[0] as string;
      id = parts[1] as string;
    } else {
      return bad(i + 1, line, 'should be "<symbol> <id>"');
    }
    if (!/^-?\d+$/.test(id)) bad(i + 1, line, 'should end in an integer id');
    if (style === 'phonemes') {
      if ([...symbol].length !== 1 && symbol !== '<BLNK>') bad(i + 1, line, 'should name a single character');
      if (table.has(symbol)) bad(i + 1, line, 'repeats a symbol');
    }
    table.set(symbol, Number(id));
  });
  for (const group of requireOneOf) {
    if (!group.some((s) => table.has(s))) {
      throw new SherpaModelFileError(
        configKey,
        path,
        `lacks the token ${group.map((s) => JSON.stringify(s)).join(' or ')} this model type needs`,
        `point ${configKey} at the tokens.txt that came with the model`,
      );
    }
  }
  return table;
}

/**
 * Encoder metadata each icefall streaming transducer type reads, by the encoder's `model_type`
 * (sherpa-onnx online-*-transducer-model.cc). These are the types OnlineTransducerModel::Create
 * knows, which is what the keyword spotter loads; any other model_type makes it a null model.
 */
export const ICEFALL_STREAMING_ENCODER_KEYS: Readonly<Record<string, Readonly<Record<string, MetaType>>>> = {
  zipformer2: {
    encoder_dims: 'ints',
    query_head_dims: 'ints',
    value_head_dims: 'ints',
    num_heads: 'ints',
    num_encoder_layers: 'ints',
    cnn_module_kernels: 'ints',
    left_context_len: 'ints',
    T: 'int',
    decode_chunk_len: 'int',
  },
  zipformer: {
    encoder_dims: 'ints',
    attention_dims: 'ints',
    num_encoder_layers: 'ints',
    cnn_module_kernels: 'ints',
    left_context_len: 'ints',
    T: 'int',
    decode_chunk_len: 'int',
  },
  conformer: {
    num_encoder_layers: 'int',
    T: 'int',
    decode_chunk_len: 'int',
    left_context: 'int',
    encoder_dim: 'int',
    pad_length: 'int',
    cnn_module_kernel: 'int',
  },
  lstm: { num_encoder_layers: 'int', T: 'int', decode_chunk_len: 'int', rnn_hidden_size: 'int', d_model: 'int' },
  ebranchformer: {
    decode_chunk_len: 'int',
    T: 'int',
    num_hidden_layers: 'int',
    hidden_size: 'int',
    intermediate_size: 'int',
    csgu_kernel_size: 'int',
    merge_conv_kernel: 'int',
    left_context_len: 'int',
    num_heads: 'int',
    head_dim: 'int',
  },
};

/** One ONNX file of a model: where it is, which config key named it, what its header says. */
export interface OnnxPart {
  path: string;
  configKey: string;
  info: OnnxModelInfo;
}

/**
 * Checks an icefall streaming transducer encoder's `model_type` is one sherpa-onnx knows (any
 * other is a null model: SIGSEGV) and that it carries the metadata that type reads (missing
 * metadata is _Exit); returns the model_type. `kind` names the model in the hint, e.g.
 * "transducer" or "keyword spotter".
 */
export function checkIcefallStreamingEncoder(kind: string, encoder: OnnxPart): string {
  const type = encoder.info.metadata.get('model_type') ?? '';
  const keys = ICEFALL_STREAMING_ENCODER_KEYS[type];
  if (keys === undefined) {
    throw new SherpaModelFileError(
      encoder.configKey,
      encoder.path,
      `is not a streaming transducer encoder: its model_type is ${type === '' ? 'missing' : `"${type}"`} (sherpa-onnx takes ${Object.keys(ICEFALL_STREAMING_ENCODER_KEYS).join(', ')})`,
      `point ${encoder.configKey} at the encoder of a streaming ${kind} exported for sherpa-onnx`,
    );
  }
  requireMetadata(encoder.info, encoder.path, encoder.configKey, `streaming ${type} transducer encoder`, keys);
  return type;
}

/**
 * Checks encoder, decoder and joiner form an icefall streaming transducer sherpa-onnx can run
 * (`kind` names the model in messages, e.g. "keyword spotter"). What each check prevents:
 * an unknown model_type is a null model (SIGSEGV), missing metadata is _Exit, and a joiner,
 * decoder or zipformer2 encoder taking other inputs only fails at the first decode and takes the
 * process with it (a zipformer2 encoder whose metadata claims two layers but takes one layer's
 * states: SIGSEGV, measured with 1.13.8); a joiner with fewer logits than vocab_size is read
 * past its end.
 */
export function checkIcefallStreamingTransducer(kind: string, encoder: OnnxPart, decoder: OnnxPart, joiner: OnnxPart): void {
  const type = checkIcefallStreamingEncoder(kind, encoder);
  if (type === 'zipformer2') {
    // x, six cached tensors per layer, then embed_states and processed_lens (GetEncoderInitStates).
    const layers = (encoder.info.metadata.get('num_encoder_layers') ?? '')
      .split(',')
      .filter((v) => v.trim() !== '')
      .reduce((sum, v) => sum + Number.parseInt(v, 10), 0);
    const expected = 1 + 6 * layers + 2;
    if (encoder.info.inputs.length !== expected) {
      throw new SherpaModelFileError(
        encoder.configKey,
        encoder.path,
        `does not match its own metadata: num_encoder_layers says ${layers} layers, so ${expected} inputs, but it takes ${encoder.info.inputs.length}`,
        `re-export or re-download the encoder; point ${encoder.configKey} at the streaming ${kind}'s encoder`,
      );
    }
  }
  requireMetadata(decoder.info, decoder.path, decoder.configKey, 'transducer decoder', { vocab_size: 'int', context_size: 'int' });
  if (decoder.info.inputs.length !== 1 || decoder.info.outputs.length !== 1) {
    throw new SherpaModelFileError(
      decoder.configKey,
      decoder.path,
      `is not an icefall transducer decoder: it takes ${decoder.info.inputs.length} inputs (${decoder.info.inputs.join(', ')}) and gives ${decoder.info.outputs.length} outputs; one of each is expected`,
      `point ${decoder.configKey} at the decoder of the same model as the encoder`,
    );
  }
  if (joiner.info.inputs.length !== 2 || joiner.info.outputs.length !== 1) {
    throw new SherpaModelFileError(
      joiner.configKey,
      joiner.path,
      `is not a transducer joiner: it takes ${joiner.info.inputs.length} inputs (${joiner.info.inputs.join(', ')}) and gives ${joiner.info.outputs.length} outputs; a joiner takes 2 and gives 1`,
      `point ${joiner.configKey} at the joiner of the same model as the encoder`,
    );
  }
  const logits = joiner.info.outputShapes?.[0]?.at(-1);
  const vocab = Number.parseInt(decoder.info.metadata.get('vocab_size') ?? '', 10);
  if (typeof logits === 'number' && logits !== vocab) {
    throw new SherpaModelFileError(
      joiner.configKey,
      joiner.path,
      `gives ${logits} logits per frame but the decoder ${decoder.path} has vocab_size ${vocab}: they belong to different models`,
      `point ${joiner.configKey} and ${decoder.configKey} at the joiner and decoder of the same model`,
    );
  }
}

/**
 * tokens.txt must name every token id the decoder can emit (0 … vocab_size - 1) and no other.
 * One from another model loads fine and is wrong everywhere: ids name other pieces (a keyword
 * spotter then listens for the wrong tokens), and where sherpa turns an emitted id missing from
 * it into text (SymbolTable's id2sym_.at) the exception aborts the process. Returns vocab_size.
 */
export function checkTokensMatchVocab(tokens: ReadonlyMap<string, number>, tokensPath: string, tokensKey: string, decoder: OnnxPart): number {
  const vocab = Number.parseInt(decoder.info.metadata.get('vocab_size') ?? '', 10);
  const ids = new Set(tokens.values());
  const outside = [...ids].filter((id) => id < 0 || id >= vocab);
  if (ids.size !== vocab || outside.length > 0) {
    throw new SherpaModelFileError(
      tokensKey,
      tokensPath,
      `has ${ids.size} token ids${outside.length > 0 ? ` (${outside.length} outside 0…${vocab - 1})` : ''} but the decoder ${decoder.path} has vocab_size ${vocab}: they belong to different models`,
      `point ${tokensKey} at the tokens.txt that came with ${decoder.configKey}`,
    );
  }
  return vocab;
}

/**
 * Runs an addon constructor and turns its exception into a named error. (It only throws for
 * problems it reports back; see the note at the top for the ones that end the process.)
 */
export function loadNative<T>(what: string, path: string, kind: string, create: () => T): T {
  try {
    return create();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SherpaModelLoadError(what, path, kind, reason, { cause: e });
  }
}

/** The four files of a streaming transducer, as paths checked by the caller. */
export interface StreamingTransducerFiles {
  encoder: string;
  decoder: string;
  joiner: string;
  tokens: string;
}

/**
 * What every streaming transducer here is loaded with (the recogniser and the keyword spotter):
 * 16 kHz audio, 80-bin fbank as icefall's models are trained on, onnxruntime on the CPU.
 */
export function streamingTransducerConfig(
  files: StreamingTransducerFiles,
  threads: number,
): { featConfig: sherpa.FeatureConfig; modelConfig: sherpa.OnlineModelConfig } {
  const { encoder, decoder, joiner, tokens } = files;
  return {
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: {
      transducer: { encoder, decoder, joiner },
      tokens,
      numThreads: threads,
      provider: 'cpu',
      debug: 0,
    },
  };
}

/** LibriSpeech-style models shout: "WHERE IS THE LIFT" → "where is the lift". Mixed case stays. */
export function tidyTranscript(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t === t.toUpperCase() ? t.toLowerCase() : t;
}

/**
 * Checks a `files` map (role → path) against what a model kind takes: every required role set,
 * no role the kind does not use (usually a sign that `kind` is wrong).
 */
export function checkRoles(
  files: Record<string, string>,
  configPrefix: string,
  kind: string,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  const missing = required.filter((role) => files[role] === undefined);
  if (missing.length > 0) {
    const key = `${configPrefix}.files.${missing[0]}`;
    throw new SherpaModelConfigError(
      key,
      `${missing.map((r) => `${configPrefix}.files.${r}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: a ${kind} model needs ${required.join(', ')}${optional.length > 0 ? ` (optional: ${optional.join(', ')})` : ''}`,
      `set ${key} to the model's file, or use a model set from \`kiosk-voice models\``,
    );
  }
  const known = new Set([...required, ...optional]);
  const unknown = Object.keys(files).filter((role) => !known.has(role));
  if (unknown.length > 0) {
    const key = `${configPrefix}.files.${unknown[0]}`;
    throw new SherpaModelConfigError(
      key,
      `${unknown.map((r) => `${configPrefix}.files.${r}`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not used by a ${kind} model (it takes ${[...known].join(', ')})`,
      `remove ${unknown.length === 1 ? 'it' : 'them'}, or set ${configPrefix}.kind to the kind these files belong to`,
    );
  }
}

/** ModelProto.opset_import (onnx.proto3). */
const MODEL_OPSET_IMPORT = 8;

/**
 * How many opset_import entries the top level of an ONNX file has. onnxruntime refuses a model
 * without one ("Missing opset in the model") by throwing through the addon, which aborts the
 * process; a download cut off exactly where the graph ends parses as ONNX but has none. Reads only
 * the top-level field headers (a few dozen bytes). Throws OnnxFormatError when they do not parse.
 */
export function onnxOpsetImportCount(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const one = Buffer.alloc(1);
    const bytes = {
      byte(pos: number): number {
        if (readSync(fd, one, 0, 1, pos) !== 1) throw new RangeError('read past end');
        return one[0]!;
      },
    };
    let count = 0;
    try {
      for (const f of protoFields(bytes, 0, size)) if (f.field === MODEL_OPSET_IMPORT && f.wire === WIRE_LEN) count++;
    } catch (e) {
      throw new OnnxFormatError(path, e instanceof Error ? e.message : String(e));
    }
    return count;
  } finally {
    closeSync(fd);
  }
}
