import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WavFormatError, WavWriteError } from '../../src/audio/WavFormatError.js';
import { loadWavForPipeline, toPipelineAudio } from '../../src/audio/toPipelineAudio.js';
import { encodeWav, parseWav, readWavFile, writeWavFile } from '../../src/audio/wav.js';
import {
  expectedChannels,
  linearToAlaw,
  linearToMulaw,
  listChunk,
  makeWav,
  writeBadWavFixtures,
  type MakeWavOptions,
} from '../helpers/wavFixtures.js';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const modelsDir = path.resolve(repoRoot, process.env.KIOSK_MODELS_MIRROR ?? '../shared/models');
const speechWav = path.join(modelsDir, 'audio', 'flite_rms_opening_hours.wav');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'kiosk-wav-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Signal-to-error ratio in dB of `got` against `want`. */
function snrDb(want: ArrayLike<number>, got: ArrayLike<number>): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    s += want[i]! ** 2;
    e += (want[i]! - got[i]!) ** 2;
  }
  return 10 * Math.log10(s / e);
}

/** Normalised cross-correlation of a and b at `lag` (b shifted right), over the common length. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>, lag = 0): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = Math.max(0, lag); i < n && i - lag < n; i++) {
    const x = a[i]!;
    const y = b[i - lag]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

function expectOneLine(err: unknown): WavFormatError {
  expect(err).toBeInstanceOf(WavFormatError);
  const e = err as WavFormatError;
  expect(e.message).not.toMatch(/[\r\n]/);
  expect(e.toUserLine()).not.toMatch(/[\r\n]/);
  expect(e.hint).toBeTruthy();
  return e;
}

function parseError(bytes: Uint8Array, name?: string): WavFormatError {
  try {
    parseWav(bytes, name);
  } catch (err) {
    return expectOneLine(err);
  }
  throw new Error('parseWav accepted a file it should have rejected');
}

async function readError(file: string): Promise<WavFormatError> {
  try {
    await readWavFile(file);
  } catch (err) {
    return expectOneLine(err);
  }
  throw new Error(`readWavFile accepted ${file}`);
}

describe('parseWav: layouts decode to the signal that was encoded', () => {
  // Tolerances are the quantisation step of each format (half an LSB) plus float32 rounding.
  const cases: (MakeWavOptions & { tol: number; label: string })[] = [
    { label: 'u8 mono 8 kHz', format: 'pcm', bits: 8, rate: 8000, tol: 0.5 / 128 + 1e-7 },
    { label: 's16 mono 16 kHz', format: 'pcm', bits: 16, rate: 16000, tol: 0.5 / 32768 + 1e-7 },
    { label: 's16 stereo 44.1 kHz', format: 'pcm', bits: 16, rate: 44100, channels: 2, tol: 0.5 / 32768 + 1e-7 },
    { label: 's24 stereo 48 kHz', format: 'pcm', bits: 24, rate: 48000, channels: 2, tol: 0.5 / 8388608 + 1e-7 },
    { label: 's32 6 ch 48 kHz', format: 'pcm', bits: 32, rate: 48000, channels: 6, tol: 1e-7 },
    { label: 'f32 mono 22.05 kHz', format: 'float', bits: 32, rate: 22050, tol: 1e-7 },
    { label: 'f64 stereo 96 kHz', format: 'float', bits: 64, rate: 96000, channels: 2, tol: 1e-7 },
    { label: '12-bit PCM in 16-bit containers', format: 'pcm', bits: 12, rate: 16000, tol: 0.5 / 2048 + 1e-7 },
    { label: '20-bit PCM in 24-bit containers', format: 'pcm', bits: 20, rate: 16000, channels: 2, tol: 0.5 / 524288 + 1e-7 },
    { label: 's16 at 1000 Hz', format: 'pcm', bits: 16, rate: 1000, tol: 0.5 / 32768 + 1e-7 },
    { label: 's16 at 384000 Hz', format: 'pcm', bits: 16, rate: 384000, frames: 2000, tol: 0.5 / 32768 + 1e-7 },
    { label: 's16 32 channels', format: 'pcm', bits: 16, rate: 16000, channels: 32, frames: 500, tol: 0.5 / 32768 + 1e-7 },
    { label: 'extensible s16 stereo', format: 'pcm', bits: 16, channels: 2, extensible: true, tol: 0.5 / 32768 + 1e-7 },
    { label: 'extensible s24 in 24', format: 'pcm', bits: 24, extensible: true, tol: 0.5 / 8388608 + 1e-7 },
    // 24 valid bits in a 32-bit container: decoded by container; the encoded signal is 32-bit exact.
    { label: 'extensible 24-in-32', format: 'pcm', bits: 32, validBits: 24, channels: 4, extensible: true, tol: 1e-7 },
    { label: 'extensible f32 6 ch', format: 'float', bits: 32, channels: 6, extensible: true, tol: 1e-7 },
    { label: 'extensible f64', format: 'float', bits: 64, extensible: true, tol: 1e-7 },
    { label: 'RIFX (big-endian) s16 stereo', format: 'pcm', bits: 16, channels: 2, bigEndian: true, tol: 0.5 / 32768 + 1e-7 },
    { label: 'RIFX s24', format: 'pcm', bits: 24, bigEndian: true, tol: 0.5 / 8388608 + 1e-7 },
    { label: 'RIFX f64', format: 'float', bits: 64, bigEndian: true, tol: 1e-7 },
  ];

  for (const c of cases) {
    it(c.label, () => {
      const decoded = parseWav(makeWav(c));
      const want = expectedChannels(c);
      expect(decoded.sampleRate).toBe(c.rate ?? 16000);
      expect(decoded.channels).toHaveLength(want.length);
      for (let ch = 0; ch < want.length; ch++) {
        expect(maxAbsDiff(decoded.channels[ch]!, want[ch]!)).toBeLessThanOrEqual(c.tol);
      }
    });
  }

  for (const format of ['mulaw', 'alaw'] as const) {
    for (const extensible of [false, true]) {
      it(`G.711 ${format}${extensible ? ' (extensible)' : ''} stereo 8 kHz`, () => {
        const opts: MakeWavOptions = { format, bits: 8, rate: 8000, channels: 2, frames: 4000, extensible };
        const decoded = parseWav(makeWav(opts));
        const want = expectedChannels(opts);
        for (let ch = 0; ch < 2; ch++) {
          // G.711's largest step is 1024/32768 (mu-law) or 1024/32768 (A-law) near full scale.
          expect(maxAbsDiff(decoded.channels[ch]!, want[ch]!)).toBeLessThan(0.5 * (1024 / 32768) + 0.002);
          expect(snrDb(want[ch]!, decoded.channels[ch]!)).toBeGreaterThan(35);
        }
      });
    }
  }

  it('G.711 decoding matches the ITU reference values', () => {
    const bytes = (format: 'mulaw' | 'alaw', values: number[]) =>
      parseWav(makeWav({ format, frames: values.length, signal: (i) => values[i]! }));
    // Encode known 16-bit values with the reference encoders and check the decoded levels.
    const mu = parseWav(rawLawWav(7, [0xff, 0x7f, 0x00, 0x80, 0xfe]));
    expect(Array.from(mu.channels[0]!, (v) => v * 32768 + 0)).toEqual([0, 0, -32124, 32124, 8]);
    const a = parseWav(rawLawWav(6, [0xd5, 0x55, 0xaa, 0x2a]));
    expect(Array.from(a.channels[0]!, (v) => v * 32768 + 0)).toEqual([8, -8, 32256, -32256]);
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToAlaw(0)).toBe(0xd5);
    // Round trip through encoder and decoder stays within the segment's step.
    const round = bytes('mulaw', [0.25, -0.5]).channels[0]!;
    expect(Math.abs(round[0]! - 0.25)).toBeLessThan(256 / 32768);
    expect(Math.abs(round[1]! + 0.5)).toBeLessThan(512 / 32768);
  });

  it('clamps float overs and NaN into [-1, 1]', () => {
    const values = [1.5, -2, Number.NaN, 0.25];
    const d = parseWav(makeWav({ format: 'float', bits: 32, frames: 4, signal: (i) => values[i]! }));
    expect(Array.from(d.channels[0]!)).toEqual([1, -1, 0, 0.25]);
  });
});

describe('parseWav: chunk walking', () => {
  const base: MakeWavOptions = { format: 'pcm', bits: 16, rate: 16000, channels: 2, frames: 800 };
  const want = expectedChannels(base);
  const same = (bytes: Uint8Array) => {
    const d = parseWav(bytes);
    expect(d.channels).toHaveLength(2);
    expect(maxAbsDiff(d.channels[0]!, want[0]!)).toBeLessThan(1 / 32768);
    expect(maxAbsDiff(d.channels[1]!, want[1]!)).toBeLessThan(1 / 32768);
  };

  it('skips odd-sized LIST chunks (honouring the pad byte), fact chunks and unknown chunks', () => {
    const fact = { id: 'fact', data: new Uint8Array([0x20, 0x03, 0, 0]) };
    const odd = { id: 'junk', data: new Uint8Array(7).fill(0x41) };
    const bytes = makeWav({ ...base, chunksBeforeFmt: [listChunk('ab'), odd], chunksBeforeData: [fact, listChunk()] });
    // The fixture's chunks really are odd-sized, so a walker that ignored padding would misread.
    expect(listChunk('ab').data.length % 2).toBe(1);
    expect(listChunk().data.length % 2).toBe(1);
    same(bytes);
  });

  it('ignores chunks after the data and reads a fmt chunk that comes after the data', () => {
    same(makeWav({ ...base, chunksAfterData: [listChunk(), { id: 'id3 ', data: new Uint8Array(9) }] }));
    same(makeWav({ ...base, fmtAfterData: true, chunksAfterData: [listChunk()] }));
  });

  it('honours the pad byte of an odd-sized data chunk before a following chunk', () => {
    const opts: MakeWavOptions = { format: 'pcm', bits: 8, frames: 101, fmtAfterData: true };
    const d = parseWav(makeWav(opts));
    expect(d.channels[0]).toHaveLength(101);
    expect(maxAbsDiff(d.channels[0]!, expectedChannels(opts)[0]!)).toBeLessThan(0.5 / 128 + 1e-7);
  });

  it('ignores a wrong RIFF size', () => {
    same(makeWav({ ...base, riffSize: 12345 }));
    same(makeWav({ ...base, riffSize: 0xffffffff }));
  });

  it('drops a trailing partial frame silently', () => {
    const d = parseWav(makeWav({ ...base, trailingBytes: 3 }));
    expect(d.channels[0]).toHaveLength(800);
  });

  // 0 and 0xFFFFFFFF are the documented placeholders (ffmpeg writes 0xFFFFFFFF to a pipe);
  // arecord 1.2.8 writes 0x80000000 and sox 14.4.2 writes 0x7FFFF000 (checked on Debian 12).
  for (const size of [0, 0xffffffff, 0x80000000, 0x7ffff000, 0x7fffffff]) {
    it(`reads a streamed data chunk declared as 0x${size.toString(16)} to the end of the file`, () => {
      same(makeWav({ ...base, declaredDataSize: size, riffSize: size }));
      // 2 stray bytes keep the data even-sized: a streamed file has no pad byte to misread as audio.
      const d = parseWav(makeWav({ ...base, declaredDataSize: size, riffSize: size, trailingBytes: 2 }));
      expect(d.channels[0]).toHaveLength(800);
    });
  }

  it('reads RF64 with the size in its ds64 chunk', () => {
    const ds64 = new Uint8Array(28);
    const dataBytes = 800 * 4;
    new DataView(ds64.buffer).setUint32(8, dataBytes, true);
    same(makeWav({ ...base, riffId: 'RF64', riffSize: 0xffffffff, declaredDataSize: 0xffffffff, chunksBeforeFmt: [{ id: 'ds64', data: ds64 }], chunksAfterData: [listChunk()] }));
  });
});

describe('parseWav: bad files give one clear line', () => {
  const base: MakeWavOptions = { format: 'pcm', bits: 16, rate: 16000, channels: 1, frames: 1600 };
  const good = makeWav(base);
  const withChannels = (n: number) => {
    const b = makeWav(base);
    new DataView(b.buffer).setUint16(22, n, true);
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['text', new TextEncoder().encode('hello world, not audio'), /^not a WAV file \(it starts with "hello wo"\)$/],
    ['binary', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), /^not a WAV file \(it starts with 89 50 4e 47 0d 0a 1a 0a\)$/],
    ['FLAC', new TextEncoder().encode('fLaC\0\0\0\x22'), /looks like FLAC/],
    ['empty', new Uint8Array(0), /^not a WAV file \(it is empty\)$/],
    ['three bytes', new TextEncoder().encode('RIF'), /^not a WAV file/],
    ['RIFF AVI', makeWav({ ...base, waveId: 'AVI ' }), /^not a WAV file .*RIFF "AVI " file/],
    ['RIFF only', good.subarray(0, 8), /^truncated WAV header \(the file is only 8 bytes\)$/],
    ['RIFF WAVE only', good.subarray(0, 12), /^truncated WAV header/],
    ['fmt cut off', good.subarray(0, 30), /^truncated WAV header \(the fmt chunk is cut off\)$/],
    ['short fmt', makeWav({ ...base, fmtSize: 14 }), /^truncated WAV header|^truncated WAV file/],
    ['extensible fmt without extension', makeWav({ ...base, extensible: true, fmtSize: 18 }), /WAVE_FORMAT_EXTENSIBLE fmt chunk is 18 bytes/],
    ['no fmt', makeWav({ ...base, omitFmt: true }), /no fmt chunk/],
    ['no data', makeWav({ ...base, omitData: true, chunksAfterData: [listChunk()] }), /has no data chunk/],
    ['zero channels', withChannels(0), /zero channels/],
    ['33 channels', withChannels(33), /33 channels; at most 32/],
    ['rate 0', makeWav({ ...base, rate: 0, frames: 10 }), /sample rate 0 Hz is outside 1000–384000 Hz/],
    ['rate 999', makeWav({ ...base, rate: 999 }), /sample rate 999 Hz is outside/],
    ['rate 384001', makeWav({ ...base, rate: 384001, frames: 10 }), /sample rate 384001 Hz is outside/],
    ['rate 10 MHz', makeWav({ ...base, rate: 10_000_000, frames: 10 }), /sample rate 10000000 Hz/],
    ['MS ADPCM', makeWav({ ...base, format: 2, bits: 4, blockAlign: 256 }), /^unsupported WAV encoding 0x0002 \(Microsoft ADPCM\)$/],
    ['IMA ADPCM', makeWav({ ...base, format: 0x11, bits: 4 }), /0x0011 \(IMA ADPCM\)/],
    ['MP3', makeWav({ ...base, format: 0x55, bits: 0 }), /0x0055 \(MP3\)/],
    ['unknown code', makeWav({ ...base, format: 0x1234 }), /unsupported WAV encoding 0x1234$/],
    ['extensible ADPCM', makeWav({ ...base, format: 2, bits: 4, extensible: true }), /WAVE_FORMAT_EXTENSIBLE with subformat 0x0002 \(Microsoft ADPCM\)/],
    ['extensible odd GUID', makeWav({ ...base, extensible: true, subFormatGuidTail: new Array(14).fill(7) }), /non-PCM subformat GUID/],
    ['PCM 0 bits', makeWav({ ...base, format: 1, bits: 0, blockAlign: 2 }), /unsupported WAV sample size: 0-bit 0x0001 \(PCM\)/],
    ['PCM 40 bits', makeWav({ ...base, format: 1, bits: 40, blockAlign: 5, frames: 0, trailingBytes: 10 }), /40-bit 0x0001 \(PCM\)/],
    ['float 16 bits', makeWav({ ...base, format: 3, bits: 16 }), /16-bit 0x0003 \(IEEE float\)/],
    ['mu-law 16 bits', makeWav({ ...base, format: 7, bits: 16 }), /16-bit 0x0007 \(mu-law\)/],
    ['block align', makeWav({ ...base, channels: 2, blockAlign: 3 }), /block align is 3 bytes but 2 channel\(s\) × 16 bits need 4/],
    ['lying data size', makeWav({ ...base, declaredDataSize: 1_000_000 }), /data chunk declares 1000000 bytes but only 3200 are present/],
    ['lying size + later chunk', makeWav({ ...base, declaredDataSize: 5000, chunksAfterData: [listChunk()] }), /declares 5000 bytes/],
    ['data shorter than a frame', makeWav({ ...base, frames: 0, trailingBytes: 1 }), /contains no audio \(1 bytes, less than one 2-byte frame\)/],
    ['empty data then LIST', makeWav({ ...base, frames: 0, chunksAfterData: [listChunk()] }), /contains no audio/],
    ['empty data at end', makeWav({ ...base, frames: 0 }), /contains no audio/],
    ['cut-off LIST before fmt', withCutChunk(), /truncated WAV file \(the "LIST" chunk declares 1000 bytes but only 4 remain\)/],
  ];

  for (const [label, bytes, re] of cases) {
    it(label, () => {
      const e = parseError(bytes);
      expect(e.message).toMatch(re);
    });
  }

  it('puts the name in front and keeps a name with a newline on one line', () => {
    expect(parseError(new Uint8Array(0), 'mic.wav').message).toBe('mic.wav: not a WAV file (it is empty)');
    const e = parseError(new Uint8Array(0), 'evil\nname.wav');
    expect(e.message).toBe('evil\\nname.wav: not a WAV file (it is empty)');
  });

  it('suggests a sox command for convertible files', () => {
    expect(parseError(makeWav({ ...base, format: 2, bits: 4 })).hint).toMatch(/sox .* -r 16000 -c 1 -b 16/);
  });

  function withCutChunk(): Uint8Array {
    const b = makeWav({ ...base, omitFmt: true, omitData: true, chunksBeforeFmt: [{ id: 'LIST', data: new Uint8Array(4) }] });
    new DataView(b.buffer).setUint32(16, 1000, true);
    return b;
  }
});

describe('readWavFile / writeWavFile / encodeWav', () => {
  it('encodes a canonical 44-byte header', () => {
    const bytes = encodeWav(new Int16Array([1, -2, 32767]), 16000);
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toBe(
      '52494646' + '2a000000' + '57415645' + '666d7420' + '10000000' + '0100' + '0100' + '803e0000' + '007d0000' + '0200' + '1000' +
        '64617461' + '06000000' + '0100' + 'feff' + 'ff7f',
    );
  });

  it('round-trips through parseWav exactly, and sox reads our files', async () => {
    const samples = Int16Array.from({ length: 4801 }, (_, i) => Math.round(30000 * Math.sin(i / 7)));
    const decoded = parseWav(encodeWav(samples, 22050));
    expect(decoded.sampleRate).toBe(22050);
    expect(Array.from(decoded.channels[0]!, (v) => v * 32768)).toEqual(Array.from(samples));

    const file = path.join(tmp, 'ours.wav');
    await writeWavFile(file, samples, 22050);
    expect(execFileSync('soxi', ['-r', file]).toString().trim()).toBe('22050');
    expect(execFileSync('soxi', ['-s', file]).toString().trim()).toBe('4801');
    const raw = execFileSync('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-']);
    expect(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2)).toEqual(samples);
    expect((await readWavFile(file)).channels[0]).toHaveLength(4801);
  });

  it('rejects a bad sample rate for encoding', () => {
    expect(() => encodeWav(new Int16Array(1), 0)).toThrow(RangeError);
    expect(() => encodeWav(new Int16Array(1), 15999.5)).toThrow(RangeError);
  });

  it('reports a missing file, a directory and an oversized file in one line with the path', async () => {
    const missing = path.join(tmp, 'nope', 'missing.wav');
    const e1 = await readError(missing);
    expect(e1.message).toBe(`${missing}: no such file`);
    expect(e1.message).not.toMatch(/ENOENT|at /);

    const e2 = await readError(tmp);
    expect(e2.message).toBe(`${tmp}: is a directory, not a WAV file`);

    const big = path.join(tmp, 'big.wav');
    const fh = await open(big, 'w');
    await fh.truncate(2 ** 30 + 1); // sparse: costs no disk, and must be refused before reading
    await fh.close();
    const e3 = await readError(big);
    expect(e3.message).toMatch(/big\.wav: file is 1\.00 GiB; WAV input over 1 GiB is refused/);
    await rm(big);
  });

  it('reports a failed write as one line', async () => {
    const target = path.join(tmp, 'no-such-dir', 'out.wav');
    const err = await writeWavFile(target, new Int16Array(10), 16000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WavWriteError);
    expect((err as WavWriteError).message).toBe(`${target}: cannot write WAV file (its directory does not exist)`);
  });

  it('rejects every file from writeBadWavFixtures with a one-line WavFormatError naming the path', async () => {
    const dir = path.join(tmp, 'bad');
    await mkdir(dir);
    const files = await writeBadWavFixtures(dir);
    for (const required of ['not-a-wav', 'empty', 'truncated-header', 'zero-channels', 'lying-data-size', 'adpcm', 'absurd-rate', 'no-data']) {
      expect(files).toHaveProperty(required);
    }
    const lines: Record<string, string> = {};
    for (const [name, file] of Object.entries(files)) {
      const e = await readError(file);
      expect(e.message.startsWith(`${file}: `)).toBe(true);
      lines[name] = e.message.slice(file.length + 2);
    }
    expect(lines).toMatchObject({
      'not-a-wav': expect.stringMatching(/^not a WAV file/),
      empty: expect.stringMatching(/empty/),
      'truncated-header': expect.stringMatching(/^truncated WAV header/),
      'zero-channels': expect.stringMatching(/zero channels/),
      'lying-data-size': expect.stringMatching(/declares 1000000 bytes/),
      adpcm: expect.stringMatching(/ADPCM/),
      'absurd-rate': expect.stringMatching(/sample rate 10000000 Hz/),
      'no-data': expect.stringMatching(/no data chunk/),
    });
  });
});

describe('against sox (real speech, independent encoder and decoder)', () => {
  let original: Int16Array;
  const sox = (...args: string[]) => execFileSync('sox', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = (name: string) => path.join(tmp, name);

  beforeAll(async () => {
    if (!existsSync(speechWav)) {
      throw new Error(
        `shared test audio missing: ${speechWav} — set KIOSK_MODELS_MIRROR to the shared models directory (default ../shared/models beside the repo)`,
      );
    }
    if (!existsSync('/usr/bin/sox')) throw new Error('sox is required for these tests: apt-get install sox');
    const decoded = await readWavFile(speechWav);
    expect(decoded.sampleRate).toBe(16000);
    expect(decoded.channels).toHaveLength(1);
    original = Int16Array.from(decoded.channels[0]!, (v) => v * 32768);
  });

  it('decodes the original exactly as sox does', () => {
    const raw = sox(speechWav, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-');
    expect(new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))).toEqual(original);
    expect(original.length).toBe(68720);
  });

  it('passes 16 kHz mono 16-bit through toPipelineAudio within 1 LSB', async () => {
    const { samples, source } = await loadWavForPipeline(speechWav);
    expect(source).toEqual({ sampleRate: 16000, channels: 1, seconds: 68720 / 16000 });
    // floatToInt16 scales by 32767 where decoding divides by 32768: at most one LSB near full scale.
    expect(maxAbsDiff(samples, original)).toBeLessThanOrEqual(1);
  });

  // Same-rate conversions: our decoder must agree with sox's own float decoding of the file, and the
  // pipeline audio must correlate with the original.
  const sameRate: { label: string; args: string[]; formatTag: number; maxErr: number }[] = [
    { label: 'unsigned 8-bit', args: ['-b', '8', '-e', 'unsigned-integer'], formatTag: 1, maxErr: 1e-7 },
    { label: 'signed 24-bit (extensible)', args: ['-b', '24'], formatTag: 0xfffe, maxErr: 1e-7 },
    { label: 'signed 32-bit', args: ['-b', '32', '-e', 'signed-integer'], formatTag: 0xfffe, maxErr: 1e-7 },
    { label: 'float 32-bit', args: ['-e', 'floating-point', '-b', '32'], formatTag: 3, maxErr: 1e-7 },
    { label: 'float 64-bit', args: ['-e', 'floating-point', '-b', '64'], formatTag: 3, maxErr: 1e-7 },
    { label: 'mu-law', args: ['-e', 'mu-law'], formatTag: 7, maxErr: 1e-7 },
    { label: 'A-law', args: ['-e', 'a-law'], formatTag: 6, maxErr: 1e-7 },
    { label: 'big-endian RIFX', args: ['-B'], formatTag: 0x0100, maxErr: 1e-7 },
  ];

  for (const c of sameRate) {
    it(`${c.label}: matches sox's decoding and the original`, async () => {
      const file = out(`conv-${c.label.replace(/\W+/g, '_')}.wav`);
      sox('-D', speechWav, ...c.args, file);
      const bytes = new Uint8Array(await readFile(file));
      // Prove which header layout this case exercises (RIFX stores the tag big-endian).
      expect(bytes[20]! | (bytes[21]! << 8)).toBe(c.formatTag);

      const decoded = parseWav(bytes, file);
      const soxFloat = sox(file, '-t', 'f32', '-e', 'floating-point', '-L', '-');
      const ref = new Float32Array(soxFloat.buffer.slice(soxFloat.byteOffset, soxFloat.byteOffset + soxFloat.length));
      expect(maxAbsDiff(decoded.channels[0]!, ref)).toBeLessThanOrEqual(c.maxErr);

      const pipeline = toPipelineAudio(decoded);
      expect(pipeline).toHaveLength(original.length);
      const r = correlation(pipeline, original);
      expect(r).toBeGreaterThan(c.label.endsWith('law') || c.label.includes('8-bit') ? 0.98 : 0.99999);
    });
  }

  // Rate and channel changes: sox resamples up, we bring it back to 16 kHz mono.
  const resampled: { label: string; args: string[]; rate: number; channels: number; formatTag: number }[] = [
    { label: '44.1 kHz stereo s16', args: ['-r', '44100', '-c', '2'], rate: 44100, channels: 2, formatTag: 1 },
    { label: '48 kHz 6-channel s16 (extensible)', args: ['-r', '48000', '-c', '6'], rate: 48000, channels: 6, formatTag: 0xfffe },
    { label: '48 kHz stereo f32', args: ['-r', '48000', '-c', '2', '-e', 'floating-point', '-b', '32'], rate: 48000, channels: 2, formatTag: 3 },
    { label: '22.05 kHz mono s24', args: ['-r', '22050', '-b', '24'], rate: 22050, channels: 1, formatTag: 0xfffe },
    { label: '96 kHz mono s32', args: ['-r', '96000', '-b', '32'], rate: 96000, channels: 1, formatTag: 0xfffe },
  ];

  for (const c of resampled) {
    it(`${c.label}: loadWavForPipeline recovers the original`, async () => {
      const file = out(`rs-${c.label.replace(/\W+/g, '_')}.wav`);
      sox('-D', speechWav, ...c.args, file);
      const head = await readFile(file);
      expect(head.readUInt16LE(20)).toBe(c.formatTag);

      const { samples, source } = await loadWavForPipeline(file);
      expect(source.sampleRate).toBe(c.rate);
      expect(source.channels).toBe(c.channels);
      expect(source.seconds).toBeCloseTo(68720 / 16000, 3);
      expect(Math.abs(samples.length - original.length)).toBeLessThanOrEqual(1);
      // Aligned: the best lag is 0 (neither sox's nor our filter adds delay).
      const atZero = correlation(samples, original, 0);
      for (const lag of [-2, -1, 1, 2]) expect(correlation(samples, original, lag)).toBeLessThan(atZero);
      expect(atZero).toBeGreaterThan(0.99);
    });
  }

  it('8 kHz mu-law telephone audio still correlates after upsampling to 16 kHz', async () => {
    const file = out('phone.wav');
    sox('-D', speechWav, '-r', '8000', '-e', 'mu-law', file);
    const { samples, source } = await loadWavForPipeline(file);
    expect(source).toMatchObject({ sampleRate: 8000, channels: 1 });
    // The band above 4 kHz is gone, so this is lower than the wideband cases.
    expect(correlation(samples, original)).toBeGreaterThan(0.95);
  });

  it("our G.711 encoders produce sox's bytes for speech and for every 16-bit value", async () => {
    const everyValue = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const rampFile = out('every-int16.wav');
    await writeWavFile(rampFile, everyValue, 16000);
    for (const [enc, fn] of [['mu-law', linearToMulaw], ['a-law', linearToAlaw]] as const) {
      for (const [input, samples] of [[speechWav, original], [rampFile, everyValue]] as const) {
        const raw = sox('-D', input, '-t', 'raw', '-e', enc, '-');
        const ours = Uint8Array.from(samples, (s) => fn(s));
        expect(Buffer.from(ours).equals(raw), `${enc} of ${path.basename(input)}`).toBe(true);
      }
    }
  });

  it('reads what sox writes to a pipe (data size placeholder 0x7FFFF000)', async () => {
    const file = out('piped.wav');
    // Raw input from a pipe has no known length, so sox cannot write the real size either.
    execSync(
      `sox -D '${speechWav}' -t raw - | sox -D -t raw -r 16000 -e signed -b 16 -c 1 - -t wav - 2>/dev/null | cat > '${file}'`,
      { shell: '/bin/sh' },
    );
    const bytes = new Uint8Array(await readFile(file));
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(40, true)).toBe(0x7ffff000);
    const decoded = parseWav(bytes, file);
    expect(Int16Array.from(decoded.channels[0]!, (v) => v * 32768)).toEqual(original);
  });

  it('reads what arecord writes to a pipe (alsa-utils)', async () => {
    const file = out('arecord.wav');
    // arecord from the null device produces silence as fast as it can; head ends it after 0.5 s of audio.
    execSync(`arecord -q -D null -f S16_LE -r 16000 -c 1 -t wav - 2>/dev/null | head -c 16044 > '${file}'`, { shell: '/bin/sh' });
    const bytes = new Uint8Array(await readFile(file));
    const declared = new DataView(bytes.buffer, bytes.byteOffset).getUint32(40, true);
    expect(declared).toBeGreaterThan(16000); // a placeholder, not the real size
    const decoded = parseWav(bytes, file);
    expect(decoded.channels[0]).toHaveLength(8000);
  });

  it('rejects real ADPCM and GSM files written by sox, naming the codec', async () => {
    for (const [enc, re] of [
      ['ms-adpcm', /0x0002 \(Microsoft ADPCM\)/],
      ['ima-adpcm', /0x0011 \(IMA ADPCM\)/],
      ['gsm-full-rate', /0x0031 \(GSM 6\.10\)/],
    ] as const) {
      const file = out(`codec-${enc}.wav`);
      sox('-D', speechWav, '-e', enc, file);
      const e = await readError(file);
      expect(e.message).toMatch(re);
      expect(e.message.startsWith(file)).toBe(true);
    }
  });
});

/** A WAV with raw G.711 bytes (format 6 or 7), bypassing the fixture encoder. */
function rawLawWav(format: 6 | 7, bytes: number[]): Uint8Array {
  const wav = makeWav({ format: 'pcm', bits: 8, frames: bytes.length, signal: () => 0 });
  new DataView(wav.buffer).setUint16(20, format, true);
  wav.set(bytes, 44);
  return wav;
}
