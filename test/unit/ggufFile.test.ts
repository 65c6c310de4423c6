import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEngineFile } from '../../src/doctor/engineFileChecks.js';
import { checkGgufFile, GgufFileError } from '../../src/engines/llm/ggufFile.js';

/*
 * GGUF files built here, byte by byte, after the spec (ggml docs/gguf.md): a valid one, and each
 * way a damaged header can lie. The real shared model and the byte-flip fuzz are in
 * test/integration/ggufModelFile.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'kv-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);

// Value type ids of the spec.
const T = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;

/** One metadata entry: key, type, encoded value. */
const kv = (key: string, type: number, value: Buffer) => Buffer.concat([str(key), u32(type), value]);
const array = (type: number, items: Buffer[]) => Buffer.concat([u32(type), u64(items.length), ...items]);

interface Tensor {
  name: string;
  dims: number[];
  /** ggml type id (0 = F32, 8 = Q8_0). */
  type: number;
  /** Bytes of its data. */
  bytes: number;
  /** Overrides the offset the builder computes. */
  offset?: number | bigint;
}

interface Model {
  magic?: string;
  version?: number;
  /** Overrides the counts the builder computes. */
  tensorCount?: number | bigint;
  metadataCount?: number | bigint;
  metadata?: Buffer[];
  tensors?: Tensor[];
  alignment?: number;
}

const ARCH = kv('general.architecture', T.string, str('llama'));
const TOKENS = kv('tokenizer.ggml.tokens', T.array, array(T.string, ['<unk>', '<s>', '</s>', 'a', ''].map(str)));
const TENSORS: Tensor[] = [
  { name: 'token_embd.weight', dims: [4, 2], type: 0, bytes: 32 },
  // 64 elements of Q8_0: 2 blocks of 34 bytes, so the next offset needs padding.
  { name: 'blk.0.attn_q.weight', dims: [32, 2], type: 8, bytes: 68 },
  { name: 'output_norm.weight', dims: [4], type: 0, bytes: 16 },
];

/** The bytes of a GGUF file; the tensor data is filled with 0x11, each but the last padded to the alignment. */
function gguf(model: Model = {}): Buffer {
  const alignment = model.alignment ?? 32;
  const metadata = model.metadata ?? [ARCH, TOKENS];
  const tensors = model.tensors ?? TENSORS;
  const pad = (n: number) => Math.ceil(n / alignment) * alignment;
  let next = 0;
  const infos = tensors.map((t) => {
    const offset = t.offset ?? next;
    next += pad(t.bytes);
    return Buffer.concat([str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(offset)]);
  });
  const header = Buffer.concat([
    Buffer.from(model.magic ?? 'GGUF', 'latin1'),
    u32(model.version ?? 3),
    u64(model.tensorCount ?? tensors.length),
    u64(model.metadataCount ?? metadata.length),
    ...metadata,
    ...infos,
  ]);
  const data = Buffer.concat(tensors.map((t, i) => Buffer.concat([Buffer.alloc(t.bytes, 0x11), Buffer.alloc(i < tensors.length - 1 ? pad(t.bytes) - t.bytes : 0)])));
  return Buffer.concat([header, Buffer.alloc(pad(header.length) - header.length), data]);
}

let files = 0;
function file(bytes: Buffer | string): string {
  const path = join(dir, `model-${++files}.gguf`);
  writeFileSync(path, bytes);
  return path;
}

/** The GgufFileError checkGgufFile throws for these bytes. */
function refusal(bytes: Buffer | string): GgufFileError {
  const path = file(bytes);
  try {
    checkGgufFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(GgufFileError);
    const refused = error as GgufFileError;
    // One line that names the setting and the file, and says what to do.
    expect(refused.message.startsWith(`llm.model (${path}) `)).toBe(true);
    expect(refused.message).not.toContain('\n');
    expect(refused.hint).toBeTruthy();
    return refused;
  }
  throw new Error(`checkGgufFile accepted ${path}`);
}

/** `bytes` with `replacement` written at `at`. */
function patched(bytes: Buffer, at: number, replacement: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  replacement.copy(copy, at);
  return copy;
}

