import { mkdtemp, open, rm } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WavFormatError } from '../../src/audio/WavFormatError.js';
import { MAX_WAV_DECODED_SAMPLES, MAX_WAV_SECONDS, parseWav, readWavFile } from '../../src/audio/wav.js';

// readWavFile's readFile is watched, to prove an oversized file is refused without being read.
vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  return { ...original, readFile: vi.fn(original.readFile) };
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'kiosk-wav-size-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  vi.mocked(fsPromises.readFile).mockClear();
});

/** A canonical 44-byte header for 8-bit unsigned PCM declaring `dataBytes` of audio. */
function header8Bit(rate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(36 + dataBytes, 0xffffffff), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels, 28);
  h.writeUInt16LE(channels, 32); // block align: one byte per channel
  h.writeUInt16LE(8, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A whole 8-bit file in memory: header plus silence (0x80). */
function wav8Bit(rate: number, channels: number, frames: number): Uint8Array {
  const data = Buffer.alloc(frames * channels, 0x80);
  return Buffer.concat([header8Bit(rate, channels, data.length), data]);
}

/** A file of `dataBytes` of 8-bit audio that costs no disk: the header, then a hole. */
async function sparseWav(name: string, rate: number, channels: number, dataBytes: number): Promise<string> {
  const file = path.join(tmp, name);
  const fh = await open(file, 'w');
  await fh.write(header8Bit(rate, channels, dataBytes), 0, 44, 0);
  await fh.truncate(44 + dataBytes);
  await fh.close();
  return file;
}

// Never hand decoded audio to expect(): printing hundreds of millions of samples in a diff hangs.
function refusal(run: () => unknown): WavFormatError {
  try {
    run();
  } catch (err) {
    if (err instanceof WavFormatError) return err;
    throw err;
  }
  throw new Error('the WAV was accepted (and decoded)');
}

async function readRefusal(file: string): Promise<WavFormatError> {
  try {
    await readWavFile(file);
  } catch (err) {
    if (err instanceof WavFormatError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted (and decoded)`);
}

describe('the WAV cap counts decoded audio, not file bytes (issue 7, defect 9)', () => {
  it('caps duration at 30 minutes: 8-bit 1 kHz, 1.86 MB of file, is 31 minutes', () => {
    expect(MAX_WAV_SECONDS).toBe(1800);
    const e = refusal(() => parseWav(wav8Bit(1000, 1, 31 * 60 * 1000), 'long.wav'));
    expect(e.message).toBe('long.wav: WAV file holds 31 min 0 s of audio (1860000 frames at 1000 Hz); input over 30 minutes is refused');
    expect(e.toUserLine()).toMatch(/ — cut it down with `sox in\.wav out\.wav trim 0 30:00`$/);
    expect(e.toUserLine()).not.toMatch(/\n/);
  });

  it('accepts exactly 30 minutes', () => {
    const decoded = parseWav(wav8Bit(1000, 1, 30 * 60 * 1000));
    expect(decoded.channels[0]!.length).toBe(1_800_000);
  });

  it('refuses the probe\'s 16 MB 8-bit 1 kHz file from its header, without reading it', async () => {
    const file = await sparseWav('probe.wav', 1000, 1, 16 * 1024 * 1024);
    const started = Date.now();
    const e = await readRefusal(file);
    expect(e.message).toBe(`${file}: WAV file holds 4 h 39 min 38 s of audio (16777216 frames at 1000 Hz); input over 30 minutes is refused`);
    expect(fsPromises.readFile).not.toHaveBeenCalled();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('caps decoded samples for many channels at a high rate, also from the header', async () => {
    // 32 channels at 384 kHz: 15 s of audio, but 184 million samples.
    const frames = 15 * 384000;
    const file = await sparseWav('wide.wav', 384000, 32, frames * 32);
    const e = await readRefusal(file);
    expect(e.message).toBe(
      `${file}: WAV file holds ${frames * 32} samples (32 channels at 384000 Hz for 15 s); at most ${MAX_WAV_DECODED_SAMPLES} are decoded`,
    );
    expect(fsPromises.readFile).not.toHaveBeenCalled();
  });

  it('a streamed data size (0xFFFFFFFF) is judged by the bytes really there', () => {
    const data = Buffer.alloc(10 * 8000, 0x80);
    const bytes = Buffer.concat([header8Bit(8000, 1, 0xffffffff), data]);
    expect(parseWav(bytes).channels[0]!.length).toBe(80000);
    const long = Buffer.concat([header8Bit(1000, 1, 0xffffffff), Buffer.alloc(1800 * 1000 + 1, 0x80)]);
    expect(refusal(() => parseWav(long)).message).toMatch(/^WAV file holds 30 min 1 s of audio \(1800001 frames at 1000 Hz\); input over 30 minutes is refused$/);
  });

  it('still reads an ordinary file above the probe size in full', async () => {
    // 8 kHz 8-bit for 3 minutes: 1.44 MB, more than the 1 MiB header probe.
    const file = path.join(tmp, 'ordinary.wav');
    const fh = await open(file, 'w');
    await fh.write(wav8Bit(8000, 1, 180 * 8000));
    await fh.close();
    expect((await readWavFile(file)).channels[0]!.length).toBe(1_440_000);
    expect(fsPromises.readFile).toHaveBeenCalledTimes(1);
  });
});
