import { open, readFile, stat, writeFile } from 'node:fs/promises';
import type { DecodedAudio } from './pcm.js';
import { WavFormatError, WavWriteError, oneLine } from './WavFormatError.js';

/** Files above this are refused before reading: a kiosk utterance is seconds, not gigabytes. */
export const MAX_WAV_FILE_BYTES = 1024 * 1024 * 1024;
/**
 * Longest input decoded. The file size says little about memory: 8-bit audio at 1 kHz becomes
 * 64 bytes per file byte on the way to 16 kHz float (16 MB of file → 2.2 GB measured), so the
 * audio's duration is checked from the header before anything is decoded.
 */
export const MAX_WAV_SECONDS = 30 * 60;
/**
 * Most decoded samples (frames × channels) accepted, whatever the duration: 30 minutes of 48 kHz
 * stereo, about 660 MB as float. Keeps hours-long many-channel files from being decoded at all.
 */
export const MAX_WAV_DECODED_SAMPLES = MAX_WAV_SECONDS * 48000 * 2;
/** How much of the file `readWavFile` reads to check the header before reading the rest. */
const HEADER_PROBE_BYTES = 1024 * 1024;
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 384000;
export const MAX_CHANNELS = 32;

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Names for the format codes people actually run into, so the error says more than a number. */
const FORMAT_NAMES: Record<number, string> = {
  0x0000: 'unknown',
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0022: 'TrueSpeech',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0045: 'G.726 ADPCM',
  0x0050: 'MPEG audio',
  0x0055: 'MP3',
  0x0092: 'Dolby AC-3 (S/PDIF)',
  0x00ff: 'AAC',
  0x0160: 'WMA',
  0x0161: 'WMA',
  0x0162: 'WMA Pro',
  0x0163: 'WMA Lossless',
  0x1610: 'AAC (ADTS)',
  0x2000: 'Dolby AC-3',
  0x2001: 'DTS',
  0x6750: 'Ogg Vorbis',
  0xf1ac: 'FLAC',
};

/**
 * Data-chunk sizes that mean "until the end of the file". Recorders that write to a pipe cannot
 * seek back to fix the header, so they write a placeholder. 0 and 0xFFFFFFFF are the documented
 * ones (ffmpeg writes the latter); arecord 1.2.8 writes 0x80000000 and sox 14.4.2 writes
 * 0x7FFFF000 (both checked on Debian 12), and 0x7FFFFFFF is the other common "max int" choice.
 * Any other size that overruns the file is a truncated file and is reported as one.
 */
const STREAMING_DATA_SIZES = new Set([0, 0xffffffff, 0x7fffffff, 0x80000000, 0x7ffff000]);

/** The 14 bytes that follow the format code in every standard WAVE_FORMAT_EXTENSIBLE subformat GUID. */
const KSDATAFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

type SampleCoding = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64' | 'alaw' | 'mulaw';

interface WavLayout {
  coding: SampleCoding;
  channels: number;
  sampleRate: number;
  blockAlign: number;
}

interface Fmt {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Set for WAVE_FORMAT_EXTENSIBLE: the real format code from the subformat GUID. */
  subFormat?: number;
  subFormatIsStandard?: boolean;
}

/**
 * Decodes a RIFF/WAVE (or RIFX/RF64) file held in memory into float channels.
 *
 * Handles integer PCM (8-bit unsigned, 16/24/32-bit signed and odd widths in those containers),
 * IEEE float 32/64, G.711 A-law and mu-law, and WAVE_FORMAT_EXTENSIBLE wrapping any of them, at
 * 1000–384000 Hz with 1–32 channels, up to {@link MAX_WAV_SECONDS} of audio and
 * {@link MAX_WAV_DECODED_SAMPLES} samples (checked from the header, before decoding). A trailing
 * partial frame is dropped. Anything else throws a
 * {@link WavFormatError} whose message is one line and starts with `name` when given.
 */
export function parseWav(bytes: Uint8Array, name?: string): DecodedAudio {
  const fail = failWith(name);
  const wav = locateWav(bytes, bytes.byteLength, fail);
  checkDecodedSize(wav.frames, wav.layout, fail);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    sampleRate: wav.layout.sampleRate,
    channels: decodeSamples(view, wav.dataOffset, wav.frames, wav.layout, wav.le),
  };
}

/** Where the audio is in a WAV file and how it is coded. */
interface LocatedWav {
  layout: WavLayout;
  le: boolean;
  dataOffset: number;
  frames: number;
}

