import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFile } from '../helpers/sharedModels.js';
import { OnnxFormatError, readOnnxModelInfo } from '../../src/engines/onnxMetadata.js';

// A minimal protobuf writer, enough to build ONNX ModelProto files byte by byte.
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const len = (field: number, payload: number[] | Buffer): number[] => [...tag(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s, 'utf8')]);
const int = (field: number, n: number): number[] => [...tag(field, 0), ...varint(n)];

const valueInfo = (name: string): number[] => [...str(1, name), ...len(2, [0x0a, 0x00])];
const entry = (k: string, v: string): number[] => [...str(1, k), ...str(2, v)];

function model(opts: { ir?: number; graph?: number[] | null; meta?: Array<[string, string]>; extra?: number[] } = {}): Buffer {
  const graph =
    opts.graph === null
      ? []
      : len(
          7,
          opts.graph ?? [
            ...len(1, [...str(1, 'x'), ...str(2, 'y'), ...str(4, 'Identity')]), // node
            ...str(2, 'g'),
            ...len(11, valueInfo('input')),
            ...len(11, valueInfo('state')),
            ...len(12, valueInfo('output')),
          ],
        );
  return Buffer.from([
    ...(opts.ir === undefined ? int(1, 8) : opts.ir < 0 ? [] : int(1, opts.ir)),
    ...str(2, 'test'),
    ...len(8, [...str(1, ''), ...int(2, 17)]), // opset_import
    ...(opts.extra ?? []),
    ...graph,
    ...(opts.meta ?? []).flatMap(([k, v]) => len(14, entry(k, v))),
  ]);
}

let dir: string;
const write = (name: string, data: Buffer | string): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kv-onnx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readOnnxModelInfo', () => {
  it('reads metadata, inputs and outputs', () => {
    const info = readOnnxModelInfo(
      write('ok.onnx', model({ meta: [['sample_rate', '22050'], ['comment', 'piper'], ['voice', 'en-us']] })),
    );
    expect(info.irVersion).toBe(8);
    expect(Object.fromEntries(info.metadata)).toEqual({ sample_rate: '22050', comment: 'piper', voice: 'en-us' });
    expect(info.inputs).toEqual(['input', 'state']);
    expect(info.outputs).toEqual(['output']);
  });

  it('keeps UTF-8 keys and values, and empty values', () => {
    const info = readOnnxModelInfo(write('utf8.onnx', model({ meta: [['speaker_names', 'Zoë,José'], ['punctuation', '']] })));
    expect(info.metadata.get('speaker_names')).toBe('Zoë,José');
    expect(info.metadata.get('punctuation')).toBe('');
  });

  it('seeks past large fields (initializers) without reading them into one buffer', () => {
    const big = Buffer.alloc(300 * 1024, 0x42); // raw_data several times the 64 KiB read window
    const initializer = len(5, [...str(8, 'w'), ...len(9, big)]);
    const graph = [...initializer, ...len(11, valueInfo('audio_signal')), ...len(12, valueInfo('logprobs'))];
    const info = readOnnxModelInfo(write('big.onnx', model({ graph, meta: [['vocab_size', '1025']] })));
    expect(info.inputs).toEqual(['audio_signal']);
    expect(info.outputs).toEqual(['logprobs']);
    expect(info.metadata.get('vocab_size')).toBe('1025');
  });

  it('reads values longer than the read window', () => {
    const long = 'x,'.repeat(50_000);
    const info = readOnnxModelInfo(write('long.onnx', model({ meta: [['speaker_names', long], ['after', '1']] })));
    expect(info.metadata.get('speaker_names')).toBe(long);
    expect(info.metadata.get('after')).toBe('1');
  });

  it('skips fields it does not know, of every wire type', () => {
    const extra = [...tag(20, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...tag(21, 5), 1, 2, 3, 4, ...int(22, 300), ...str(23, 'doc')];
    const info = readOnnxModelInfo(write('extra.onnx', model({ extra, meta: [['a', 'b']] })));
    expect(info.metadata.get('a')).toBe('b');
  });

  it('reads the real Silero VAD (no metadata)', () => {
    const silero = sharedFile('vad/silero_vad_v5.onnx');
    const info = readOnnxModelInfo(silero);
    expect(info.metadata.size).toBe(0);
    expect(info.inputs).toEqual(['input', 'state', 'sr']);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /empty/],
    ['plain text', 'hello, this is not a model\n', /not an ONNX model/],
    ['a GGUF header', Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), /not an ONNX model/],
    ['a truncated model', model({ meta: [['k', 'v']] }).subarray(0, 30), /not an ONNX model/],
    ['a model without ir_version', model({ ir: -1 }), /no ir_version/],
    ['a model without a graph', model({ graph: null }), /no graph/],
    ['a field that claims more bytes than the file has', Buffer.from([...int(1, 8), ...tag(7, 2), ...varint(1000), 1, 2]), /runs past/],
    ['an endless varint', Buffer.from([...tag(1, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /varint/],
  ])('refuses %s', (_what, data, message) => {
    const p = write('bad.onnx', data);
    expect(() => readOnnxModelInfo(p)).toThrow(OnnxFormatError);
    expect(() => readOnnxModelInfo(p)).toThrow(message);
  });
});
