import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fake speaker and microphone through real ALSA, no sound card: a temp HOME whose `.asoundrc`
 * defines `kspk` (ALSA's `file` plugin writing raw PCM to `speaker`) and `kmic` (reading `mic`).
 * Both aplay/arecord and PortAudio open these names. The file plugin is not paced in real time and
 * holds back up to one ALSA buffer until more audio comes or the device closes.
 */
export interface FakeSpeaker {
  home: string;
  /** Raw S16_LE as the device received it, at whatever rate it was opened with. */
  speaker: string;
  mic: string;
  /** `process.env` with HOME pointing at the fake. */
  env: NodeJS.ProcessEnv;
  speakerBytes(): number;
  readSpeaker(): Int16Array;
  cleanup(): void;
}

export function createFakeSpeaker(prefix = 'kv-spk-'): FakeSpeaker {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const speaker = join(home, 'spk.raw');
  const mic = join(home, 'mic.raw');
  writeFileSync(mic, Buffer.alloc(3200));
  writeFileSync(
    join(home, '.asoundrc'),
    `pcm.kspk { type file; slave.pcm "null"; file "${speaker}"; format "raw" }\n` +
      `pcm.kmic { type file; slave.pcm "null"; file "/dev/null"; infile "${mic}"; format "raw" }\n`,
  );
  return {
    home,
    speaker,
    mic,
    env: { ...process.env, HOME: home },
    speakerBytes: () => (existsSync(speaker) ? statSync(speaker).size : 0),
    readSpeaker: () => {
      if (!existsSync(speaker)) return new Int16Array(0);
      const bytes = readFileSync(speaker);
      const samples = new Int16Array(Math.floor(bytes.length / 2));
      Buffer.from(samples.buffer).set(bytes.subarray(0, samples.length * 2));
      return samples;
    },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
