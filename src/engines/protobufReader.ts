/*
 * The protobuf wire format, as far as the model readers here need it (onnxMetadata.ts walks an
 * ONNX ModelProto in a file, kws/SentencePieceModel.ts a SentencePiece ModelProto in memory):
 * field headers, varints, and the byte ranges of the other wire types. No schema, no decoding of
 * values beyond varints; the callers pick the fields they know.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Where the bytes come from: `byte(pos)` is the byte at absolute position `pos`. */
export interface ProtoBytes {
  byte(pos: number): number;
}

/** One field of a message. */
export interface ProtoField {
  field: number;
  wire: number;
  /** The value of a varint field; the payload length of a LEN field; 0 for fixed-size ones. */
  value: number;
  /** Byte range of the value (for a LEN field, of its payload). */
  start: number;
  end: number;
}

/**
 * Walks the fields of the message in [start, end). Throws a plain Error on malformed input; the
 * caller turns it into its own format error.
 */
export function* protoFields(bytes: ProtoBytes, start: number, end: number): Generator<ProtoField> {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = readVarint(bytes, pos, end);
    pos = afterKey;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error(`field number 0 at byte ${pos}`);
    switch (wire) {
      case WIRE_VARINT: {
        const [value, next] = readVarint(bytes, pos, end);
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
        const [len, next] = readVarint(bytes, pos, end);
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

/**
 * Unsigned LEB128 at `pos` (not past `end`): [value, position after it]. Number arithmetic,
 * because lengths and ids can pass 2^31; exact up to 2^53.
 */
export function readVarint(bytes: ProtoBytes, pos: number, end: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint');
    const b = bytes.byte(pos++);
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [result, pos];
    scale *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}
