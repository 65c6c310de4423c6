import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { checkGgufFile } from '../engines/llm/ggufFile.js';
import { checkEspeakDataDir, checkTokens, modelDir, modelFile, onnxInfo, onnxOpsetImportCount, SherpaModelFileError } from '../engines/sherpaModelFiles.js';
import { checkSileroVadModel } from '../engines/vad/vadModelFile.js';
import { KioskVoiceError } from '../errors.js';
import type { UsedModelFile } from './usedModelFiles.js';

/** A model file fails a check doctor makes itself (no engine has a named error for it). */
export class ModelFileCheckError extends KioskVoiceError {}

const REFETCH = 'the download was probably interrupted: run `kiosk-voice models fetch` again';

/**
 * The start-up checks the engines make before a native library sees the file (a wrong file can
 * end the whole process there, see src/engines/sherpaModelFiles.ts), where they are cheap: no
 * model is loaded. Throws the engines' own named errors, each naming the file and the setting.
 */
export function checkEngineFile(file: UsedModelFile, modelsDir: string): void {
  const { setting, configured, path } = file;
  switch (file.kind) {
    case 'sileroVad':
      checkSileroVadModel(modelsDir, configured);
      return;
    case 'onnx': {
      const at = modelFile(modelsDir, configured, setting, 'ONNX model');
      onnxInfo(at, setting, 'ONNX model');
      if (onnxOpsetImportCount(at) === 0) {
        throw new SherpaModelFileError(setting, at, 'is an incomplete ONNX model (it has no opset_import: the file is probably truncated)', REFETCH);
      }
      return;
    }
    case 'gguf':
      checkGgufFile(modelFile(modelsDir, configured, setting, 'GGUF model'), { setting });
      return;
    case 'asrTokens':
      checkTokens(modelFile(modelsDir, configured, setting, 'tokens file'), setting, 'symbols');
      return;
    case 'espeakData':
      checkEspeakDataDir(modelDir(modelsDir, configured, setting, 'espeak-ng data directory'), setting);
      return;
    case 'dir':
      modelDir(modelsDir, configured, setting, 'model directory');
      return;
    case 'file':
      modelFile(modelsDir, configured, setting, 'model file');
      return;
    case 'executable':
      if (!findExecutable(path)) {
        throw new ModelFileCheckError(`${setting}: ${configured} is not ${path.includes('/') ? 'an executable file' : 'on PATH'}`, `install it (see \`scripts/setup.sh\`) or point ${setting} at it`);
      }
      return;
  }
}

/** The path of an executable: as given when it has a slash, else the first match on PATH. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = name.includes('/') ? [name] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}