type Fail = (what: string, hint?: string) => never;

function failWith(name: string | undefined): Fail {
  return (what, hint) => {
    throw new WavFormatError(name === undefined ? what : `${name}: ${what}`, hint);
  };
}

/**
 * Walks the chunks of a WAV file whose first `bytes.byteLength` bytes are given and whose whole
 * length is `len` (the same, unless only the head of a file was read: then reads past the head
 * throw RangeError). Checks the format; decodes nothing.
 */
function locateWav(bytes: Uint8Array, len: number, fail: Fail): LocatedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  if (len === 0) fail('not a WAV file (it is empty)', 'record or export the audio again as WAV');
  const magic = fourcc(bytes, 0);
  const isRifx = magic === 'RIFX';
  const isRf64 = magic === 'RF64';
  if ((magic !== 'RIFF' && !isRifx && !isRf64) || (len >= 12 && fourcc(bytes, 8) !== 'WAVE')) {
    fail(`not a WAV file (it starts with ${describeStart(bytes)})`);
  }
  if (len < 12) fail(`truncated WAV header (the file is only ${len} bytes)`);
  const le = !isRifx;
  const u32 = (at: number): number => view.getUint32(at, le);

  let fmt: Fmt | undefined;
  let dataOffset = -1;
  let dataSize = 0;
  let rf64DataSize: number | undefined;
  let offset = 12;

  while (offset + 8 <= len) {
    const id = fourcc(bytes, offset);
    const size = u32(offset + 4);
    const body = offset + 8;
    const available = len - body;

    if (id === 'data' && dataOffset < 0) {
      let size64 = size;
      if (isRf64 && size === 0xffffffff && rf64DataSize !== undefined) size64 = rf64DataSize;
      if (size64 > available) {
        if (!STREAMING_DATA_SIZES.has(size64)) {
          fail(
            `data chunk declares ${size64} bytes but only ${available} are present (the file is truncated or its header is wrong)`,
            're-export the file, or repair the header with `sox in.wav out.wav`',
          );
        }
        dataOffset = body;
        dataSize = available;
        break; // a streamed data chunk runs to the end of the file by definition
      }
      if (size64 === 0 && available > 0 && !looksLikeChunkHeader(bytes, view, body, le)) {
        // Size 0 followed by something that is not a chunk: a pipe writer's placeholder.
        dataOffset = body;
        dataSize = available;
        break;
      }
      dataOffset = body;
      dataSize = size64;
      if (fmt !== undefined) break; // everything after the audio is metadata we do not need
      offset = body + size64 + (size64 & 1);
      continue;
    }

    if (size > available) {
      if (id === 'fmt ') fail('truncated WAV header (the fmt chunk is cut off)');
      // A cut-off chunk after the audio (e.g. a LIST tag) does not matter; before it, it does.
      if (fmt !== undefined && dataOffset >= 0) break;
      fail(`truncated WAV file (the "${printableId(id)}" chunk declares ${size} bytes but only ${available} remain)`);
    }

    if (id === 'fmt ' && fmt === undefined) fmt = parseFmt(bytes, view, body, size, le, fail);
    else if (id === 'ds64' && isRf64 && size >= 16) rf64DataSize = u64(view, body + 8, le);

    // RIFF pads every odd-sized chunk with one byte that the size does not count.
    offset = body + size + (size & 1);
  }

  if (fmt === undefined) {
    if (dataOffset < 0 && offset <= 12) fail('truncated WAV header (no chunks after "WAVE")');
    fail('not a usable WAV file (it has no fmt chunk)');
  }
  if (dataOffset < 0) fail('WAV file has no data chunk (it contains no audio)', 'record or export the audio again');

  const layout = checkFmt(fmt, fail);
  const frames = Math.floor(dataSize / layout.blockAlign);
  if (frames === 0) {
    fail(
      `WAV data chunk contains no audio (${dataSize} bytes, less than one ${layout.blockAlign}-byte frame)`,
      'record or export the audio again',
    );
  }
  return { layout, le, dataOffset, frames };
}

