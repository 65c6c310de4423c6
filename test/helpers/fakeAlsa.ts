/**
 * A fake microphone and speaker through REAL ALSA, no sound card: a temp HOME whose `.asoundrc`
 * defines `file` plugin PCMs. arecord/aplay and PortAudio (naudiodon) open them like any device;
 * start your processes with `env: alsa.env` (HOME is what makes ALSA read this .asoundrc).
 *
 * - A mic (`pcm.<name>`) reads its `infile`, a FIFO fed by `pv` at the real byte rate, so the PCM
 *   delivers audio in about real time (pv releases it in ~100 ms bursts). Every time a reader opens
 *   the PCM a fresh feeder starts at the beginning of the audio: PortAudio's device probe opens
 *   and closes every PCM, and a reader that is killed is replaced by a new one, so the feeder loop
 *   survives both. After the audio comes endless silence (or the audio again, `then: 'loop'`).
 * - The speaker (`pcm.kspk`) writes raw S16_LE to `speakerFile`; each open of the PCM truncates
 *   it, and the file plugin writes whole periods, so expect up to one buffer of trailing silence.
 *
 * Needs Debian `pv` and `alsa-utils`. Never touches a real device or the network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeMicSpec {
  /** Interleaved signed 16-bit little-endian samples (an Int16Array is taken as is). */
  audio: Int16Array | Uint8Array;
  /** The rate and channel count the audio is paced for; open the PCM with the same. */
  rate: number;
  channels: number;
  /** What follows the audio: endless silence (default, a quiet room) or the audio again. */
  then?: 'silence' | 'loop';
}

export interface FakeAlsaOptions {
  /** Mic PCM name → what it plays. */
  mics?: Record<string, FakeMicSpec>;
}

export interface FakeAlsa {
  /** The temp HOME holding .asoundrc, the FIFOs and the speaker file. */
  home: string;
  /** `process.env` with HOME pointed at {@link home}: pass it to every audio process. */
  env: NodeJS.ProcessEnv;
  /** The fake speaker's PCM name and the file it writes. */
  speakerPcm: 'kspk';
  speakerFile: string;
  /** Stops the feeders and deletes the temp HOME. */
  close(): Promise<void>;
}

/** Throws with the install command when a tool the fake devices need is missing. */
export function requireTools(...tools: string[]): void {
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`MISSING TEST TOOL: ${tool} — apt-get install -y ${tool === 'pv' ? 'pv' : 'alsa-utils'}`);
    }
  }
}

/** Creates the temp HOME with its .asoundrc and starts one pv feeder per mic. */
export async function createFakeAlsa(options: FakeAlsaOptions = {}): Promise<FakeAlsa> {
  requireTools('pv', 'arecord', 'aplay');
  const home = await mkdtemp(join(tmpdir(), 'kiosk-alsa-'));
  const speakerFile = join(home, 'speaker.raw');
  const lines = [`pcm.kspk { type file; slave.pcm "null"; file "${speakerFile}"; format "raw" }`];
  const feeders: ChildProcess[] = [];

  for (const [name, spec] of Object.entries(options.mics ?? {})) {
    if (!/^[A-Za-z][\w-]*$/.test(name)) throw new Error(`fake mic name "${name}" must be a plain identifier`);
    const raw = join(home, `${name}.raw`);
    const fifo = join(home, `${name}.fifo`);
    const bytes = spec.audio instanceof Int16Array ? new Uint8Array(spec.audio.buffer, spec.audio.byteOffset, spec.audio.byteLength) : spec.audio;
    await writeFile(raw, bytes);
    if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`mkfifo ${fifo} failed`);
    lines.push(`pcm.${name} { type file; slave.pcm "null"; file "/dev/null"; infile "${fifo}"; format "raw" }`);
    const rate = spec.rate * spec.channels * 2;
    const source = spec.then === 'loop' ? `while :; do cat '${raw}' || exit 1; done` : `cat '${raw}' /dev/zero`;
    // One pipeline per reader: the redirect blocks until a reader opens the FIFO, and pv dies of
    // SIGPIPE when that reader goes. The loop ends when the FIFO is deleted (close()).
    const script = `while [ -p '${fifo}' ]; do ${source} | pv -qL ${rate} > '${fifo}'; done 2>/dev/null`;
    const feeder = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    feeders.push(feeder);
  }
  await writeFile(join(home, '.asoundrc'), `${lines.join('\n')}\n`);

  return {
    home,
    env: { ...process.env, HOME: home },
    speakerPcm: 'kspk',
    speakerFile,
    async close() {
      for (const feeder of feeders) {
        // The feeder is a process group (sh, cat, pv) we started: end it by its own id.
        try {
          if (feeder.pid !== undefined) process.kill(-feeder.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Interleaves mono tracks (equal lengths; `undefined` = a silent channel) into one S16 buffer. */
export function interleave(tracks: (Int16Array | undefined)[], length: number): Int16Array {
  const n = tracks.length;
  const out = new Int16Array(length * n);
  tracks.forEach((track, c) => {
    if (!track) return;
    for (let i = 0; i < length; i++) out[i * n + c] = track[i] ?? 0;
  });
  return out;
}
