import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { KioskVoiceError } from '../../errors.js';

/*
 * Why kiosk-voice walks a GGUF file itself before node-llama-cpp sees it (measured with
 * node-llama-cpp 3.22.1 on Node 20, Linux x64, corrupting stories260K.gguf):
 *
 *   - node-llama-cpp first parses the header in JavaScript, and reads a string by growing one buffer
 *     to its claimed length. A length of 2^31 or more (one flipped high byte) reaches Node's fd.read
 *     as a length that is not an Int32: Node's C++ assertion `args[3]->IsInt32()` fails and the
 *     WHOLE process aborts (exit 134, a native stack, no line of ours). Smaller lies give
 *     `The value of "size" is out of range` or `Cannot read properties of undefined`.
 *   - llama.cpp's own reader is careful, but a truncated file only fails once the tensors are
 *     mapped, as "Failed to load model" with the reason in its log. And llama.cpp aborts on a
 *     vocabulary entry turned into the twin of another (a GGML_ASSERT at load) or on a lost byte
 *     token (std::out_of_range at the first prompt that needs it).
 *
 * So every length and count is checked against the bytes that are really left, before anything is
 * allocated: magic, version, counts, every metadata key and value (all GGUF value types, arrays of
 * strings and nested arrays), the vocabulary, every tensor's name, shape, type and offset, and
 * that the tensor data fits in the file. Only the header region is read (a few MB at most, for a
 * 150k-token vocabulary), never the tensor data. The rules are the GGUF specification (ggml
 * docs/gguf.md) plus what llama.cpp enforces or assumes when it loads (string and array caps,
 * tensor name length, contiguous offsets, distinct tokens), so a file that passes is one llama.cpp
 * will not refuse for its structure. What is not checked: whether the hyperparameters
 * (`llama.embedding_length`, …) match the tensors.
 */

const MAGIC = 'GGUF';
const DEFAULT_ALIGNMENT = 32;
/** The vocabulary: one string per token id. */
const TOKEN_LIST = 'tokenizer.ggml.tokens';
/** Which tokenizer reads the vocabulary: `llama` (SentencePiece), `gpt2` (byte-level BPE), … */
const TOKENIZER_MODEL = 'tokenizer.ggml.model';
/** llama.cpp refuses longer strings and arrays (GGUF_MAX_STRING_LENGTH, GGUF_MAX_ARRAY_ELEMENTS). */
const MAX_STRING_BYTES = 2 ** 30;
const MAX_ARRAY_ELEMENTS = 2 ** 30;
/** The spec's cap on a metadata key; also ours on a token, which in a real vocabulary is a few bytes. */
const MAX_KEY_BYTES = 65_535;
/** ggml keeps a tensor name in 64 bytes with its terminating NUL (GGML_MAX_NAME). */
const MAX_TENSOR_NAME_BYTES = 63;
/** GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** llama.cpp cannot load nested arrays at all; the walk still bounds them, but not without end. */
const MAX_ARRAY_DEPTH = 8;
const INT64_MAX = 2n ** 63n - 1n;
/** Bytes read from the file at a time while walking the header. */
const WINDOW_BYTES = 1 << 20;

/** The GGUF metadata value types this walk treats apart from the fixed-size numbers. */
const ValueType = { Uint32: 4, Bool: 7, String: 8, Array: 9, Float64: 12 } as const;

const VALUE_TYPE_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];

/** Bytes of a fixed-size value; strings and arrays are not fixed. */
const FIXED_SIZE: Partial<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** The least a value of each type can take: strings and arrays carry at least their length. */
function minimumSize(type: number): number {
  if (type === ValueType.String) return 8;
  if (type === ValueType.Array) return 12;
  return FIXED_SIZE[type] ?? 1;
}

/**
 * ggml tensor types this llama.cpp (node-llama-cpp 3.22.1's) loads: [name, elements per block,
 * bytes per block]. Ids 4, 5, 31–33 and 36–38 are types ggml removed.
 */
