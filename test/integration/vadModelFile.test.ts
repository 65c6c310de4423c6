import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sherpa from 'sherpa-onnx-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { vadSchema } from '../../src/config/schema.js';
import { ModelFileMissingError } from '../../src/engines/resolveModelPath.js';
import { SileroVad, VadModelFileError } from '../../src/engines/vad/SileroVad.js';
import { SpeechDetector } from '../../src/engines/vad/SpeechDetector.js';
import { runCli } from '../helpers/runCli.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { findPython, TINY_SHERPA_MODELS_SCRIPT } from '../helpers/tinySherpaModels.js';

const tempDir = useTempDirs('kv-vad-model-');
let dir: string;
let tinyPiper: string;

beforeAll(() => {
  // The generated models outlive one test: keep them in a directory of their own.
  dir = mkdtempSync(join(tmpdir(), 'kv-vad-tiny-'));
  const summary = JSON.parse(execFileSync(findPython(), [TINY_SHERPA_MODELS_SCRIPT, join(dir, 'gen')], { encoding: 'utf8' })) as {
    piper: { model: string };
  };
  tinyPiper = summary.piper.model;
  return () => rmSync(dir, { recursive: true, force: true });
});

afterEach(() => vi.restoreAllMocks());

/** Builds the VAD with `model`; the addon must never be reached for a bad file (it would abort us). */
function loadVad(model: string, modelsDir = sharedModelsDir): unknown {
  const native = vi.spyOn(sherpa, 'Vad');
  try {
    new SileroVad(vadSchema.parse({ model }), modelsDir);
  } catch (error) {
    expect(native, 'the bad file reached sherpa-onnx').not.toHaveBeenCalled();
    return error;
  }
  throw new Error(`SileroVad accepted ${model}`);
}

function expectVadFileError(error: unknown, path: string, problem: RegExp): void {
  expect(error).toBeInstanceOf(VadModelFileError);
  const e = error as VadModelFileError;
  expect(e.configKey).toBe('vad.model');
  expect(e.path).toBe(path);
  expect(e.message).toMatch(problem);
  expect(e.hint).toBeTruthy();
  expect(e.toUserLine()).not.toMatch(/\n/);
}

describe('vad.model is checked before sherpa-onnx sees it (issue 7, defect 3)', () => {
  it('refuses a text file as not ONNX', () => {
    const path = join(tempDir(), 'notes.onnx');
    writeFileSync(path, 'this is not a model\n');
    expectVadFileError(loadVad(path), path, /^vad\.model \(.*notes\.onnx\) is not an ONNX model/);
  });

  it('refuses a truncated copy of silero_vad_v5.onnx, cut anywhere', () => {
    const original = readFileSync(sharedFile('vad/silero_vad_v5.onnx'));
    const tmp = tempDir();
    // Half way (inside the graph), just before its end, and exactly where the graph ends (it then
    // parses, but the opset_import that follows is missing and onnxruntime would abort).
    for (const keep of [Math.floor(original.length / 2), original.length - 1, original.length - 6]) {
      const path = join(tmp, `silero_vad_v5.${keep}.onnx`);
      writeFileSync(path, original.subarray(0, keep));
      expectVadFileError(loadVad(path), path, /is not an ONNX model|is an incomplete ONNX model/);
    }
  });

  it('refuses an empty file', () => {
    const path = join(tempDir(), 'empty.onnx');
    writeFileSync(path, '');
    expectVadFileError(loadVad(path), path, /is empty/);
  });

  it('refuses a directory (sherpa would give a VAD that never hears anything)', () => {
    const path = join(tempDir(), 'vad');
    mkdirSync(path);
    expectVadFileError(loadVad(path), path, /is a directory, not a model file/);
  });

  it('refuses a FIFO without opening it', () => {
    const path = join(tempDir(), 'fifo.onnx');
    execFileSync('mkfifo', [path]);
    expectVadFileError(loadVad(path), path, /is not a regular file/);
  });

  it('names a missing file, resolved against the models directory', () => {
    const modelsDir = tempDir();
    const error = loadVad('vad/nope.onnx', modelsDir);
    expect(error).toBeInstanceOf(ModelFileMissingError);
    expect((error as ModelFileMissingError).toUserLine()).toMatch(/Silero VAD model \(vad\.model\) not found at .*vad\/nope\.onnx — run `kiosk-voice models fetch/);
  });

  it('refuses an ONNX model that is not a Silero VAD, naming what it takes', () => {
    expectVadFileError(loadVad(tinyPiper), tinyPiper, /is not a Silero VAD model: it takes \(.*\) and gives \(.*\); Silero v5\/v6: input, state, sr → output, stateN/);
  });

  it('still loads the real Silero v5 and v6 models (through the SpeechDetector too)', () => {
    for (const model of ['vad/silero_vad_v5.onnx', 'vad/silero_vad_v6_2.onnx']) {
      const native = vi.spyOn(sherpa, 'Vad');
      expect(new SpeechDetector(vadSchema.parse({ model }), sharedModelsDir).position).toBe(0);
      expect(native).toHaveBeenCalledTimes(1);
      vi.restoreAllMocks();
    }
  });

  it('a copy of the real model under another name is fine', () => {
    const path = join(tempDir(), 'my-vad.onnx');
    copyFileSync(sharedFile('vad/silero_vad_v5.onnx'), path);
    expect(() => new SileroVad(vadSchema.parse({ model: path }), sharedModelsDir)).not.toThrow();
  });
});

describe('kiosk-voice demo with a bad vad.model (built CLI)', () => {
  it('exits 1 with exactly one line naming vad.model, for a text file and for a directory', async () => {
    const tmp = tempDir();
    const text = join(tmp, 'vad.onnx');
    writeFileSync(text, 'not a model\n');
    const directory = join(tmp, 'vad-dir');
    mkdirSync(directory);
    for (const [bad, problem] of [
      [text, /is not an ONNX model/],
      [directory, /is a directory/],
    ] as const) {
      const result = await runCli(
        ['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', sharedFile('audio/flite_rms_opening_hours.wav'), '--output', join(tmp, 'out.wav')],
        { env: { KIOSK_VOICE__VAD__MODEL: bad }, timeoutMs: 60_000 },
      );
      expect(result.code, result.stderr).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      // The ears worker that loads the VAD names itself in front.
      expect(lines[0]).toMatch(/^kiosk-voice: (ears: )?vad\.model \(/);
      expect(lines[0]).toContain(bad);
      expect(lines[0]).toMatch(problem);
      expect(result.stdout).toBe('');
    }
  }, 120_000);
});
