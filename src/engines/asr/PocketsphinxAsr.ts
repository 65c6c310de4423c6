import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { encodeWav } from '../../audio/wav.js';
import type { AsrEngine } from './AsrEngine.js';

/** pocketsphinx or its English model is not installed, or the recogniser failed. */
export class PocketsphinxError extends KioskVoiceError {}

const SAMPLE_RATE = 16000;

/**
 * Debian's pocketsphinx_continuous run on each VAD segment. Weak, but real and available
 * everywhere Debian is, so CI can run whole turns. Not streaming: no partials.
 */
export class PocketsphinxAsr implements AsrEngine {
  readonly streaming = false;
  private workDir: string | undefined;

  constructor(private readonly config: KioskConfig['asr']['pocketsphinx']) {
    for (const [role, path] of [
      ['acoustic model (hmm)', config.hmm],
      ['language model (lm)', config.lm],
      ['dictionary (dict)', config.dict],
    ] as const) {
      if (!existsSync(path)) {
        throw new PocketsphinxError(`pocketsphinx ${role} not found at ${path}`, 'install it: apt-get install pocketsphinx pocketsphinx-en-us');
      }
    }
  }

  startUtterance(): void {}

  acceptSpeech(): string | undefined {
    return undefined;
  }

  async finishUtterance(segment: Int16Array): Promise<string> {
    this.workDir ??= await mkdtemp(join(tmpdir(), 'kiosk-voice-ps-'));
    const wavPath = join(this.workDir, `segment-${process.pid}-${Date.now()}.wav`);
    await writeFile(wavPath, encodeWav(segment, SAMPLE_RATE));
    try {
      const text = await this.run(wavPath);
      return text.replace(/\s+/g, ' ').trim().toLowerCase();
    } finally {
      await rm(wavPath, { force: true });
    }
  }

  dispose(): void {
    if (this.workDir) void rm(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }

  private run(wavPath: string): Promise<string> {
    const { binary, hmm, lm, dict } = this.config;
    const args = ['-infile', wavPath, '-hmm', hmm, '-lm', lm, '-dict', dict, '-logfn', '/dev/null'];
    return new Promise((resolve, reject) => {
      execFile(binary, args, { timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout) => {
        if (error) {
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          reject(
            new PocketsphinxError(
              missing ? `${binary} is not installed` : `pocketsphinx failed: ${error.message.split('\n')[0]}`,
              missing ? 'apt-get install pocketsphinx pocketsphinx-en-us' : 'check the pocketsphinx model paths in the config',
            ),
          );
          return;
        }
        resolve(stdout);
      });
    });
  }
}
