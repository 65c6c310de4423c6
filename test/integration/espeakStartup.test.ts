import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { EspeakError, EspeakTts } from '../../src/engines/tts/EspeakTts.js';
import { createTtsEngine } from '../../src/engines/tts/createTtsEngine.js';
import { runCli } from '../helpers/runCli.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const defaults = configSchema.parse({});
const tempDir = useTempDirs('kv-espeak-');

function withEspeak(espeak: Partial<typeof defaults.tts.espeak>) {
  return { ...defaults.tts, backend: 'espeak-ng' as const, espeak: { ...defaults.tts.espeak, ...espeak } };
}

async function creationError(espeak: Partial<typeof defaults.tts.espeak>): Promise<EspeakError> {
  const error = await createTtsEngine(withEspeak(espeak), sharedModelsDir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EspeakError);
  const e = error as EspeakError;
  expect(e.hint).toBeTruthy();
  expect(e.toUserLine()).not.toMatch(/\n/);
  return e;
}

async function drain(tts: EspeakTts, text: string, onChunk: () => void = () => {}): Promise<number> {
  let samples = 0;
  for await (const chunk of tts.speak(text, new AbortController().signal)) {
    samples += chunk.length;
    onChunk();
  }
  return samples;
}

describe('espeak-ng is checked when the engine is created (issue 7, defect 12)', () => {
  it('refuses a binary that does not exist, naming the config key', async () => {
    const e = await creationError({ binary: '/nonexistent' });
    expect(e.message).toBe('tts.espeak.binary: /nonexistent is not installed (no such program)');
    expect(e.hint).toMatch(/apt-get install espeak-ng/);
  });

  it('refuses a program that does not answer --version', async () => {
    const e = await creationError({ binary: '/bin/false' });
    expect(e.message).toMatch(/^tts\.espeak\.binary: `\/bin\/false --version` exited with code 1/);
  });

  it('refuses a file that cannot be run', async () => {
    const path = join(tempDir(), 'espeak-ng');
    writeFileSync(path, '#!/bin/sh\nexit 0\n');
    chmodSync(path, 0o644);
    // No execute bit: even root cannot run it (EACCES).
    const e = await creationError({ binary: path });
    expect(e.message).toBe(`tts.espeak.binary: ${path} cannot be run (permission denied)`);
  });

  it('refuses a voice espeak-ng does not have', async () => {
    const e = await creationError({ voice: 'xx-no-such-voice' });
    expect(e.message).toMatch(/^tts\.espeak\.voice: `espeak-ng -q -v xx-no-such-voice` exited with code 1: .*voice does not exist/);
    expect(e.hint).toMatch(/--voices/);
  });

  it('creates a working engine with the defaults', async () => {
    const tts = await createTtsEngine(withEspeak({}), sharedModelsDir);
    expect(tts).toBeInstanceOf(EspeakTts);
    expect(await drain(tts as EspeakTts, 'Hello.')).toBeGreaterThan(1000);
  });
});

describe('a killed espeak-ng is reported by its signal', () => {
  it('says "was killed by SIGKILL" rather than "exited with code null" (killed from outside)', async () => {
    const tts = new EspeakTts(defaults.tts.espeak);
    let killed = false;
    const speaking = drain(tts, 'This is a long sentence that goes on and on. '.repeat(40), () => {
      if (killed) return;
      killed = true;
      // The espeak-ng this process just started (a child of ours), by its pid.
      const pid = Number(execFileSync('pgrep', ['-n', '-P', String(process.pid), '-x', 'espeak-ng'], { encoding: 'utf8' }).trim());
      process.kill(pid, 'SIGKILL');
    });
    await expect(speaking).rejects.toThrow(/^espeak-ng was killed by SIGKILL$/);
    expect(killed).toBe(true);
  });

  it('the same for a binary that kills itself', async () => {
    const path = join(tempDir(), 'espeak-selfkill');
    writeFileSync(path, '#!/bin/sh\nkill -KILL $$\n');
    chmodSync(path, 0o755);
    const error = await drain(new EspeakTts({ ...defaults.tts.espeak, binary: path }), 'hello').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EspeakError);
    expect((error as EspeakError).message).toBe('espeak-ng was killed by SIGKILL');
    expect((error as EspeakError).message).not.toMatch(/code null/);
  });
});

describe('kiosk-voice demo with a bad tts.espeak.binary (built CLI)', () => {
  it('fails start-up with exit 1 and one line naming the key', async () => {
    const result = await runCli(
      ['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', sharedFile('audio/flite_rms_opening_hours.wav'), '--output', join(tempDir(), 'out.wav')],
      { env: { KIOSK_VOICE__TTS__ESPEAK__BINARY: '/nonexistent' }, timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    // The mouth worker that creates the engine names itself in front.
    expect(lines[0]).toMatch(/^kiosk-voice: (mouth: )?tts\.espeak\.binary: \/nonexistent is not installed \(no such program\) — apt-get install espeak-ng/);
    expect(result.stdout).toBe('');
  }, 90_000);
});