/** Refuses audio that would decode to more than the caps allow, before any of it is decoded. */
function checkDecodedSize(frames: number, layout: WavLayout, fail: Fail): void {
  const seconds = frames / layout.sampleRate;
  const trimHint = `cut it down with \`sox in.wav out.wav trim 0 ${MAX_WAV_SECONDS / 60}:00\``;
  if (seconds > MAX_WAV_SECONDS) {
    fail(`WAV file holds ${formatDuration(seconds)} of audio (${frames} frames at ${layout.sampleRate} Hz); input over ${MAX_WAV_SECONDS / 60} minutes is refused`, trimHint);
  }
  const samples = frames * layout.channels;
  if (samples > MAX_WAV_DECODED_SAMPLES) {
    fail(
      `WAV file holds ${samples} samples (${layout.channels} channels at ${layout.sampleRate} Hz for ${formatDuration(seconds)}); at most ${MAX_WAV_DECODED_SAMPLES} are decoded`,
      'convert it with `sox in.wav -r 16000 -c 1 -b 16 out.wav`, or cut it shorter',
    );
  }
}

/** "4 h 26 min 40 s", "31 min 0 s", "12.5 s"; whole seconds round up, so a cap is never shown as met. */
function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`;
}

/**
 * The decoded-size check on the head of a file, so an hours-long low-rate file is refused without
 * being read. Returns quietly when the head does not settle it (the full parse then decides).
 */
function checkHeaderBeforeReading(head: Uint8Array, fileSize: number, shown: string): void {
  let wav: LocatedWav;
  try {
    wav = locateWav(head, fileSize, failWith(shown));
  } catch {
    // The head alone may not settle it (chunks past it, a bad header): the full parse reports that.
    return;
  }
  checkDecodedSize(wav.frames, wav.layout, failWith(shown));
}

/**
 * Reads and decodes a WAV file. Missing, unreadable and oversized files (over 1 GiB, or holding
 * more than {@link MAX_WAV_SECONDS} or {@link MAX_WAV_DECODED_SAMPLES} of audio, judged from the
 * header before the rest is read), directories and undecodable contents all become a one-line
 * {@link WavFormatError} naming the path.
 */
export async function readWavFile(path: string): Promise<DecodedAudio> {
  const shown = oneLine(path);
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new WavFormatError(`${shown}: is a directory, not a WAV file`, 'give the path of a .wav file');
    if (!info.isFile()) throw new WavFormatError(`${shown}: is not a regular file`, 'give the path of a .wav file');
    size = info.size;
  } catch (err) {
    throw asReadError(err, shown);
  }
  if (size > MAX_WAV_FILE_BYTES) {
    throw new WavFormatError(
      `${shown}: file is ${(size / 2 ** 30).toFixed(2)} GiB; WAV input over 1 GiB is refused`,
      'cut it down with `sox in.wav out.wav trim 0 60`',
    );
  }
  let bytes: Uint8Array;
  try {
    if (size > HEADER_PROBE_BYTES) checkHeaderBeforeReading(await readHead(path, HEADER_PROBE_BYTES), size, shown);
    bytes = await readFile(path);
  } catch (err) {
    throw asReadError(err, shown);
  }
  return parseWav(bytes, shown);
}

/**
 * Encodes 16-bit mono samples as a canonical 44-byte-header PCM WAV file. `sampleRate` must be a
 * positive integer; samples are written as they are (no scaling, no dither).
 */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff / 2) {
    throw new RangeError(`encodeWav: sample rate must be a positive integer, got ${sampleRate}`);
  }
  const dataBytes = samples.length * 2;
  if (dataBytes > 0xffffffff - 36) throw new RangeError('encodeWav: too many samples for a RIFF file (over 4 GiB)');
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  writeFourcc(out, 0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  writeFourcc(out, 8, 'WAVE');
  writeFourcc(out, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  writeFourcc(out, 36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0, at = 44; i < samples.length; i++, at += 2) view.setInt16(at, samples[i] ?? 0, true);
  return out;
}

/** Writes 16-bit mono samples to `path` as a WAV file; failures become a one-line {@link WavWriteError}. */
export async function writeWavFile(path: string, samples: Int16Array, sampleRate: number): Promise<void> {
  const bytes = encodeWav(samples, sampleRate);
  try {
    await writeFile(path, bytes);
  } catch (err) {
    const code = errnoCode(err);
    const why =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : (code ?? String(err));
    throw new WavWriteError(`${oneLine(path)}: cannot write WAV file (${why})`, 'choose another output path', {
      cause: err,
    });
  }
}

function parseFmt(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  size: number,
  le: boolean,
  fail: (what: string) => never,
): Fmt {
  if (size < 16) fail(`truncated WAV header (the fmt chunk is ${size} bytes, at least 16 are needed)`);
  const fmt: Fmt = {
    formatTag: view.getUint16(at, le),
    channels: view.getUint16(at + 2, le),
    sampleRate: view.getUint32(at + 4, le),
    blockAlign: view.getUint16(at + 12, le),
    bitsPerSample: view.getUint16(at + 14, le),
  };
  if (fmt.formatTag === FORMAT_EXTENSIBLE) {
    if (size < 40) fail(`truncated WAV header (WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, 40 are needed)`);
    // Offsets 18/20 hold valid bits and the speaker mask: we decode the container and keep channel order.
    fmt.subFormat = view.getUint16(at + 24, le);
    fmt.subFormatIsStandard = KSDATAFORMAT_GUID_TAIL.every((b, i) => bytes[at + 26 + i] === b);
  }
  return fmt;
}

function checkFmt(fmt: Fmt, fail: (what: string, hint?: string) => never): WavLayout {
  const { channels, sampleRate, blockAlign, bitsPerSample } = fmt;
  if (channels === 0) fail('WAV header says the file has zero channels');
  if (channels > MAX_CHANNELS) fail(`WAV file has ${channels} channels; at most ${MAX_CHANNELS} are supported`);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    fail(`WAV sample rate ${sampleRate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`);
  }

  let code = fmt.formatTag;
  let label = formatLabel(code);
  if (code === FORMAT_EXTENSIBLE) {
    code = fmt.subFormat ?? 0;
    label = `WAVE_FORMAT_EXTENSIBLE with subformat ${formatLabel(code)}`;
    if (!fmt.subFormatIsStandard) fail(`unsupported WAV encoding (WAVE_FORMAT_EXTENSIBLE with a non-PCM subformat GUID)`);
  }

  let coding: SampleCoding | undefined;
  let containerBytes = 0;
  if (code === FORMAT_PCM) {
    // Odd widths (12, 20 bits) sit left-justified in the next whole byte count, so the container decodes them.
    containerBytes = Math.ceil(bitsPerSample / 8);
    coding = (['u8', 's16', 's24', 's32'] as const)[containerBytes - 1];
    if (bitsPerSample === 0) coding = undefined;
  } else if (code === FORMAT_IEEE_FLOAT) {
    coding = bitsPerSample === 32 ? 'f32' : bitsPerSample === 64 ? 'f64' : undefined;
    containerBytes = bitsPerSample / 8;
  } else if (code === FORMAT_ALAW || code === FORMAT_MULAW) {
    coding = bitsPerSample === 8 ? (code === FORMAT_ALAW ? 'alaw' : 'mulaw') : undefined;
    containerBytes = 1;
  } else {
    fail(`unsupported WAV encoding ${label}`);
  }
  if (coding === undefined) fail(`unsupported WAV sample size: ${bitsPerSample}-bit ${label}`);

  const expected = channels * containerBytes;
  if (blockAlign !== expected) {
    fail(
      `inconsistent WAV header: block align is ${blockAlign} bytes but ${channels} channel(s) × ${bitsPerSample} bits need ${expected}`,
    );
  }
  return { coding, channels, sampleRate, blockAlign };
}

function decodeSamples(view: DataView, start: number, frames: number, layout: WavLayout, le: boolean): Float32Array[] {
  const { channels: count, blockAlign, coding } = layout;
  const out = Array.from({ length: count }, () => new Float32Array(frames));
  for (let c = 0; c < count; c++) {
    const dst = out[c]!;
    let at = start;
    switch (coding) {
      case 'u8':
        at += c;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = (view.getUint8(at) - 128) / 128;
        break;
      case 's16':
        at += c * 2;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = view.getInt16(at, le) / 32768;
        break;
      case 's24': {
        at += c * 3;
        // Assemble the top two bytes as a signed 16-bit value so the sign comes for free.
        const hiOff = le ? 1 : 0;
        const loOff = le ? 0 : 2;
        for (let i = 0; i < frames; i++, at += blockAlign) {
          dst[i] = (view.getInt16(at + hiOff, le) * 256 + view.getUint8(at + loOff)) / 8388608;
        }
        break;
      }
      case 's32':
        at += c * 4;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = view.getInt32(at, le) / 2147483648;
        break;
      case 'f32':
        at += c * 4;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = clampUnit(view.getFloat32(at, le));
        break;
      case 'f64':
        at += c * 8;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = clampUnit(view.getFloat64(at, le));
        break;
      case 'alaw':
      case 'mulaw': {
        const table = coding === 'alaw' ? alawTable() : mulawTable();
        at += c;
        for (let i = 0; i < frames; i++, at += blockAlign) dst[i] = table[view.getUint8(at)]!;
        break;
      }
    }
  }
  return out;
}

/** Float files may hold overs or NaN; the rest of the pipeline assumes [-1, 1]. */
function clampUnit(v: number): number {
  if (v > 1) return 1;
  if (v < -1) return -1;
  return v === v ? v : 0;
}

let mulaw: Float32Array | undefined;
let alaw: Float32Array | undefined;

/** G.711 mu-law byte → float, per ITU-T G.711 (values are 14-bit, scaled onto the 16-bit range). */
function mulawTable(): Float32Array {
  if (mulaw) return mulaw;
  mulaw = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const u = ~b & 0xff;
    const exponent = (u >> 4) & 0x07;
    const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    mulaw[b] = (u & 0x80 ? -magnitude : magnitude) / 32768;
  }
  return mulaw;
}

/** G.711 A-law byte → float (13-bit values scaled onto the 16-bit range). */
function alawTable(): Float32Array {
  if (alaw) return alaw;
  alaw = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const a = b ^ 0x55;
    const segment = (a & 0x70) >> 4;
    let magnitude = ((a & 0x0f) << 4) + 8;
    if (segment >= 1) magnitude = (magnitude + 0x100) << (segment - 1);
    alaw[b] = (a & 0x80 ? magnitude : -magnitude) / 32768;
  }
  return alaw;
}

function formatLabel(code: number): string {
  const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const known = FORMAT_NAMES[code];
  if (code === FORMAT_PCM) return `${hex} (PCM)`;
  if (code === FORMAT_IEEE_FLOAT) return `${hex} (IEEE float)`;
  if (code === FORMAT_ALAW) return `${hex} (A-law)`;
  if (code === FORMAT_MULAW) return `${hex} (mu-law)`;
  return known === undefined ? hex : `${hex} (${known})`;
}

/** A size-0 data chunk followed by a real chunk is genuinely empty, not a streaming placeholder. */
function looksLikeChunkHeader(bytes: Uint8Array, view: DataView, at: number, le: boolean): boolean {
  if (at + 8 > bytes.byteLength) return false;
  for (let i = 0; i < 4; i++) {
    const c = bytes[at + i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return view.getUint32(at + 4, le) <= bytes.byteLength - at - 8;
}

const KNOWN_MAGIC: [string, string][] = [
  ['fLaC', 'FLAC'],
  ['OggS', 'Ogg'],
  ['ID3', 'MP3'],
  ['FORM', 'AIFF'],
  ['.snd', 'Sun AU'],
  ['caff', 'CAF'],
];

/** What the file starts with, as text when it is text and as hex when it is not. */
function describeStart(bytes: Uint8Array): string {
  if (fourcc(bytes, 0) === 'RIFF') return `"RIFF" but is a RIFF ${JSON.stringify(printableId(fourcc(bytes, 8)))} file, not WAVE`;
  const head = bytes.subarray(0, 8);
  const text = String.fromCharCode(...head);
  const printable = head.every((c) => c >= 0x20 && c <= 0x7e);
  const shown = printable ? JSON.stringify(text) : Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const known = KNOWN_MAGIC.find(([m]) => text.startsWith(m));
  return known ? `${shown}, which looks like ${known[1]}` : shown;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function printableId(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, '?');
}

function writeFourcc(out: Uint8Array, at: number, id: string): void {
  for (let i = 0; i < 4; i++) out[at + i] = id.charCodeAt(i);
}

function u64(view: DataView, at: number, le: boolean): number {
  const lo = view.getUint32(at + (le ? 0 : 4), le);
  const hi = view.getUint32(at + (le ? 4 : 0), le);
  return hi * 2 ** 32 + lo;
}

async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function asReadError(err: unknown, shown: string): WavFormatError {
  if (err instanceof WavFormatError) return err;
  const code = errnoCode(err);
  const what =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'cannot read the file (permission denied)'
        : code === 'EISDIR'
          ? 'is a directory, not a WAV file'
          : code === 'ENOTDIR'
            ? 'no such file (a parent in the path is not a directory)'
            : `cannot read the file (${code ?? String(err)})`;
  return new WavFormatError(`${shown}: ${what}`, 'check the path and that the file is readable', { cause: err });
}
