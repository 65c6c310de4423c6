/**
 * The wake-phrase tokeniser on small hand-made SentencePiece models (protobuf bytes built here).
 * The expected segmentations below are what sentencepiece 0.1.97 (Debian python3-sentencepiece)
 * gives for the same model bytes; the encoder was also checked against it on 500-piece unigram
 * and BPE models trained with spm_train (2,926 texts, all equal).
 */
import { describe, expect, it } from 'vitest';
import { KioskVoiceError } from '../../src/errors.js';
import { SentencePieceModel, SentencePieceModelError } from '../../src/engines/kws/SentencePieceModel.js';
import { tokenizeKeywords, WakePhraseError } from '../../src/engines/kws/tokenizeKeywords.js';

// ------------------------------------------------------------ a minimal protobuf writer

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};
const len = (field: number, payload: number[]): number[] => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
const float = (field: number, value: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return [...varint((field << 3) | 5), ...b];
};
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

const NORMAL = 1;
const UNKNOWN = 2;
const USER_DEFINED = 4;
const UNUSED = 5;

type PieceSpec = [piece: string, score: number, type?: number];

/** A ModelProto: pieces, trainer_spec.model_type, normalizer_spec (optionally with a charsmap). */
function spModel(pieces: PieceSpec[], modelType: number, options: { charsMap?: boolean } = {}): Uint8Array {
  const bytes: number[] = [];
  for (const [piece, score, type = NORMAL] of pieces) {
    bytes.push(...len(1, [...len(1, utf8(piece)), ...float(2, score), ...(type === NORMAL ? [] : int(3, type))]));
  }
  bytes.push(...len(2, int(3, modelType)));
  // The map's content is never read (NFKC stands in for it): any bytes mark it present.
  const charsMap = options.charsMap ? len(2, [1, 2, 3, 4]) : [];
  bytes.push(...len(3, [...len(1, utf8(options.charsMap ? 'nmt_nfkc' : 'identity')), ...charsMap, ...int(3, 1), ...int(4, 1), ...int(5, 1)]));
  return Uint8Array.from(bytes);
}

// icefall-style: <blk> and <sos/eos> user-defined, then <unk>, then scored pieces (unigram).
const UNIGRAM_PIECES: PieceSpec[] = [
  ['<blk>', 0, USER_DEFINED],
  ['<sos/eos>', 0, USER_DEFINED],
  ['<unk>', 0, UNKNOWN],
  ['<SIL>', 0, USER_DEFINED],
  ['▁', -2],
  ['▁HE', -3],
  ['▁KI', -3.5],
  ['OSK', -4],
  ['▁HI', -4],
  ['LL', -4.5],
  ['Y', -3],
  ...'EHIKLOSTW'.split('').map((c): PieceSpec => [c, -6]),
];
const unigram = SentencePieceModel.parse(spModel(UNIGRAM_PIECES, 1), 'unigram.model');
const pieces = (model: SentencePieceModel, text: string): string[] => model.encode(text).map((p) => p.piece);