describe('checkGgufFile: files that are GGUF models', () => {
  it('accepts a valid version 3 file and reports what it holds', () => {
    const bytes = gguf();
    const info = checkGgufFile(file(bytes));
    // The Q8_0 tensor's 68 bytes are padded to 96.
    expect(info).toEqual({ version: 3, architecture: 'llama', metadataCount: 2, tensorCount: 3, alignment: 32, dataOffset: expect.any(Number), dataBytes: 32 + 96 + 16 });
    expect(info.dataOffset % 32).toBe(0);
    expect(info.dataOffset + info.dataBytes).toBe(bytes.length);
  });

  it('walks every value type, arrays of strings and nested arrays, and a non-default alignment', () => {
    const metadata = [
      ARCH,
      kv('general.alignment', T.u32, u32(64)),
      kv('x.u8', T.u8, Buffer.from([7])),
      kv('x.i8', T.i8, Buffer.from([0xff])),
      kv('x.u16', T.u16, Buffer.alloc(2)),
      kv('x.i16', T.i16, Buffer.alloc(2)),
      kv('x.u32', T.u32, u32(5)),
      kv('x.i32', T.i32, u32(5)),
      kv('x.f32', T.f32, Buffer.alloc(4)),
      kv('x.bool', T.bool, Buffer.from([1])),
      kv('x.u64', T.u64, u64(1)),
      kv('x.i64', T.i64, u64(1)),
      kv('x.f64', T.f64, Buffer.alloc(8)),
      kv('x.string', T.string, str('a chat template {{ x }}')),
      kv('x.empty', T.array, array(T.f32, [])),
      kv('x.bools', T.array, array(T.bool, [Buffer.from([0]), Buffer.from([1])])),
      kv('x.nested', T.array, array(T.array, [array(T.string, [str('ab'), str('')]), array(T.u16, [Buffer.alloc(2)])])),
      TOKENS,
    ];
    const info = checkGgufFile(file(gguf({ metadata, alignment: 64 })));
    expect(info).toMatchObject({ metadataCount: metadata.length, alignment: 64, tensorCount: 3 });
    expect(info.dataOffset % 64).toBe(0);
  });

  it('accepts version 2, and a model without a vocabulary list', () => {
    expect(checkGgufFile(file(gguf({ version: 2 }))).version).toBe(2);
    expect(checkGgufFile(file(gguf({ metadata: [ARCH] }))).metadataCount).toBe(1);
  });
});

describe('checkGgufFile: files that are not GGUF models', () => {
  it('a wrong magic, a text file, an empty file', () => {
    const wrong = refusal(patched(gguf(), 0, Buffer.from('GGUX')));
    expect(wrong.message).toMatch(/is not a GGUF model \(it starts with "GGUX"\): another format, a text or HTML page, or a damaged file$/);
    expect(wrong.hint).toMatch(/point llm\.model at a \.gguf model file/);
    expect(refusal('<html>404 Not Found</html>\n').message).toMatch(/it starts with "<htm"/);
    expect(refusal('GG').message).toMatch(/it starts with "GG"/);
    expect(refusal('').message).toMatch(/is empty \(0 bytes\)$/);
  });

  it('unsupported versions: 9, 1, 0 and a big-endian file', () => {
    expect(refusal(gguf({ version: 9 })).message).toMatch(/is GGUF version 9, and llama\.cpp loads versions 2 and 3/);
    expect(refusal(gguf({ version: 1 })).message).toMatch(/is GGUF version 1, which llama\.cpp no longer loads/);
    expect(refusal(gguf({ version: 0 })).message).toMatch(/is GGUF version 0/);
    expect(refusal(gguf({ version: 0x03000000 })).message).toMatch(/is a big-endian GGUF/);
  });

  it('a directory, a missing file, and a file that holds no tensors', () => {
    const sub = join(dir, 'a-dir.gguf');
    mkdirSync(sub);
    expect(() => checkGgufFile(sub)).toThrow(/\(.*a-dir\.gguf\) is a directory/);
    expect(() => checkGgufFile(join(dir, 'nope.gguf'))).toThrow(GgufFileError);
    expect(refusal(gguf({ tensors: [] })).message).toMatch(/holds no tensors/);
  });
});

