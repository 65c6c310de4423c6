import { isAbsolute, resolve } from 'node:path';
import type { KioskConfig } from '../config/schema.js';

/**
 * What an engine does with a file, which decides the cheap start-up check it gets:
 * `sileroVad` (the VAD's own check), `onnx` (parses, has an opset), `gguf` (the header, checked as the engine does),
 * `asrTokens` (a symbol table as sherpa parses it), `espeakData` (an espeak-ng data directory),
 * `dir` / `file` (exists and is that), `executable` (found on PATH or at the path).
 */
export type ModelFileKind = 'sileroVad' | 'onnx' | 'gguf' | 'asrTokens' | 'espeakData' | 'dir' | 'file' | 'executable';

/** One file the configuration makes an engine load. */
export interface UsedModelFile {
  /** The setting that names it, e.g. `llm.model` or `tts.sherpa.files.tokens`. */
  setting: string;
  /** As configured. */
  configured: string;
  /** Resolved against models.dir unless absolute; an executable without a slash is left for a PATH lookup. */
  path: string;
  kind: ModelFileKind;
}

/**
 * Every model file the configured engines open, in pipeline order: VAD, ASR, LLM, TTS, wake
 * phrase. Only the selected backend of each stage counts (pocketsphinx's files are not needed when
 * sherpa recognises).
 */
export function usedModelFiles(config: KioskConfig, modelsDir: string): UsedModelFile[] {
  const files: UsedModelFile[] = [];
  const add = (setting: string, configured: string, kind: ModelFileKind) => {
    const bare = kind === 'executable' && !configured.includes('/');
    files.push({ setting, configured, kind, path: bare || isAbsolute(configured) ? configured : resolve(modelsDir, configured) });
  };
  const onnxOrFile = (path: string): ModelFileKind => (path.endsWith('.onnx') ? 'onnx' : 'file');

  add('vad.model', config.vad.model, 'sileroVad');

  const { asr } = config;
  if (asr.backend === 'pocketsphinx') {
    add('asr.pocketsphinx.python', asr.pocketsphinx.python, 'executable');
    add('asr.pocketsphinx.hmm', asr.pocketsphinx.hmm, 'dir');
    add('asr.pocketsphinx.lm', asr.pocketsphinx.lm, 'file');
    add('asr.pocketsphinx.dict', asr.pocketsphinx.dict, 'file');
  } else if (asr.backend === 'sherpa-online') {
    for (const role of ['encoder', 'decoder', 'joiner'] as const) add(`asr.sherpaOnline.${role}`, asr.sherpaOnline[role], 'onnx');
    add('asr.sherpaOnline.tokens', asr.sherpaOnline.tokens, 'asrTokens');
  } else {
    for (const [role, path] of Object.entries(asr.sherpaOffline.files)) add(`asr.sherpaOffline.files.${role}`, path, onnxOrFile(path));
    add('asr.sherpaOffline.tokens', asr.sherpaOffline.tokens, 'asrTokens');
  }

  add('llm.model', config.llm.model, 'gguf');

  const { tts } = config;
  if (tts.backend === 'espeak-ng') {
    add('tts.espeak.binary', tts.espeak.binary, 'executable');
  } else {
    for (const [role, path] of Object.entries(tts.sherpa.files)) {
      const setting = `tts.sherpa.files.${role}`;
      if (role === 'dataDir') add(setting, path, 'espeakData');
      // sherpa takes several lexicons as one comma-separated setting.
      else if (role === 'lexicon') for (const one of path.split(',')) add(setting, one.trim(), 'file');
      else add(setting, path, onnxOrFile(path));
    }
  }

  for (const [role, path] of Object.entries(config.turn.wake.files)) {
    add(`turn.wake.files.${role}`, path, role === 'tokens' ? 'asrTokens' : onnxOrFile(path));
  }
  return files;
}
