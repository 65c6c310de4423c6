import { readFileSync } from 'node:fs';
import { KioskVoiceError } from '../../errors.js';
import { protoFields, WIRE_I32, WIRE_LEN, WIRE_VARINT, type ProtoBytes, type ProtoField } from '../protobufReader.js';

/*
 * A SentencePiece model (the `bpe.model` beside a sherpa-onnx keyword spotter) read and applied in
 * plain TypeScript: Node has no sentencepiece, and the wake phrases must be cut into exactly the
 * pieces the model was trained on, or the spotter listens for a token sequence it never emits.
 *
 * Despite the file name, icefall's "bpe.model" files — the gigaspeech keyword spotter's among
 * them — are *unigram* models: icefall's local/train_bpe_model.py trains with
 * `model_type = "unigram"`. So both of SentencePiece's subword algorithms are implemented, chosen
 * by the model's own `trainer_spec.model_type`:
 *   - unigram: the segmentation with the highest total piece score (Viterbi), as
 *     sentencepiece's unigram_model.cc EncodeOptimized;
 *   - BPE: repeatedly merge the adjacent pair whose merged piece has the highest score (leftmost
 *     first on ties), as bpe_model.cc.
 *
 * Normalisation is approximated: where the model carries a precompiled character map (icefall's
 * carry the NFKC-based `nmt_nfkc` one) String.prototype.normalize('NFKC') stands in for it; then the
 * whitespace rules the model's normalizer_spec names (trim and collapse, a leading "▁", spaces
 * as "▁"). That covers wake phrases (a few plain words); exotic characters may differ, and byte
 * fallback is not implemented (such characters come out as unknown, which the caller refuses).
 */

/** SentencePiece piece types (sentencepiece_model.proto, ModelProto.SentencePiece.Type). */
export type PieceType = 'normal' | 'unknown' | 'control' | 'userDefined' | 'unused' | 'byte';

/** One piece of an encoded text. `unknown` marks characters no piece covers. */
export interface EncodedPiece {
  piece: string;
  type: PieceType;
}