describe('SentencePieceModel: unigram (what icefall calls bpe.model)', () => {
  it('reads the algorithm from trainer_spec', () => {
    expect(unigram.algorithm).toBe('unigram');
    // A model that leaves model_type out is unigram, the proto's default.
    const noType = Uint8Array.from([...len(1, [...len(1, utf8('<unk>')), ...int(3, UNKNOWN)]), ...len(1, [...len(1, utf8('A')), ...float(2, -1)])]);
    expect(SentencePieceModel.parse(noType, 'x.model').algorithm).toBe('unigram');
  });

  it('picks the segmentation with the best total score', () => {
    expect(pieces(unigram, 'HEY KIOSK')).toEqual(['▁HE', 'Y', '▁KI', 'OSK']);
    expect(pieces(unigram, 'HELLO')).toEqual(['▁HE', 'LL', 'O']);
    expect(pieces(unigram, 'HI KIOSK')).toEqual(['▁HI', '▁KI', 'OSK']);
    expect(pieces(unigram, 'WHO IS THE HOST')).toEqual(['▁', 'W', 'H', 'O', '▁', 'I', 'S', '▁', 'T', 'H', 'E', '▁', 'H', 'O', 'S', 'T']);
  });

  it('tidies spaces, and knows the case of the vocabulary', () => {
    expect(pieces(unigram, '  HEY   KIOSK ')).toEqual(['▁HE', 'Y', '▁KI', 'OSK']);
    expect(unigram.encode('   ')).toEqual([]);
    expect(unigram.letterCase).toBe('upper');
    // Letters are not case-mapped by the model itself (sentencepiece does not either).
    expect(unigram.encode('hey').map((p) => p.type)).toEqual(['normal', 'unknown']);
  });

  it('reports characters no piece covers as one unknown run', () => {
    expect(unigram.encode('HEY ZEBRA')).toEqual([
      { piece: '▁HE', type: 'normal' },
      { piece: 'Y', type: 'normal' },
      { piece: '▁', type: 'normal' },
      { piece: 'Z', type: 'unknown' },
      { piece: 'E', type: 'normal' },
      { piece: 'BRA', type: 'unknown' },
    ]);
  });

  it('matches user-defined symbols whole', () => {
    expect(unigram.encode('<blk>HEY').map((p) => `${p.piece}:${p.type}`)).toEqual(['▁:normal', '<blk>:userDefined', 'H:normal', 'E:normal', 'Y:normal']);
  });

  it('applies NFKC only when the model carries a character map', () => {
    const withMap = SentencePieceModel.parse(spModel(UNIGRAM_PIECES, 1, { charsMap: true }), 'nfkc.model');
    // Full-width letters: NFKC makes them ASCII; without a map they stay unknown.
    expect(pieces(withMap, 'ＨＥＹ\tＫＩＯＳＫ')).toEqual(['▁HE', 'Y', '▁KI', 'OSK']);
    expect(pieces(unigram, 'ＨＥＹ')).toEqual(['▁', 'ＨＥＹ']);
    // Without a map a tab is a character like any other, as in sentencepiece.
    expect(pieces(unigram, 'HEY\tKIOSK')).toEqual(['▁HE', 'Y', '\t', 'K', 'I', 'OSK']);
  });
});

describe('SentencePieceModel: BPE', () => {
  const bpe = SentencePieceModel.parse(
    spModel(
      [
        ['<unk>', 0, UNKNOWN],
        ['▁H', -1],
        ['EY', -1],
        ['▁HEY', -2],
        ['KI', -3],
        ['OS', -4],
        ['SK', -4],
        ['OSK', -5],
        ['▁KIOSK', -6],
        ['▁KI', -7],
        ['AB', -0.5, UNUSED],
        ['ABC', -8],
        ['▁', -9],
        ...'ABCEHIKOSY'.split('').map((c, i): PieceSpec => [c, -10 - i]),
      ],
      2,
    ),
    'bpe.model',
  );

  it('merges the best-scoring adjacent pair first', () => {
    expect(bpe.algorithm).toBe('bpe');
    // ▁H and EY (-1), then ▁HEY (-2); KI (-3); OS (-4, left of SK); OSK (-5); ▁KI (-7) last,
    // and only then ▁KI + OSK can form ▁KIOSK.
    expect(pieces(bpe, 'HEY KIOSK')).toEqual(['▁HEY', '▁KIOSK']);
  });

  it('takes the leftmost pair when scores tie', () => {
    // OS and SK both score -4: "OSK" is OS + K, so OSK (-5) can still form; "SOSK" → S, OSK.
    expect(pieces(bpe, 'SOSK')).toEqual(['▁', 'S', 'OSK']);
    expect(pieces(bpe, 'OSOS')).toEqual(['▁', 'OS', 'OS']);
  });

  it('splits an unused piece again unless a merge consumed it', () => {
    expect(pieces(bpe, 'AB')).toEqual(['▁', 'A', 'B']);
    expect(pieces(bpe, 'ABC')).toEqual(['▁', 'ABC']);
  });
});

