/**
 * Builds WAV files byte by byte for tests, independently of src/audio/wav.ts: the encoders here
 * (integer quantisation, IEEE float, G.711 per the ITU reference algorithm) share no code with the
 * decoder they check. Also writes a directory of broken files for CLI error-path tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

/** An extra RIFF chunk; odd-sized data gets its pad byte automatically. */
export interface RiffChunk {
  id: string;
  data: Uint8Array;
}

export interface MakeWavOptions {
  /** Sample encoding, or a raw format code (e.g. 2 for MS ADPCM) written as-is with `bits`. */
  format?: WavEncoding | number;
  /** Bits per sample written in the header and used as the container size. */
  bits?: number;
  rate?: number;
  channels?: number;
  frames?: number;
  /** Sample value in [-1, 1] for a frame and channel. Default: {@link sineSignal} for `rate`. */
  signal?: (frame: number, channel: number) => number;
  /** Write WAVE_FORMAT_EXTENSIBLE with the encoding as subformat. */
  extensible?: boolean;
  /** wValidBitsPerSample in an extensible header (default `bits`). */
  validBits?: number;
  /** Replace the 14 standard bytes after the subformat code in the extensible GUID. */
  subFormatGuidTail?: number[];
  /** Override the data chunk's size field (streaming placeholders, lying headers). */
  declaredDataSize?: number;
  /** Override the RIFF size field (default: the true size). */
  riffSize?: number;
  /** Override block align in the header (the data is still laid out with the true one). */
  blockAlign?: number;
  /** Override the fmt chunk's declared size (e.g. 14 for a short fmt chunk). */
  fmtSize?: number;
  /** Big-endian "RIFX" file. */
  bigEndian?: boolean;
  /** Replace "RIFF"/"RIFX" (e.g. with "RF64" or garbage). */
  riffId?: string;
  /** Replace "WAVE". */
  waveId?: string;
  chunksBeforeFmt?: RiffChunk[];
  chunksBeforeData?: RiffChunk[];
  chunksAfterData?: RiffChunk[];
  /** Put the fmt chunk after the data chunk (legal, rare). */
  fmtAfterData?: boolean;
  omitFmt?: boolean;
  omitData?: boolean;
  /** Bytes of a partial frame appended to the data (counted in the declared size). */
  trailingBytes?: number;
}

/** Default test signal: a different frequency and level per channel, so swapped channels show. */
export function sineSignal(rate: number, amplitude = 0.8): (frame: number, channel: number) => number {
  return (frame, channel) => {
    const freq = Math.min(440 * (channel + 1) + 37 * channel, rate / 4);
    return amplitude * (1 - 0.05 * channel) * Math.sin((2 * Math.PI * freq * frame) / rate + channel);
  };
}

/** The signal makeWav encodes, as float channels, for comparing with what the decoder returns. */
export function expectedChannels(options: MakeWavOptions): Float32Array[] {
  const { channels, frames, signal } = resolved(options);
  return Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, i) => signal(i, c)));
}