describe('checkGgufFile: damaged headers, each refused before anything is allocated', () => {
  it('counts the file cannot hold', () => {
    expect(refusal(gguf({ tensorCount: 2n ** 40n })).message).toMatch(/is truncated or has a damaged header: it claims 2 metadata entries and 1099511627776 tensors, more than its \d+ bytes can hold/);
    expect(refusal(gguf({ metadataCount: 2n ** 63n })).message).toMatch(/claims 9223372036854775808 metadata entries/);
    // A count the file could hold, but whose entries are not there: the walk runs into the tensor infos.
    expect(refusal(gguf({ metadataCount: 5 })).message).toMatch(/damaged header|truncated/);
  });

  it('a string length past the end of the file: a key, a value, a vocabulary entry', () => {
    const bytes = gguf();
    // The first key's length is at byte 24.
    expect(refusal(patched(bytes, 24, u64(2n ** 62n))).message).toMatch(/metadata key 1 of 2 \(at byte 24\) claims to be 4611686018427387904 bytes long \(length at byte 24\), past the end of the file/);
    const valueAt = 24 + 8 + 'general.architecture'.length + 4;
    expect(refusal(patched(bytes, valueAt, u64(3_000_000_000))).message).toMatch(/the value of 'general\.architecture' claims to be 3000000000 bytes long/);
    const firstToken = ARCH.length + 24 + 8 + 'tokenizer.ggml.tokens'.length + 4 + 4 + 8;
    // A token is a few bytes: one of 83 MB is damage, whatever the file's size.
    expect(refusal(patched(bytes, firstToken, u64(0x0500_0000))).message).toMatch(/the string 'tokenizer\.ggml\.tokens\[0\]' claims to be 83886080 bytes long/);
    expect(refusal(gguf({ metadata: [ARCH, kv('tokenizer.ggml.tokens', T.array, array(T.string, [str('x'.repeat(70_000))]))] })).message).toMatch(
      /the string 'tokenizer\.ggml\.tokens\[0\]' claims to be 70000 bytes long \(length at byte \d+\); at most 65535 are allowed/,
    );
    // Any other string may be up to llama.cpp's 1 GiB cap, but not past the end: a real length, high byte flipped.
    const template = gguf({ metadata: [kv('x.template', T.string, str('{{ bos }}')), ARCH] });
    const past = refusal(patched(template, 24, u64(0x0500_0000)));
    expect(past.message).toMatch(/metadata key 1 of 2 .* claims to be 83886080 bytes long/);
    const value = refusal(patched(template, 24 + 8 + 'x.template'.length + 4, u64(0x0500_0000)));
    expect(value.message).toMatch(/is truncated or damaged: 83886080 bytes for the string 'x\.template' \(length at byte \d+\), but the file ends \d+ bytes later/);
  });

  it('arrays: a length past the file, an unknown element type, a bad length inside a nested array, nesting without end', () => {
    const nested = (inner: Buffer) => gguf({ metadata: [ARCH, kv('x.nested', T.array, Buffer.concat([u32(T.array), u64(1), inner]))] });
    expect(refusal(gguf({ metadata: [ARCH, kv('x.big', T.array, Buffer.concat([u32(T.f32), u64(2n ** 29n)]))] })).message).toMatch(
      /is truncated or damaged: 2147483648 bytes for the 536870912 float32 elements of the array 'x\.big' \(at byte \d+\), but the file ends/,
    );
    expect(refusal(gguf({ metadata: [ARCH, kv('x.big', T.array, Buffer.concat([u32(T.u8), u64(2n ** 40n)]))] })).message).toMatch(/claims 1099511627776 elements .* llama\.cpp takes at most 1073741824/);
    expect(refusal(gguf({ metadata: [ARCH, kv('x.odd', T.array, Buffer.concat([u32(13), u64(1), u32(0)]))] })).message).toMatch(/the array 'x\.odd' has element type 13/);
    expect(refusal(nested(Buffer.concat([u32(T.string), u64(1), u64(2n ** 50n)]))).message).toMatch(/the string 'x\.nested\[0\]\[0\]' claims to be 1125899906842624 bytes long/);
    let deep = array(T.u8, []);
    for (let i = 0; i < 10; i++) deep = Buffer.concat([u32(T.array), u64(1), deep]);
    expect(refusal(nested(deep)).message).toMatch(/'x\.nested(\[0\])+' nests arrays more than 8 deep/);
  });

  it('values that break the spec or what llama.cpp reads', () => {
    const m = (...entries: Buffer[]) => refusal(gguf({ metadata: entries })).message;
    expect(m(ARCH, kv('x.t', 13, u32(0)))).toMatch(/'x\.t' has value type 13 .* GGUF types are 0–12/);
    expect(m(ARCH, kv('x.b', T.bool, Buffer.from([2])))).toMatch(/'x\.b' is a bool holding 2/);
    expect(m(ARCH, kv('', T.u8, Buffer.from([0])))).toMatch(/metadata key 2 of 2 \(at byte \d+\) is empty/);
    expect(m(ARCH, ARCH)).toMatch(/metadata key 'general\.architecture' appears twice/);
    expect(m(kv('general.name', T.string, str('x')))).toMatch(/it has no 'general\.architecture'/);
    expect(m(kv('general.architecture', T.u32, u32(1)))).toMatch(/'general\.architecture' is a uint32, not a string/);
    expect(m(ARCH, kv('general.alignment', T.u32, u32(48)))).toMatch(/'general\.alignment' is 48, not a power of 2/);
    expect(m(ARCH, kv('general.alignment', T.u64, u64(32)))).toMatch(/'general\.alignment' is a uint64, not a uint32/);
  });

  it('the vocabulary: not strings, or one token twice (llama.cpp aborts on a twin)', () => {
    const m = (tokens: Buffer) => refusal(gguf({ metadata: [ARCH, kv('tokenizer.ggml.tokens', T.array, tokens)] })).message;
    expect(m(array(T.i32, [u32(1)]))).toMatch(/'tokenizer\.ggml\.tokens' is an array of int32 .* not of strings/);
    expect(m(array(T.string, ['<s>', 'ab', '<s>'].map(str)))).toMatch(/the vocabulary holds the token "<s>" twice \(ids 0 and 2\)/);
    // llama.cpp names an empty token [EMPTY_<id>].
    expect(m(array(T.string, ['', '[EMPTY_0]'].map(str)))).toMatch(/holds the token "\[EMPTY_0\]" twice/);
    // llama.cpp reads a token as a C string: "ab\0c" is "ab".
    expect(m(array(T.string, [str('ab'), Buffer.concat([u64(4), Buffer.from('ab\0c', 'latin1')])]))).toMatch(/holds the token "ab" twice \(ids 0 and 1\)/);
    // Different bytes that decode to the same replacement character are different tokens.
    expect(checkGgufFile(file(gguf({ metadata: [ARCH, kv('tokenizer.ggml.tokens', T.array, array(T.string, [Buffer.from([0xff]), Buffer.from([0xfe])].map((b) => Buffer.concat([u64(1), b]))))] })))).toBeDefined();
  });

  it('tensor infos: name, dimensions, type, offsets', () => {
    const t = (tensor: Partial<Tensor>, others: Tensor[] = []) => refusal(gguf({ tensors: [...others, { ...TENSORS[0]!, ...tensor }] })).message;
    expect(t({ name: 'x'.repeat(64) })).toMatch(/the name of tensor 1 of 1 .* is 64 bytes long; ggml takes at most 63/);
    expect(t({ dims: [1, 1, 1, 1, 1] })).toMatch(/tensor 'token_embd\.weight' has 5 dimensions/);
    expect(t({ type: 4 })).toMatch(/has tensor 'token_embd\.weight' of ggml type 4 .* which this llama\.cpp does not know/);
    expect(t({ type: 99 })).toMatch(/of ggml type 99/);
    expect(t({ type: 8, dims: [16, 2] })).toMatch(/of type Q8_0 has 16 elements per row, not a multiple of its block size 32/);
    expect(t({ dims: [2n ** 63n as unknown as number] })).toMatch(/has a negative dimension 1/);
    expect(t({ dims: [2 ** 32, 2 ** 32] })).toMatch(/has more elements than ggml can count/);
    expect(t({ offset: 64 })).toMatch(/tensor 'token_embd\.weight' says its data is at offset 64 .* but the tensors before it end at 0/);
    expect(t({}, [TENSORS[0]!])).toMatch(/tensor 'token_embd\.weight' appears twice/);
  });
});

