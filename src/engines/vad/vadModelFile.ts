import { statSync } from 'node:fs';
import { OnnxFormatError, readOnnxModelInfo, type OnnxModelInfo } from '../onnxMetadata.js';
import { resolveModelPath } from '../resolveModelPath.js';
import { onnxOpsetImportCount, SherpaModelFileError } from '../sherpaModelFiles.js';

/*
 * What sherpa-onnx-node 1.13.8 does with a bad Silero VAD file (measured on Linux x64), which is
 * why SileroVad checks the file here before the addon sees it:
 *   - text, a GGUF, a truncated download → an uncaught Ort::Exception: SIGABRT, exit 134, no line
 *     of ours (a download cut off where the graph ends parses, but onnxruntime then misses its
 *     opset_import and aborts the same way)
 *   - a directory → the constructor returns, every window prints a native error, nothing is ever
 *     detected: a deaf kiosk that exits 0
 *   - an ONNX that is not a Silero VAD → sherpa logs "Unsupported silero vad model" and exits
 */

const CONFIG_KEY = 'vad.model';
const WHAT = 'Silero VAD model';
const HINT_FETCH = 'the download was probably interrupted: run `kiosk-voice models fetch` again';
const HINT_POINT = `point ${CONFIG_KEY} at a Silero VAD v4, v5 or v6 .onnx file (\`kiosk-voice models fetch\` gets vad/silero_vad_v5.onnx)`;

/** The graph signatures sherpa-onnx's Silero VAD loader takes (by input and output names, in order). */
const SILERO_SIGNATURES = [
  { version: 'v5/v6', inputs: ['input', 'state', 'sr'], outputs: ['output', 'stateN'] },
  { version: 'v4', inputs: ['input', 'sr', 'h', 'c'], outputs: ['output', 'hn', 'cn'] },
] as const;

/** `vad.model` names a file that is not a Silero VAD model sherpa-onnx can load. */
export class VadModelFileError extends SherpaModelFileError {
  constructor(path: string, problem: string, hint: string = HINT_POINT) {
    super(CONFIG_KEY, path, problem, hint);
  }
}

const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((name, i) => name === b[i]);

/**
 * Resolves `vad.model` against the models directory and checks it is a Silero VAD ONNX file:
 * exists (else ModelFileMissingError), is a regular non-empty file, parses as ONNX with an opset,
 * and has Silero's inputs and outputs. Returns the absolute path; every failure is one line naming
 * the file and the config key.
 */
export function checkSileroVadModel(modelsDir: string, configured: string): string {
  const path = resolveModelPath(modelsDir, configured, `${WHAT} (${CONFIG_KEY})`);
  const st = statSync(path);
  if (st.isDirectory()) throw new VadModelFileError(path, 'is a directory, not a model file');
  if (!st.isFile()) throw new VadModelFileError(path, 'is not a regular file');
  if (st.size === 0) throw new VadModelFileError(path, 'is empty', HINT_FETCH);

  let info: OnnxModelInfo;
  let opsets: number;
  try {
    info = readOnnxModelInfo(path);
    opsets = onnxOpsetImportCount(path);
  } catch (e) {
    if (!(e instanceof OnnxFormatError)) throw e;
    const reason = e.message.slice(e.message.indexOf(': ') + 2);
    throw new VadModelFileError(path, `is not an ONNX model (${reason}): a text file, another format or a truncated download`, `${HINT_POINT}; re-download it if it is truncated`);
  }
  if (opsets === 0) {
    throw new VadModelFileError(path, 'is an incomplete ONNX model (it has no opset_import: the file is probably truncated)', HINT_FETCH);
  }
  if (!SILERO_SIGNATURES.some((s) => sameNames(info.inputs, s.inputs) && sameNames(info.outputs, s.outputs))) {
    const expected = SILERO_SIGNATURES.map((s) => `${s.version}: ${s.inputs.join(', ')} → ${s.outputs.join(', ')}`).join('; ');
    throw new VadModelFileError(
      path,
      `is not a Silero VAD model: it takes (${info.inputs.join(', ')}) and gives (${info.outputs.join(', ')}); Silero ${expected}`,
    );
  }
  return path;
}