export function makeWav(options: MakeWavOptions = {}): Uint8Array {
  const o = resolved(options);
  const le = !o.bigEndian;
  const containerBytes = Math.ceil(o.bits / 8);
  const trueBlockAlign = o.channels * containerBytes;

  const dataLen = o.frames * trueBlockAlign + (o.trailingBytes ?? 0);
  const data = new Uint8Array(dataLen);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < o.frames; i++) {
    for (let c = 0; c < o.channels; c++) {
      writeSample(dv, i * trueBlockAlign + c * containerBytes, o.signal(i, c), o.format, o.bits, le);
    }
  }
  for (let i = o.frames * trueBlockAlign; i < dataLen; i++) data[i] = 0x5a;

  const code = typeof o.format === 'number' ? o.format : { pcm: 1, float: 3, alaw: 6, mulaw: 7 }[o.format];
  const fmtBody = new Uint8Array(o.extensible ? 40 : 16);
  const fv = new DataView(fmtBody.buffer);
  fv.setUint16(0, o.extensible ? 0xfffe : code, le);
  fv.setUint16(2, o.channels, le);
  fv.setUint32(4, o.rate, le);
  fv.setUint32(8, (o.rate * (o.blockAlign ?? trueBlockAlign)) >>> 0, le);
  fv.setUint16(12, o.blockAlign ?? trueBlockAlign, le);
  fv.setUint16(14, o.bits, le);
  if (o.extensible) {
    fv.setUint16(16, 22, le);
    fv.setUint16(18, o.validBits ?? o.bits, le);
    fv.setUint32(20, 0, le);
    fv.setUint16(24, code, le);
    const tail = o.subFormatGuidTail ?? [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
    fmtBody.set(tail, 26);
  }

  const parts: Uint8Array[] = [];
  const chunk = (id: string, body: Uint8Array, declared = body.length): void => {
    const header = new Uint8Array(8);
    header.set(ascii(id));
    new DataView(header.buffer).setUint32(4, declared >>> 0, le);
    parts.push(header, body);
    if (body.length % 2 === 1) parts.push(new Uint8Array(1));
  };
  for (const c of o.chunksBeforeFmt ?? []) chunk(c.id, c.data);
  const fmtChunk = (): void => chunk('fmt ', fmtBody, o.fmtSize ?? fmtBody.length);
  if (!o.omitFmt && !o.fmtAfterData) fmtChunk();
  for (const c of o.chunksBeforeData ?? []) chunk(c.id, c.data);
  if (!o.omitData) chunk('data', data, o.declaredDataSize ?? data.length);
  if (!o.omitFmt && o.fmtAfterData) fmtChunk();
  for (const c of o.chunksAfterData ?? []) chunk(c.id, c.data);

  const bodyLen = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(12 + bodyLen);
  out.set(ascii(o.riffId ?? (o.bigEndian ? 'RIFX' : 'RIFF')));
  new DataView(out.buffer).setUint32(4, (o.riffSize ?? 4 + bodyLen) >>> 0, le);
  out.set(ascii(o.waveId ?? 'WAVE'), 8);
  let at = 12;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A LIST/INFO chunk. With an even-length `text` (the default) its size is odd, so a file built with
 * it only parses if the reader honours the pad byte.
 */
export function listChunk(text = 'kiosk voice!'): RiffChunk {
  const body = new Uint8Array(4 + 8 + text.length + 1);
  body.set(ascii('INFOISFT'));
  new DataView(body.buffer).setUint32(8, text.length + 1, true);
  body.set(ascii(text), 12);
  return { id: 'LIST', data: body };
}

/**
 * Writes one broken file per failure the decoder must report and returns name → path. Every one
 * must make `kiosk-voice … --input <path>` exit non-zero with a single stderr line.
 */
export async function writeBadWavFixtures(dir: string): Promise<Record<string, string>> {
  const base: MakeWavOptions = { format: 'pcm', bits: 16, rate: 16000, channels: 1, frames: 1600 };
  const good = makeWav(base);
  const files: Record<string, Uint8Array> = {
    'not-a-wav': new TextEncoder().encode('hello, this is a text file and not audio\n'),
    empty: new Uint8Array(0),
    'truncated-header': good.subarray(0, 30),
    'zero-channels': makeWav({ ...base, channels: 1, frames: 100, blockAlign: 2 }),
    'lying-data-size': makeWav({ ...base, declaredDataSize: 1_000_000 }),
    adpcm: makeWav({ ...base, format: 2, bits: 4, blockAlign: 256, frames: 0, trailingBytes: 512 }),
    'absurd-rate': makeWav({ ...base, rate: 10_000_000 }),
    'no-data': makeWav({ ...base, omitData: true, chunksAfterData: [listChunk()] }),
    'no-fmt': makeWav({ ...base, omitFmt: true }),
    'bad-block-align': makeWav({ ...base, channels: 2, blockAlign: 3 }),
    'no-audio': makeWav({ ...base, frames: 0, trailingBytes: 1 }),
    'riff-not-wave': makeWav({ ...base, waveId: 'AVI ' }),
  };
  // zero channels cannot be built by encoding samples for 0 channels; patch the header field.
  new DataView(files['zero-channels']!.buffer).setUint16(22, 0, true);

  const paths: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, `${name}.wav`);
    await writeFile(path, bytes);
    paths[name] = path;
  }
  return paths;
}

// --- independent encoders -----------------------------------------------------------------

function writeSample(dv: DataView, at: number, x: number, format: WavEncoding | number, bits: number, le: boolean): void {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  if (format === 'float') {
    if (bits === 64) dv.setFloat64(at, x, le);
    else dv.setFloat32(at, x, le);
    return;
  }
  if (format === 'mulaw' || format === 'alaw') {
    const s16 = clamp(Math.round(x * 32768), -32768, 32767);
    dv.setUint8(at, format === 'mulaw' ? linearToMulaw(s16) : linearToAlaw(s16));
    return;
  }
  if (typeof format === 'number') return; // opaque codecs: leave zeros
  const container = Math.ceil(bits / 8) * 8;
  // Left-justify `bits` significant bits in the container, as WAV requires for odd widths.
  const scale = 2 ** (bits - 1);
  const q = clamp(Math.round(x * scale), -scale, scale - 1) * 2 ** (container - bits);
  switch (container) {
    case 8:
      dv.setUint8(at, q + 128);
      break;
    case 16:
      dv.setInt16(at, q, le);
      break;
    case 24: {
      const u = q < 0 ? q + 0x1000000 : q;
      const b = [u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff];
      if (!le) b.reverse();
      b.forEach((v, i) => dv.setUint8(at + i, v));
      break;
    }
    case 32:
      dv.setInt32(at, q, le);
      break;
    default:
      throw new Error(`makeWav: cannot write ${bits}-bit PCM`);
  }
}

/**
 * G.711 mu-law encoder: the ITU reference algorithm (14-bit magnitude, bias 33, segment search),
 * except that 16 → 14 bits rounds to nearest like sox instead of truncating, so the bytes match sox's.
 */
export function linearToMulaw(s16: number): number {
  let v = Math.min((s16 + 2) >> 2, 8191);
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  v = Math.min(v, 8159) + 33;
  let seg = 0;
  while (seg < 8 && v > (0x40 << seg) - 1) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

/** G.711 A-law encoder (ITU reference algorithm; 16 → 13 bits rounds to nearest, as sox does). */
export function linearToAlaw(s16: number): number {
  let v = Math.min((s16 + 4) >> 3, 4095);
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (0x20 << seg) - 1) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

function resolved(options: MakeWavOptions) {
  const format = options.format ?? 'pcm';
  const rate = options.rate ?? 16000;
  const bits = options.bits ?? (format === 'float' ? 32 : format === 'alaw' || format === 'mulaw' ? 8 : 16);
  return {
    ...options,
    format,
    rate,
    bits,
    channels: options.channels ?? 1,
    frames: options.frames ?? Math.max(1, Math.round(rate / 10)),
    signal: options.signal ?? sineSignal(rate),
  };
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