describe('checkGgufFile: a truncated file', () => {
  it('names the first tensor whose data runs past the end, however much is missing', () => {
    const bytes = gguf();
    const info = checkGgufFile(file(bytes));
    const lastOne = refusal(bytes.subarray(0, bytes.length - 1)).message;
    expect(lastOne).toMatch(new RegExp(`is truncated: its 3 tensors need ${bytes.length} bytes but the file has ${bytes.length - 1} \\(tensor 'output_norm\\.weight' at byte ${info.dataOffset + 128} is the first`));
    expect(refusal(bytes.subarray(0, info.dataOffset + 40)).message).toMatch(/tensor 'blk\.0\.attn_q\.weight' at byte \d+ is the first that runs past the end/);
    // Cut inside the header: too short for its counts, or the walk runs out of bytes.
    expect(refusal(bytes.subarray(0, 60)).message).toMatch(/is truncated or has a damaged header: it claims 2 metadata entries and 3 tensors, more than its 60 bytes can hold/);
    expect(refusal(bytes.subarray(0, 160)).message).toMatch(/is truncated or damaged: 8 bytes for the length of the string 'tokenizer\.ggml\.tokens\[4\]', but the file ends 1 byte later \(at 160\)/);
    expect(refusal(bytes.subarray(0, 4)).message).toMatch(/4 bytes for the version, but the file ends 0 bytes later/);
  });
});

