import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { KioskVoiceError } from '../errors.js';

/** A model file named in the config is not on disk. */
export class ModelFileMissingError extends KioskVoiceError {
  constructor(
    readonly what: string,
    readonly path: string,
  ) {
    super(
      `${what} not found at ${path}`,
      'run `kiosk-voice models fetch` (or `--set test`), or point the config at the file',
    );
  }
}

/** Resolves a configured model path against the models directory and checks it exists. */
export function resolveModelPath(modelsDir: string, configured: string, what: string): string {
  const path = isAbsolute(configured) ? configured : resolve(modelsDir, configured);
  if (!existsSync(path)) throw new ModelFileMissingError(what, path);
  return path;
}