const GGML_TYPES = new Map<number, readonly [string, number, number]>([
  [0, ['F32', 1, 4]],
  [1, ['F16', 1, 2]],
  [2, ['Q4_0', 32, 18]],
  [3, ['Q4_1', 32, 20]],
  [6, ['Q5_0', 32, 22]],
  [7, ['Q5_1', 32, 24]],
  [8, ['Q8_0', 32, 34]],
  [9, ['Q8_1', 32, 36]],
  [10, ['Q2_K', 256, 84]],
  [11, ['Q3_K', 256, 110]],
  [12, ['Q4_K', 256, 144]],
  [13, ['Q5_K', 256, 176]],
  [14, ['Q6_K', 256, 210]],
  [15, ['Q8_K', 256, 292]],
  [16, ['IQ2_XXS', 256, 66]],
  [17, ['IQ2_XS', 256, 74]],
  [18, ['IQ3_XXS', 256, 98]],
  [19, ['IQ1_S', 256, 50]],
  [20, ['IQ4_NL', 32, 18]],
  [21, ['IQ3_S', 256, 110]],
  [22, ['IQ2_S', 256, 82]],
  [23, ['IQ4_XS', 256, 136]],
  [24, ['I8', 1, 1]],
  [25, ['I16', 1, 2]],
  [26, ['I32', 1, 4]],
  [27, ['I64', 1, 8]],
  [28, ['F64', 1, 8]],
  [29, ['IQ1_M', 256, 56]],
  [30, ['BF16', 1, 2]],
  [34, ['TQ1_0', 256, 54]],
  [35, ['TQ2_0', 256, 66]],
  [39, ['MXFP4', 32, 17]],
  [40, ['NVFP4', 64, 36]],
  [41, ['Q1_0', 128, 18]],
  [42, ['Q2_0', 64, 18]],
]);

const HINT_DAMAGED = 'fetch it again with `kiosk-voice models fetch --set <set>` (`kiosk-voice models verify --set <set>` checks every file of a set)';

/** A GGUF model file that llama.cpp cannot load: not GGUF, an unsupported version, or damaged. */
export class GgufFileError extends KioskVoiceError {
  constructor(
    readonly path: string,
    /** What is wrong, as a predicate: "is truncated: …", "has a damaged header: …". */
    readonly problem: string,
    readonly setting: string,
    hint: string = HINT_DAMAGED,
  ) {
    super(`${setting} (${path}) ${problem}`, hint);
  }
}

/** What a GGUF file that passed the check holds. */
export interface GgufFileInfo {
  version: number;
  /** `general.architecture`, e.g. `llama`. */
  architecture: string;
  metadataCount: number;
  tensorCount: number;
  alignment: number;
  /** Where the tensor data starts, in bytes from the start of the file. */
  dataOffset: number;
  /** Bytes from `dataOffset` to the end of the last tensor: the file holds at least their sum. */
  dataBytes: number;
}

export interface GgufCheckOptions {
  /** The setting that names the file, for the message. Default `llm.model`. */
  setting?: string;
}

/** Thrown inside the walk; turned into a GgufFileError naming the file. */
class Problem extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The header contradicts itself or the spec; the hint is to fetch the file again. */
function damaged(detail: string): Problem {
  return new Problem(`has a damaged header: ${detail}`);
}

/**
 * Checks that `path` is a GGUF file (versions 2 and 3, little-endian) whose header is consistent
 * and whose tensor data fits in the file; see the comment at the top of this file. Returns what it
 * read; throws GgufFileError naming the file and what is wrong.
 */