describe('checkGgufFile: a SentencePiece vocabulary with byte tokens needs all 256 (llama.cpp aborts on a missing one)', () => {
  const hex = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
  const bytes = Array.from({ length: 256 }, (_, b) => hex(b));
  const model = (tokenizer: string, tokens: string[]) =>
    gguf({ metadata: [ARCH, kv('tokenizer.ggml.tokens', T.array, array(T.string, tokens.map(str))), kv('tokenizer.ggml.model', T.string, str(tokenizer))] });

  it('accepts a complete set, and a byte that is a token by itself instead', () => {
    expect(checkGgufFile(file(model('llama', ['<unk>', ...bytes, 'the'])))).toBeDefined();
    expect(checkGgufFile(file(model('llama', ['<unk>', ...bytes.map((t) => (t === '<0x41>' ? 'A' : t))])))).toBeDefined();
  });

  it('refuses one that lost a byte token, as a flipped "<0x0A>" → "<0x0S>" does', () => {
    const damagedSet = bytes.map((t) => (t === '<0x0A>' ? '<0x0S>' : t));
    expect(refusal(model('llama', damagedSet)).message).toMatch(/the vocabulary has byte tokens but none for byte 0x0a \(<0x0A>\)/);
    // The order of the keys does not matter: the tokenizer may come first.
    const tokenizerFirst = gguf({ metadata: [ARCH, kv('tokenizer.ggml.model', T.string, str('llama')), kv('tokenizer.ggml.tokens', T.array, array(T.string, damagedSet.map(str)))] });
    expect(refusal(tokenizerFirst).message).toMatch(/none for byte 0x0a/);
  });

  it('leaves other tokenizers alone (a byte-level BPE does not look bytes up that way)', () => {
    expect(checkGgufFile(file(model('gpt2', bytes.slice(0, 10))))).toBeDefined();
  });
});

describe('doctor\'s model check uses the same GGUF check', () => {
  it('a truncated GGUF under another setting is refused naming that setting', () => {
    const bytes = gguf();
    const path = file(bytes.subarray(0, bytes.length - 10));
    expect(() => checkEngineFile({ setting: 'llm.model', configured: path, path, kind: 'gguf' }, dir)).toThrow(
      new RegExp(`^llm\\.model \\(${path.replace(/[.]/g, '\\.')}\\) is truncated: its 3 tensors need ${bytes.length} bytes but the file has ${bytes.length - 10}`),
    );
    expect(() => checkEngineFile({ setting: 'llm.model', configured: path, path, kind: 'gguf' }, dir)).toThrow(GgufFileError);
    const good = file(bytes);
    expect(() => checkEngineFile({ setting: 'llm.model', configured: good, path: good, kind: 'gguf' }, dir)).not.toThrow();
  });
});
