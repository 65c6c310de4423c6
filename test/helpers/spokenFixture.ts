import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { requireTools } from './fakeAlsa.js';

/**
 * Speaks `utterances` with flite's rms voice (which pocketsphinx transcribes well) into one 16 kHz
 * mono WAV at `path`, with `gapSeconds` of silence before, between and after them, the way a
 * visitor would say them one after another. Converted by rounding, without dither: pocketsphinx
 * hears dither as words.
 */
export function speakFixture(path: string, utterances: string[], gapSeconds = 1.5): string {
  requireTools('flite', 'sox');
  const parts = utterances.map((text, i) => {
    const part = `${path}.${i}.wav`;
    execFileSync('flite', ['-voice', 'rms', '-t', text, '-o', `${part}.22k.wav`]);
    execFileSync('sox', ['-D', `${part}.22k.wav`, '-r', '16000', '-c', '1', '-b', '16', part, 'pad', String(gapSeconds), '0']);
    rmSync(`${part}.22k.wav`);
    return part;
  });
  execFileSync('sox', ['-D', ...parts, path, 'pad', '0', String(gapSeconds)]);
  for (const part of parts) rmSync(part);
  return path;
}
