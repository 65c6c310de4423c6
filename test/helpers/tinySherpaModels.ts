import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Writes the tiny stand-in sherpa-onnx models: `python3 SCRIPT OUT_DIR` prints a JSON summary. */
export const TINY_SHERPA_MODELS_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/make_tiny_sherpa_models.py');

/**
 * A python3 that can `import onnx, numpy` — Debian's, even when pyenv shadows it on PATH
 * (KIOSK_TEST_PYTHON picks another).
 */
export function findPython(): string {
  const candidates = process.env.KIOSK_TEST_PYTHON ? [process.env.KIOSK_TEST_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['-c', 'import onnx, numpy']).status === 0) return candidate;
  }
  throw new Error(
    'python3 with the onnx and numpy modules is needed to generate the tiny sherpa models: ' +
      'apt-get install python3-onnx python3-numpy',
  );
}
