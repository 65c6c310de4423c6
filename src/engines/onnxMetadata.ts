import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * What sherpa-onnx looks at before it runs a model: the custom metadata (`metadata_props`) and the
 * graph's input and output names.
 */
export interface OnnxModelInfo {
  irVersion: number | undefined;
  /** Custom metadata, e.g. sample_rate, model_type, vocab_size. */
  metadata: Map<string, string>;
  /** Graph input names in file order (exporters before IR 4 also list initializers here). */
  inputs: string[];
  outputs: string[];
  /**
   * Each graph output's declared shape, in `outputs` order: a number for a fixed dimension, the
   * parameter name for a symbolic one ("N"), "" for an unnamed one; undefined when the output
   * declares no shape. Always filled by readOnnxModelInfo.
   */
  outputShapes?: Array<Array<number | string> | undefined>;
}

/** The file is not a protobuf-encoded ONNX ModelProto (truncated, text, another format). */
export class OnnxFormatError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} is not an ONNX model: ${reason}`);
    this.name = 'OnnxFormatError';
  }
}

// ONNX protobuf field numbers (onnx/onnx.proto3).
const MODEL_IR_VERSION = 1;
const MODEL_GRAPH = 7;
const MODEL_METADATA_PROPS = 14;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Fields longer than this are skipped without being read, so a 300 MB model costs a few reads. */
const CHUNK = 64 * 1024;

/**
 * Random-access reads with a small window cache: the reader walks field headers and seeks past
 * large fields (initializers), so memory stays small whatever the model size.
 */
class FileWindow {
  private buf = Buffer.alloc(CHUNK);
  private start = 0;
  private length = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.length) this.fill(pos);
    const b = this.buf[pos - this.start];
    if (b === undefined) throw new RangeError('read past end');
    return b;
  }

  bytes(pos: number, n: number): Buffer {
    if (n > CHUNK) {
      const out = Buffer.alloc(n);
      readSync(this.fd, out, 0, n, pos);
      return out;
    }
    if (pos < this.start || pos + n > this.start + this.length) this.fill(pos);
    return Buffer.from(this.buf.subarray(pos - this.start, pos - this.start + n));
  }

  private fill(pos: number): void {
    this.start = pos;
    this.length = readSync(this.fd, this.buf, 0, CHUNK, pos);
  }
}

interface Field {
  field: number;
  wire: number;
  /** Varint value (for WIRE_VARINT). */
  value: number;
  /** Byte range of a LEN field's payload. */
  start: number;
  end: number;
}

/**
 * Walks the fields of the message in [start, end). Throws a plain Error on malformed input;
 * the caller turns it into an OnnxFormatError.
 */
function* fields(w: FileWindow, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = varint(w, pos, end);
    pos = afterKey;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error(`field number 0 at byte ${pos}`);
    switch (wire) {
      case WIRE_VARINT: {
        const [value, next] = varint(w, pos, end);
        yield { field, wire, value, start: pos, end: next };
        pos = next;
        break;
      }
      case WIRE_I64:
        if (pos + 8 > end) throw new Error('truncated 64-bit field');
        yield { field, wire, value: 0, start: pos, end: pos + 8 };
        pos += 8;
        break;
      case WIRE_I32:
        if (pos + 4 > end) throw new Error('truncated 32-bit field');
        yield { field, wire, value: 0, start: pos, end: pos + 4 };
        pos += 4;
        break;
      case WIRE_LEN: {
        const [len, next] = varint(w, pos, end);
        if (next + len > end) throw new Error(`field ${field} runs past its message (${len} bytes)`);
        yield { field, wire, value: len, start: next, end: next + len };
        pos = next + len;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${wire} at byte ${pos}`);
    }
  }
  if (pos !== end) throw new Error('message overruns its length');
}

/** Unsigned LEB128; Number arithmetic because lengths and ids can pass 2^31. */
function varint(w: FileWindow, pos: number, end: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint');
    const b = w.byte(pos++);
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [result, pos];
    scale *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}

function utf8(w: FileWindow, f: Field): string {
  if (f.wire !== WIRE_LEN) throw new Error(`field ${f.field} should be a string`);
  return w.bytes(f.start, f.end - f.start).toString('utf8');
}

function stringField(w: FileWindow, msg: Field, fieldNo: number): string {
  let out = '';
  for (const f of fields(w, msg.start, msg.end)) if (f.field === fieldNo) out = utf8(w, f);
  return out;
}

/** The first field `fieldNo` of a message, if it has one. */
function child(w: FileWindow, msg: Field, fieldNo: number): Field | undefined {
  for (const f of fields(w, msg.start, msg.end)) if (f.field === fieldNo && f.wire === WIRE_LEN) return f;
  return undefined;
}

/** ValueInfoProto → TypeProto.tensor_type → TensorShapeProto, as fixed sizes and parameter names. */
function tensorShape(w: FileWindow, valueInfo: Field): Array<number | string> | undefined {
  const type = child(w, valueInfo, VALUE_INFO_TYPE);
  const tensor = type && child(w, type, TYPE_TENSOR);
  const shape = tensor && child(w, tensor, TENSOR_SHAPE);
  if (shape === undefined) return undefined;
  const dims: Array<number | string> = [];
  for (const d of fields(w, shape.start, shape.end)) {
    if (d.field !== SHAPE_DIM || d.wire !== WIRE_LEN) continue;
    let dim: number | string = '';
    for (const v of fields(w, d.start, d.end)) {
      if (v.field === DIM_VALUE && v.wire === WIRE_VARINT) dim = v.value;
      else if (v.field === DIM_PARAM && v.wire === WIRE_LEN) dim = utf8(w, v);
    }
    dims.push(dim);
  }
  return dims;
}

/**
 * Reads an ONNX model's metadata and graph input/output names without loading its weights.
 * Throws OnnxFormatError when the file is not an ONNX model.
 */
export function readOnnxModelInfo(path: string): OnnxModelInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new OnnxFormatError(path, 'the file is empty');
    const w = new FileWindow(fd, size);
    const outputShapes: Array<Array<number | string> | undefined> = [];
    const info: OnnxModelInfo = { irVersion: undefined, metadata: new Map(), inputs: [], outputs: [], outputShapes };
    let sawGraph = false;
    try {
      for (const f of fields(w, 0, size)) {
        if (f.field === MODEL_IR_VERSION && f.wire === WIRE_VARINT) info.irVersion = f.value;
        else if (f.field === MODEL_METADATA_PROPS && f.wire === WIRE_LEN) {
          const key = stringField(w, f, ENTRY_KEY);
          const value = stringField(w, f, ENTRY_VALUE);
          info.metadata.set(key, value);
        } else if (f.field === MODEL_GRAPH && f.wire === WIRE_LEN) {
          sawGraph = true;
          for (const g of fields(w, f.start, f.end)) {
            if (g.wire !== WIRE_LEN) continue;
            if (g.field === GRAPH_INPUT) info.inputs.push(stringField(w, g, VALUE_INFO_NAME));
            else if (g.field === GRAPH_OUTPUT) {
              info.outputs.push(stringField(w, g, VALUE_INFO_NAME));
              outputShapes.push(tensorShape(w, g));
            }
          }
        }
      }
    } catch (e) {
      throw new OnnxFormatError(path, e instanceof Error ? e.message : String(e));
    }
    if (info.irVersion === undefined) throw new OnnxFormatError(path, 'it has no ir_version');
    if (!sawGraph) throw new OnnxFormatError(path, 'it has no graph');
    return info;
  } finally {
    closeSync(fd);
  }
}