/** The file is not a SentencePiece model, or one this reader cannot apply. */
export class SentencePieceModelError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} is not a usable SentencePiece model: ${reason}`, 'use the bpe.model that came with the model');
  }
}

const PIECE_TYPES: Record<number, PieceType> = { 1: 'normal', 2: 'unknown', 3: 'control', 4: 'userDefined', 5: 'unused', 6: 'byte' };
const UNIGRAM = 1;
const BPE = 2;
const SPACE = '\u2581';
/** unigram_model.cc: an unknown character costs this much below the worst piece. */
const UNK_PENALTY = 10;
/** C's FLT_MIN and FLT_MAX, sentencepiece's starting points for the max and min piece score. */
const FLT_MIN = 1.1754943508222875e-38;
const FLT_MAX = 3.4028234663852886e38;

interface Piece {
  score: number;
  type: PieceType;
}

interface NormalizerFlags {
  nfkc: boolean;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/**
 * A parsed SentencePiece ModelProto that encodes text into pieces the way sentencepiece does.
 */
export class SentencePieceModel {
  /** Pieces a text can be cut into (normal, user-defined, unused), by surface string. */
  private readonly pieces = new Map<string, Piece>();
  private readonly userDefined: string[] = [];
  private readonly maxPieceChars: number;
  private readonly minScore: number;
  private readonly maxScore: number;
  /** How the vocabulary's normal pieces spell letters: gigaspeech's are all upper-case. */
  readonly letterCase: 'upper' | 'lower' | 'mixed';

  private constructor(
    readonly algorithm: 'unigram' | 'bpe',
    entries: ReadonlyArray<{ piece: string; score: number; type: PieceType }>,
    private readonly normalizer: NormalizerFlags,
  ) {
    let maxChars = 1;
    let minScore = FLT_MAX;
    let maxScore = FLT_MIN;
    let upper = false;
    let lower = false;
    for (const e of entries) {
      // Control, unknown and byte pieces are never matched against text (model_interface.cc).
      if (e.type !== 'normal' && e.type !== 'userDefined' && e.type !== 'unused') continue;
      this.pieces.set(e.piece, { score: e.score, type: e.type });
      maxChars = Math.max(maxChars, [...e.piece].length);
      if (e.type === 'userDefined') this.userDefined.push(e.piece);
      if (e.type === 'normal') {
        minScore = Math.min(minScore, e.score);
        maxScore = Math.max(maxScore, e.score);
        upper ||= /\p{Lu}/u.test(e.piece);
        lower ||= /\p{Ll}/u.test(e.piece);
      }
    }
    this.maxPieceChars = maxChars;
    this.minScore = minScore;
    this.maxScore = maxScore;
    this.letterCase = upper && !lower ? 'upper' : lower && !upper ? 'lower' : 'mixed';
    // Longest first, so the prefix match takes "<sos/eos>" before a shorter symbol it starts with.
    this.userDefined.sort((a, b) => b.length - a.length);
  }

  /** Reads a `.model` file; throws SentencePieceModelError when it is not a usable one. */
  static read(path: string): SentencePieceModel {
    return SentencePieceModel.parse(readFileSync(path), path);
  }

  /** Parses ModelProto bytes; `path` only names the source in errors. */
  static parse(bytes: Uint8Array, path: string): SentencePieceModel {
    const entries: Array<{ piece: string; score: number; type: PieceType }> = [];
    let modelType = UNIGRAM; // the proto's default
    let charsMapBytes = 0;
    // The proto's defaults, for fields the model leaves out.
    const normalizer: NormalizerFlags = { nfkc: false, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
    try {
      const r = new ProtoReader(bytes);
      for (const f of r.fields(0, bytes.length)) {
        if (f.field === 1) {
          let piece: string | undefined;
          let score = 0;
          let type: PieceType = 'normal';
          for (const g of r.fields(...r.message(f))) {
            if (g.field === 1) piece = r.string(g);
            else if (g.field === 2) score = r.float(g);
            else if (g.field === 3) {
              const t = PIECE_TYPES[r.varint(g)];
              if (t === undefined) throw new Error(`piece ${entries.length} has an unknown type`);
              type = t;
            }
          }
          if (piece === undefined || piece === '') throw new Error(`piece ${entries.length} is empty`);
          entries.push({ piece, score, type });
        } else if (f.field === 2) {
          for (const g of r.fields(...r.message(f))) if (g.field === 3) modelType = r.varint(g);
        } else if (f.field === 3) {
          for (const g of r.fields(...r.message(f))) {
            if (g.field === 2) charsMapBytes = g.end - g.start;
            else if (g.field === 3) normalizer.addDummyPrefix = r.varint(g) !== 0;
            else if (g.field === 4) normalizer.removeExtraWhitespaces = r.varint(g) !== 0;
            else if (g.field === 5) normalizer.escapeWhitespaces = r.varint(g) !== 0;
          }
        }
      }
    } catch (e) {
      throw new SentencePieceModelError(path, e instanceof Error ? e.message : String(e));
    }
    if (entries.length === 0) throw new SentencePieceModelError(path, 'it has no pieces');
    // sentencepiece refuses a model without exactly one unknown piece; so does this reader, which
    // also keeps other protobuf files (an ONNX model, a tokens.txt) from passing as a model.
    const unknowns = entries.filter((e) => e.type === 'unknown').length;
    if (unknowns !== 1) throw new SentencePieceModelError(path, `it has ${unknowns} unknown pieces (<unk>), a model has one`);
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.piece)) throw new SentencePieceModelError(path, `piece ${JSON.stringify(e.piece)} is defined twice`);
      seen.add(e.piece);
    }
    if (modelType !== UNIGRAM && modelType !== BPE) {
      throw new SentencePieceModelError(path, `its model_type is ${modelType}; only unigram (1) and BPE (2) models are supported`);
    }
    // sentencepiece maps characters only through a precompiled map ("identity" models have none).
    normalizer.nfkc = charsMapBytes > 0;
    return new SentencePieceModel(modelType === BPE ? 'bpe' : 'unigram', entries, normalizer);
  }

  /** Cuts `text` into pieces, as sentencepiece's encode(text, out_type=str) does. */
  encode(text: string): EncodedPiece[] {
    const normalized = this.normalize(text);
    if (normalized === '') return [];
    return this.algorithm === 'unigram' ? this.encodeUnigram(normalized) : this.encodeBpe(normalized);
  }

  private normalize(text: string): string {
    // nmt_nfkc also maps tabs, newlines and other spaces to ' '; without a map only ' ' is one.
    let t = this.normalizer.nfkc ? text.normalize('NFKC').replace(/\s/g, ' ') : text;
    if (this.normalizer.removeExtraWhitespaces) t = t.replace(/^ +| +$/g, '').replace(/ {2,}/g, ' ');
    if (t === '') return '';
    if (this.normalizer.addDummyPrefix) t = ' ' + t;
    return this.normalizer.escapeWhitespaces ? t.replaceAll(' ', SPACE) : t;
  }

  /** Best-scoring segmentation; ties keep the piece that starts earliest, as sentencepiece does. */
  private encodeUnigram(normalized: string): EncodedPiece[] {
    const chars = [...normalized];
    const n = chars.length;
    const unkScore = this.minScore - UNK_PENALTY;
    // best[e]: the best path over chars[0, e): its score, where its last piece starts, that piece.
    const best: Array<{ score: number; start: number; type: PieceType } | undefined> = new Array(n + 1);
    best[0] = { score: 0, start: -1, type: 'normal' };
    for (let start = 0; start < n; start++) {
      const before = best[start];
      // Position `start` was reached: by a piece or an unknown ending there (or it is 0).
      if (before === undefined) throw new Error(`unreachable: no path to character ${start}`);
      let coveredOneChar = false;
      for (let len = 1; len <= this.maxPieceChars && start + len <= n; len++) {
        const surface = chars.slice(start, start + len).join('');
        const piece = this.pieces.get(surface);
        if (piece === undefined || piece.type === 'unused') continue;
        // User-defined symbols get a bonus so they are always chosen (unigram_model.cc).
        const score = piece.type === 'userDefined' ? Buffer.byteLength(surface) * this.maxScore - 0.1 : piece.score;
        const candidate = before.score + score;
        const target = best[start + len];
        if (target === undefined || candidate > target.score) best[start + len] = { score: candidate, start, type: piece.type };
        if (len === 1) coveredOneChar = true;
      }
      if (!coveredOneChar) {
        const candidate = before.score + unkScore;
        const target = best[start + 1];
        if (target === undefined || candidate > target.score) best[start + 1] = { score: candidate, start, type: 'unknown' };
      }
    }
    const out: EncodedPiece[] = [];
    for (let end = n; end > 0; ) {
      const node = best[end];
      if (node === undefined) throw new Error('unreachable: every position is covered by a piece or an unknown');
      out.push({ piece: chars.slice(node.start, end).join(''), type: node.type });
      end = node.start;
    }
    return mergeUnknownRuns(out.reverse());
  }

  /** Greedy merges by piece score; user-defined symbols are matched whole first and never merged. */
  private encodeBpe(normalized: string): EncodedPiece[] {
    const symbols: Array<{ piece: string; frozen: boolean }> = [];
    for (let rest = normalized; rest !== ''; ) {
      const user = this.userDefined.find((u) => rest.startsWith(u));
      const first = user ?? [...rest][0] ?? '';
      symbols.push({ piece: first, frozen: user !== undefined });
      rest = rest.slice(first.length);
    }
    // Merges that produced an unused piece, to split it again at the end (bpe_model.cc).
    const unmerge = new Map<string, [string, string]>();
    for (;;) {
      let bestAt = -1;
      let bestScore = -Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const left = symbols[i];
        const right = symbols[i + 1];
        if (left === undefined || right === undefined || left.frozen || right.frozen) continue;
        const merged = this.pieces.get(left.piece + right.piece);
        // Strictly greater: on equal scores the leftmost pair wins.
        if (merged !== undefined && merged.score > bestScore) {
          bestScore = merged.score;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      const left = symbols[bestAt];
      const right = symbols[bestAt + 1];
      if (left === undefined || right === undefined) break;
      const merged = left.piece + right.piece;
      if (this.pieces.get(merged)?.type === 'unused') unmerge.set(merged, [left.piece, right.piece]);
      symbols.splice(bestAt, 2, { piece: merged, frozen: false });
    }
    const out: EncodedPiece[] = [];
    const emit = (piece: string): void => {
      const parts = unmerge.get(piece);
      if (parts !== undefined) {
        emit(parts[0]);
        emit(parts[1]);
        return;
      }
      const type = this.pieces.get(piece)?.type;
      out.push({ piece, type: type === undefined || type === 'unused' ? 'unknown' : type });
    };
    for (const s of symbols) emit(s.piece);
    return mergeUnknownRuns(out);
  }
}

/** sentencepiece reports a run of unknown characters as one unknown piece. */
function mergeUnknownRuns(pieces: EncodedPiece[]): EncodedPiece[] {
  const out: EncodedPiece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (p.type === 'unknown' && last?.type === 'unknown') last.piece += p.piece;
    else out.push({ ...p });
  }
  return out;
}

/** The few protobuf reads a ModelProto needs, over bytes held in memory. */
class ProtoReader implements ProtoBytes {
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  byte(pos: number): number {
    const b = this.bytes[pos];
    if (b === undefined) throw new RangeError('read past end');
    return b;
  }

  fields(start: number, end: number): Generator<ProtoField> {
    return protoFields(this, start, end);
  }

  message(f: ProtoField): [number, number] {
    if (f.wire !== WIRE_LEN) throw new Error(`field ${f.field} should be a message`);
    return [f.start, f.end];
  }

  string(f: ProtoField): string {
    if (f.wire !== WIRE_LEN) throw new Error(`field ${f.field} should be a string`);
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(f.start, f.end));
  }

  float(f: ProtoField): number {
    if (f.wire !== WIRE_I32) throw new Error(`field ${f.field} should be a float`);
    return this.view.getFloat32(f.start, true);
  }

  varint(f: ProtoField): number {
    if (f.wire !== WIRE_VARINT) throw new Error(`field ${f.field} should be an integer`);
    return f.value;
  }
}