describe('SentencePieceModel refuses what it cannot read', () => {
  const refuse = (bytes: Uint8Array): SentencePieceModelError => {
    try {
      SentencePieceModel.parse(bytes, 'x.model');
    } catch (e) {
      expect(e).toBeInstanceOf(SentencePieceModelError);
      return e as SentencePieceModelError;
    }
    throw new Error('expected SentencePieceModelError');
  };

  it('text, an ONNX header, nothing', () => {
    expect(refuse(Uint8Array.from(Buffer.from('<blk> 0\n<unk> 1\n'))).message).toMatch(/^x\.model is not a usable SentencePiece model: /);
    // ONNX ModelProto starts with ir_version, field 1 as an integer.
    expect(refuse(Uint8Array.from([0x08, 0x07, 0x12, 0x00])).message).toContain('field 1 should be a message');
    expect(refuse(new Uint8Array(0)).message).toContain('it has no pieces');
  });

  it('a model without exactly one <unk>, with a piece twice, or of another type', () => {
    expect(refuse(spModel([['A', -1]], 1)).message).toContain('0 unknown pieces');
    expect(refuse(spModel([['<unk>', 0, UNKNOWN], ['A', -1], ['A', -2]], 1)).message).toContain('"A" is defined twice');
    expect(refuse(spModel([['<unk>', 0, UNKNOWN], ['A', -1]], 3)).message).toContain('model_type is 3; only unigram (1) and BPE (2)');
  });
});

describe('tokenizeKeywords', () => {
  const tokens = new Map(UNIGRAM_PIECES.map(([p], i) => [p, i]));
  const sources = { phrasesKey: 'turn.wake.phrases', tokensKey: 'turn.wake.files.tokens', tokensPath: '/m/tokens.txt', bpeKey: 'turn.wake.files.bpe' };
  const fails = (phrases: string[], table: ReadonlyMap<string, number> = tokens): WakePhraseError => {
    try {
      tokenizeKeywords(phrases, unigram, table, sources);
    } catch (e) {
      expect(e).toBeInstanceOf(WakePhraseError);
      return e as WakePhraseError;
    }
    throw new Error('expected WakePhraseError');
  };

  it("writes sherpa's keyword lines: tokens, then the phrase as one @word", () => {
    const r = tokenizeKeywords(['hey kiosk', 'Hello'], unigram, tokens, sources);
    expect(r.text).toBe('▁HE Y ▁KI OSK @hey_kiosk\n▁HE LL O @hello\n');
    expect(r.keywords).toEqual([
      { phrase: 'hey kiosk', tokens: ['▁HE', 'Y', '▁KI', 'OSK'], label: 'hey_kiosk' },
      { phrase: 'Hello', tokens: ['▁HE', 'LL', 'O'], label: 'hello' },
    ]);
  });

  it('a character the model cannot spell → names the phrase and the characters', () => {
    const e = fails(['hey kiosk', 'hey zebra!']);
    expect(e.phrase).toBe('hey zebra!');
    expect(e.message).toBe('turn.wake.phrases: "hey zebra!" has characters the wake model has no token for: "Z", "BRA!"');
    expect(e.hint).toContain('plain words');
  });

  it('a token tokens.txt lacks → says the files belong to different models', () => {
    const other = new Map(tokens);
    other.delete('OSK');
    const e = fails(['hey kiosk'], other);
    expect(e.message).toBe('turn.wake.phrases: "hey kiosk" is cut into ▁HE Y ▁KI OSK, but /m/tokens.txt has no "OSK"');
    expect(e.hint).toContain('turn.wake.files.tokens and turn.wake.files.bpe must come from the same model');
  });

  it('a model symbol, an empty phrase, the same keyword twice → named errors', () => {
    expect(fails(['<SIL> hey']).message).toContain('contains "<SIL>", a symbol of the model rather than a word');
    expect(fails(['  ']).message).toContain('has no words');
    expect(fails(['hey kiosk', 'HEY  KIOSK']).message).toBe('turn.wake.phrases: "HEY  KIOSK" is the same keyword as "hey kiosk" (▁HE Y ▁KI OSK)');
  });

  it('every error is one line with what to do', () => {
    const e = fails(['hey zebra']);
    expect(e).toBeInstanceOf(KioskVoiceError);
    expect(e.toUserLine()).not.toContain('\n');
    expect(e.toUserLine()).toContain(' — ');
  });
});
