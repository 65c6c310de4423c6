import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { protoFields, WIRE_LEN, WIRE_VARINT, type ProtoBytes, type ProtoField } from './protobufReader.js';

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

/** Fields longer than this are skipped without being read, so a 300 MB model costs a few reads. */
const CHUNK = 64 * 1024;

/**
 * Random-access reads with a small window cache: the reader walks field headers and seeks past
 * large fields (initializers), so memory stays small whatever the model size.
 */
class FileWindow implements ProtoBytes {
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

function utf8(w: FileWindow, f: ProtoField): string {
  if (f.wire !== WIRE_LEN) throw new Error(`field ${f.field} should be a string`);
  return w.bytes(f.start, f.end - f.start).toString('utf8');
}

function stringField(w: FileWindow, msg: ProtoField, fieldNo: number): string {
  let out = '';
  for (const f of protoFields(w, msg.start, msg.end)) if (f.field === fieldNo) out = utf8(w, f);
  return out;
}

/** The first field `fieldNo` of a message, if it has one. */
function child(w: FileWindow, msg: ProtoField, fieldNo: number): ProtoField | undefined {
  for (const f of protoFields(w, msg.start, msg.end)) if (f.field === fieldNo && f.wire === WIRE_LEN) return f;
  return undefined;
}

/** ValueInfoProto → TypeProto.tensor_type → TensorShapeProto, as fixed sizes and parameter names. */
function tensorShape(w: FileWindow, valueInfo: ProtoField): Array<number | string> | undefined {
  const type = child(w, valueInfo, VALUE_INFO_TYPE);
  const tensor = type && child(w, type, TYPE_TENSOR);
  const shape = tensor && child(w, tensor, TENSOR_SHAPE);
  if (shape === undefined) return undefined;
  const dims: Array<number | string> = [];
  for (const d of protoFields(w, shape.start, shape.end)) {
    if (d.field !== SHAPE_DIM || d.wire !== WIRE_LEN) continue;
    let dim: number | string = '';
    for (const v of protoFields(w, d.start, d.end)) {
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
      for (const f of protoFields(w, 0, size)) {
        if (f.field === MODEL_IR_VERSION && f.wire === WIRE_VARINT) info.irVersion = f.value;
        else if (f.field === MODEL_METADATA_PROPS && f.wire === WIRE_LEN) {
          const key = stringField(w, f, ENTRY_KEY);
          const value = stringField(w, f, ENTRY_VALUE);
          info.metadata.set(key, value);
        } else if (f.field === MODEL_GRAPH && f.wire === WIRE_LEN) {
          sawGraph = true;
          for (const g of protoFields(w, f.start, f.end)) {
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