export function checkGgufFile(path: string, options: GgufCheckOptions = {}): GgufFileInfo {
  const setting = options.setting ?? 'llm.model';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be opened (${code ?? String(error)})`;
    throw new GgufFileError(path, problem, setting, `point ${setting} at a GGUF model file the kiosk user can read`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new Problem('is a directory, not a model file', `point ${setting} at a .gguf file`);
    if (!stat.isFile()) throw new Problem('is not a regular file', `point ${setting} at a .gguf file`);
    return walk(new FileCursor(fd, stat.size), setting);
  } catch (error) {
    if (error instanceof Problem) throw new GgufFileError(path, error.message, setting, error.hint);
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** Sequential reads of the header through a window, each checked against the file's size. */
class FileCursor {
  /** Position of the next byte to read. */
  position = 0;
  private window = Buffer.alloc(0);
  private windowStart = 0;
  /** Bytes of `window` that hold the file from `windowStart`. */
  private windowLength = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  get remaining(): number {
    return this.size - this.position;
  }

  /** Fails unless `bytes` more bytes follow; `what` says what was to be read, and where. */
  need(bytes: number | bigint, what: string): void {
    if (typeof bytes === 'number' ? bytes > this.remaining : bytes > BigInt(this.remaining)) {
      const left = this.remaining;
      throw new Problem(`is truncated or damaged: ${bytes} bytes for ${what}, but the file ends ${left} byte${left === 1 ? '' : 's'} later (at ${this.size})`);
    }
  }

  skip(bytes: number, what: string): void {
    this.need(bytes, what);
    this.position += bytes;
  }

  bytes(count: number, what: string): Buffer {
    this.need(count, what);
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset + count > this.windowLength) this.fill(Math.max(count, WINDOW_BYTES));
    const start = this.position - this.windowStart;
    this.position += count;
    return this.window.subarray(start, start + count);
  }

  u8(what: string): number {
    return this.bytes(1, what)[0]!;
  }

  u32(what: string): number {
    return this.bytes(4, what).readUInt32LE(0);
  }

  u64(what: string): bigint {
    return this.bytes(8, what).readBigUInt64LE(0);
  }

  /** A uint64 as a number when it is below 2^32 (every sane length), else as a bigint. */
  length(what: string): number | bigint {
    const b = this.bytes(8, what);
    return b.readUInt32LE(4) === 0 ? b.readUInt32LE(0) : b.readBigUInt64LE(0);
  }

  private fill(length: number): void {
    const size = Math.min(length, this.size - this.position);
    if (this.window.length < size) this.window = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(this.fd, this.window, read, size - read, this.position + read);
      if (n === 0) throw new Problem(`ended after ${this.position + read} of its ${this.size} bytes while being read: it changed meanwhile, or the disk failed`);
      read += n;
    }
    this.windowStart = this.position;
    this.windowLength = size;
  }
}

/** "byte 93" */
const at = (position: number) => `byte ${position}`;

function walk(cursor: FileCursor, setting: string): GgufFileInfo {
  if (cursor.size === 0) throw new Problem('is empty (0 bytes)');
  const head = cursor.bytes(Math.min(4, cursor.size), 'the magic "GGUF"');
  const magic = head.toString('latin1');
  if (magic !== MAGIC) {
    throw new Problem(
      `is not a GGUF model (it starts with ${JSON.stringify(magic)}): another format, a text or HTML page, or a damaged file`,
      `point ${setting} at a .gguf model file, or if it is one, ${HINT_DAMAGED}`,
    );
  }
  const version = cursor.u32('the version');
  checkVersion(version, setting);
  const tensorCount = cursor.u64('the tensor count');
  const metadataCount = cursor.u64('the metadata count');
  // Every key/value takes at least 13 bytes and every tensor info 24: a count the file cannot hold is a lie.
  const least = metadataCount * 13n + tensorCount * 24n;
  if (least > BigInt(cursor.remaining)) {
    throw new Problem(`is truncated or has a damaged header: it claims ${metadataCount} metadata entries and ${tensorCount} tensors, more than its ${cursor.size} bytes can hold`);
  }
  if (tensorCount === 0n) throw new Problem('holds no tensors, so it is not a model (a vocabulary-only file?)', `point ${setting} at a GGUF model file`);

  const metadata = walkMetadata(cursor, Number(metadataCount));
  const tensors = walkTensorInfos(cursor, Number(tensorCount), metadata.alignment);

  const dataOffset = alignUp(cursor.position, metadata.alignment);
  const last = tensors.at(-1)!;
  const dataEnd = dataOffset + last.offset + last.bytes;
  if (dataEnd > cursor.size) {
    const first = tensors.find((t) => dataOffset + t.offset + t.bytes > cursor.size)!;
    throw new Problem(
      `is truncated: its ${tensors.length} tensors need ${dataEnd} bytes but the file has ${cursor.size} ` +
        `(tensor '${first.name}' at ${at(dataOffset + first.offset)} is the first that runs past the end)`,
    );
  }
  return {
    version,
    architecture: metadata.architecture,
    metadataCount: Number(metadataCount),
    tensorCount: tensors.length,
    alignment: metadata.alignment,
    dataOffset,
    dataBytes: last.offset + last.bytes,
  };
}

function checkVersion(version: number, setting: string): void {
  if (version === 2 || version === 3) return;
  const hint = `point ${setting} at a GGUF version 3 file (converted by a current llama.cpp), or if it is damaged, ${HINT_DAMAGED}`;
  if (version === 1) throw new Problem('is GGUF version 1, which llama.cpp no longer loads', hint);
  // A big-endian version 3 reads as 0x03000000 here.
  if (version !== 0 && (version & 0xffff) === 0) throw new Problem(`is a big-endian GGUF (its version reads as ${version}), which this little-endian machine cannot load`, hint);
  throw new Problem(`is GGUF version ${version}, and llama.cpp loads versions 2 and 3: a damaged header, or a newer format`, hint);
}

interface Metadata {
  alignment: number;
  architecture: string;
}

function walkMetadata(cursor: FileCursor, count: number): Metadata {
  const keys = new Set<string>();
  let alignment: number | undefined;
  let architecture: string | undefined;
  let tokens: Map<string, number> | undefined;
  let tokenizer: string | undefined;
  for (let i = 0; i < count; i++) {
    const keyAt = cursor.position;
    // latin1, so that keys with different bytes stay different (llama.cpp compares bytes).
    const key = readString(cursor, `metadata key ${i + 1} of ${count} (at ${at(keyAt)})`, MAX_KEY_BYTES, 'latin1');
    if (key.length === 0) throw damaged(`metadata key ${i + 1} of ${count} (at ${at(keyAt)}) is empty`);
    if (keys.has(key)) throw damaged(`metadata key '${key}' appears twice (again at ${at(keyAt)})`);
    keys.add(key);
    const typeAt = cursor.position;
    const type = cursor.u32(`the type of '${key}'`);
    if (key === 'general.alignment') {
      if (type !== ValueType.Uint32) throw damaged(`'general.alignment' is a ${typeName(type)}, not a uint32`);
      alignment = cursor.u32(`the value of '${key}'`);
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw damaged(`'general.alignment' is ${alignment}, not a power of 2`);
    } else if (key === TOKEN_LIST) {
      if (type !== ValueType.Array) throw damaged(`'${TOKEN_LIST}' is a ${typeName(type)}, not an array of strings`);
      tokens = walkTokenList(cursor);
    } else if (key === TOKENIZER_MODEL && type === ValueType.String) {
      tokenizer = readString(cursor, `the value of '${key}'`, MAX_KEY_BYTES);
    } else if (key === 'general.architecture') {
      if (type !== ValueType.String) throw damaged(`'general.architecture' is a ${typeName(type)}, not a string`);
      architecture = readString(cursor, `the value of '${key}'`, MAX_KEY_BYTES);
    } else {
      skipValue(cursor, type, key, typeAt, 0);
    }
  }
  if (architecture === undefined) throw damaged(`it has no 'general.architecture' (every GGUF model names its architecture)`);
  if (tokens) checkByteTokens(tokens, tokenizer);
  return { alignment: alignment ?? DEFAULT_ALIGNMENT, architecture };
}

/**
 * llama.cpp reads the vocabulary's texts with an assertion that the array holds strings, and
 * asserts that no two tokens have the same text: either aborts the process. It takes each text as
 * a C string (up to a NUL byte) and names an empty one `[EMPTY_<id>]`. One flipped byte in a
 * token makes such a twin, so both are checked here, on the texts as llama.cpp sees them.
 * Returns those texts (bytes as latin1, so that distinct bytes stay distinct) with their ids.
 */
function walkTokenList(cursor: FileCursor): Map<string, number> {
  const typeAt = cursor.position;
  const type = cursor.u32(`the element type of '${TOKEN_LIST}'`);
  if (type !== ValueType.String) throw damaged(`'${TOKEN_LIST}' is an array of ${typeName(type)} (at ${at(typeAt)}), not of strings`);
  const countAt = cursor.position;
  const count = cursor.u64(`the length of '${TOKEN_LIST}'`);
  if (count > BigInt(MAX_ARRAY_ELEMENTS)) throw damaged(`'${TOKEN_LIST}' claims ${count} tokens (at ${at(countAt)}); llama.cpp takes at most ${MAX_ARRAY_ELEMENTS}`);
  cursor.need(count * 8n, `the ${count} tokens of '${TOKEN_LIST}' (at ${at(countAt)})`);
  /** Token text → id. */
  const ids = new Map<string, number>();
  for (let id = 0; id < Number(count); id++) {
    const what = `the string '${TOKEN_LIST}[${id}]'`;
    const text = cString(readString(cursor, what, MAX_KEY_BYTES, 'latin1')) || `[EMPTY_${id}]`;
    const twin = ids.get(text);
    if (twin !== undefined) throw damaged(`the vocabulary holds the token ${printable(text)} twice (ids ${twin} and ${id})`);
    ids.set(text, id);
  }
  return ids;
}

/** What C code sees of a string: up to its first NUL. */
function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/** The SentencePiece-style tokenizers, which fall back to byte tokens for text they have no token for. */
const BYTE_FALLBACK_TOKENIZERS = new Set(['llama', 't5']);
const byteToken = (byte: number) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;

/**
 * A SentencePiece vocabulary with byte tokens (`<0x0A>`) needs one for every byte: llama.cpp
 * looks a missing one up with std::map::at while tokenizing, and the std::out_of_range ends the
 * process (measured: "<0x0A>" turned into "<0x0S>" aborts at the first prompt, which holds a
 * newline). It also takes the byte itself as a token.
 */
function checkByteTokens(tokens: ReadonlyMap<string, number>, tokenizer: string | undefined): void {
  if (tokenizer === undefined || !BYTE_FALLBACK_TOKENIZERS.has(tokenizer)) return;
  if (!tokens.has(byteToken(0x0a)) && ![...tokens.keys()].some((t) => /^<0x[0-9A-F]{2}>$/.test(t))) return;
  for (let byte = 0; byte < 256; byte++) {
    if (!tokens.has(byteToken(byte)) && !tokens.has(String.fromCharCode(byte))) {
      throw damaged(`the vocabulary has byte tokens but none for byte 0x${byte.toString(16).padStart(2, '0')} (${byteToken(byte)}), which llama.cpp cannot do without`);
    }
  }
}

/** A token's text for a message: UTF-8 where it is, JSON-quoted. */
function printable(latin1: string): string {
  return JSON.stringify(Buffer.from(latin1, 'latin1').toString('utf8'));
}

function typeName(type: number): string {
  return VALUE_TYPE_NAMES[type] ?? `type ${type}`;
}

/** Walks one value of `type` without keeping it; `label` names it in a message (`key` or `key[3]`). */
function skipValue(cursor: FileCursor, type: number, label: string, typeAt: number, depth: number): void {
  const fixed = FIXED_SIZE[type];
  if (type === ValueType.Bool) {
    const value = cursor.u8(`the value of '${label}'`);
    if (value > 1) throw damaged(`'${label}' is a bool holding ${value} (at ${at(cursor.position - 1)}), not 0 or 1`);
  } else if (fixed !== undefined) {
    cursor.skip(fixed, `the ${typeName(type)} value of '${label}' (at ${at(cursor.position)})`);
  } else if (type === ValueType.String) {
    skipString(cursor, `the string '${label}'`);
  } else if (type === ValueType.Array) {
    skipArray(cursor, label, depth);
  } else {
    throw damaged(`'${label}' has value type ${type} (at ${at(typeAt)}); GGUF types are 0–12`);
  }
}

function skipArray(cursor: FileCursor, label: string, depth: number): void {
  if (depth >= MAX_ARRAY_DEPTH) throw damaged(`'${label}' nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
  const typeAt = cursor.position;
  const type = cursor.u32(`the element type of the array '${label}'`);
  if (type > ValueType.Float64) throw damaged(`the array '${label}' has element type ${type} (at ${at(typeAt)}); GGUF types are 0–12`);
  const countAt = cursor.position;
  const count = cursor.u64(`the length of the array '${label}'`);
  if (count > BigInt(MAX_ARRAY_ELEMENTS)) {
    throw damaged(`the array '${label}' claims ${count} elements (at ${at(countAt)}); llama.cpp takes at most ${MAX_ARRAY_ELEMENTS}`);
  }
  cursor.need(count * BigInt(minimumSize(type)), `the ${count} ${typeName(type)} elements of the array '${label}' (at ${at(countAt)})`);
  const n = Number(count);
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined && type !== ValueType.Bool) {
    cursor.skip(n * fixed, `the elements of '${label}'`);
    return;
  }
  for (let i = 0; i < n; i++) skipValue(cursor, type, `${label}[${i}]`, typeAt, depth + 1);
}

function readLength(cursor: FileCursor, what: string, max: number): number {
  const lengthAt = cursor.position;
  cursor.need(8, `the length of ${what}`);
  const length = cursor.length(`the length of ${what}`);
  if (typeof length === 'bigint' || length > max) {
    const past = BigInt(length) > BigInt(cursor.remaining) ? `, past the end of the file (${cursor.size} bytes)` : `; at most ${max} are allowed`;
    throw damaged(`${what} claims to be ${length} bytes long (length at ${at(lengthAt)})${past}`);
  }
  if (length > cursor.remaining) cursor.need(length, `${what} (length at ${at(lengthAt)})`);
  return length;
}

function skipString(cursor: FileCursor, what: string): void {
  cursor.skip(readLength(cursor, what, MAX_STRING_BYTES), what);
}

function readString(cursor: FileCursor, what: string, max: number, encoding: BufferEncoding = 'utf8'): string {
  return cursor.bytes(readLength(cursor, what, max), what).toString(encoding);
}

interface TensorInfo {
  name: string;
  /** From the start of the tensor data. */
  offset: number;
  bytes: number;
}

function walkTensorInfos(cursor: FileCursor, count: number, alignment: number): TensorInfo[] {
  const tensors: TensorInfo[] = [];
  const names = new Set<string>();
  /** llama.cpp wants each tensor right after the one before it, padded to the alignment. */
  let expectedOffset = 0n;
  for (let i = 0; i < count; i++) {
    const nameAt = cursor.position;
    const what = `the name of tensor ${i + 1} of ${count} (at ${at(nameAt)})`;
    const nameLength = readLength(cursor, what, MAX_STRING_BYTES);
    if (nameLength > MAX_TENSOR_NAME_BYTES) throw damaged(`${what} is ${nameLength} bytes long; ggml takes at most ${MAX_TENSOR_NAME_BYTES}`);
    // ggml keeps the name as a C string, and llama.cpp finds tensors by it.
    const name = cString(cursor.bytes(nameLength, what).toString('utf8'));
    if (names.has(name)) throw damaged(`tensor '${name}' appears twice (again at ${at(nameAt)})`);
    names.add(name);

    const dimsAt = cursor.position;
    const dims = cursor.u32(`the number of dimensions of tensor '${name}'`);
    if (dims > MAX_DIMS) throw damaged(`tensor '${name}' has ${dims} dimensions (at ${at(dimsAt)}); ggml takes at most ${MAX_DIMS}`);
    const shape: bigint[] = [];
    let elements = 1n;
    for (let d = 0; d < dims; d++) {
      const size = cursor.u64(`dimension ${d + 1} of tensor '${name}'`);
      if (size > INT64_MAX) throw damaged(`tensor '${name}' has a negative dimension ${d + 1} (at ${at(cursor.position - 8)})`);
      shape.push(size);
      elements *= size;
    }
    if (elements > INT64_MAX) throw damaged(`tensor '${name}' of shape ${shape.join('×')} has more elements than ggml can count`);

    const typeAt = cursor.position;
    const typeId = cursor.u32(`the type of tensor '${name}'`);
    const type = GGML_TYPES.get(typeId);
    if (!type) throw new Problem(`has tensor '${name}' of ggml type ${typeId} (at ${at(typeAt)}), which this llama.cpp does not know: a damaged header, or a file for a newer llama.cpp`);
    const [typeLabel, blockElements, blockBytes] = type;
    const rowElements = shape[0] ?? 1n;
    if (rowElements % BigInt(blockElements) !== 0n) {
      throw damaged(`tensor '${name}' of type ${typeLabel} has ${rowElements} elements per row, not a multiple of its block size ${blockElements}`);
    }
    const bytes = (elements / BigInt(blockElements)) * BigInt(blockBytes);

    const offsetAt = cursor.position;
    const offset = cursor.u64(`the data offset of tensor '${name}'`);
    if (offset !== expectedOffset) {
      throw damaged(
        `tensor '${name}' says its data is at offset ${offset} (at ${at(offsetAt)}), but the tensors before it end at ${expectedOffset}`,
      );
    }
    // Past any file: stop before the sums outgrow a double (a truncated file is reported once all are read).
    if (offset + bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw damaged(`tensor '${name}' (${typeLabel}, shape ${shape.join('×')}) claims ${bytes} bytes, more than any file holds`);
    }
    tensors.push({ name, offset: Number(offset), bytes: Number(bytes) });
    expectedOffset = offset + BigInt(alignUp(Number(bytes), alignment));
  }
  return tensors;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
