import { mergeConfig } from '../config/loadConfig.js';
import type { KioskConfigInput } from '../config/schema.js';
import { modelRolePaths, modelsInSet, type ModelEntry, type ModelManifest } from './manifestSchema.js';

/** What a model set contributes to the configuration, in its two parts. */
export interface ModelSetConfig {
  /**
   * Which models run: each stage's backend and model files (`vad.model`, `asr.backend` and its
   * files, `llm.model`, `tts.backend` and its files, `turn.wake.files`). Applied over the config
   * file — the set decides the model files — with a warning for each file value it replaces.
   */
  models: KioskConfigInput;
  /**
   * Engine tuning that suits this hardware and these models (the set's `config` in the manifest,
   * e.g. `llm.threads`). Applied under the config file: the kiosk owner's tuning wins.
   */
  tuning: KioskConfigInput;
}

/**
 * The two parts of a model set's configuration (see ModelSetConfig). Paths from `files` and
 * `archive` stay relative (the engines resolve them against `models.dir`, so the same overrides
 * work wherever the models were fetched to); system paths are absolute. `tuning` is the manifest's
 * value as it is; loadConfig validates both parts as layers of their own.
 *
 * Throws `UnknownModelSetError` (listing the sets) for a name the manifest does not define.
 */
export function modelSetConfig(manifest: ModelManifest, setName: string): ModelSetConfig {
  const models: KioskConfigInput = {};
  for (const model of modelsInSet(manifest, setName)) applyModel(models, model);
  const tuning = (Object.hasOwn(manifest.sets, setName) ? manifest.sets[setName]?.config : undefined) ?? {};
  return { models, tuning: tuning as KioskConfigInput };
}

/**
 * The config overrides that point every engine at one model set's files, with the set's engine
 * tuning, as one tree (for tests and tools that use a set on its own, without a config file).
 *
 * Throws `UnknownModelSetError` (listing the sets) for a name the manifest does not define.
 */
export function configForModelSet(manifest: ModelManifest, setName: string): KioskConfigInput {
  const { models, tuning } = modelSetConfig(manifest, setName);
  return mergeConfig(models, tuning) as KioskConfigInput;
}

function applyModel(config: KioskConfigInput, model: ModelEntry): void {
  const roles = modelRolePaths(model);
  // The manifest schema guarantees every required role; `need` only narrows the type.
  const need = (role: string): string => {
    const path = roles[role];
    if (path === undefined) throw new Error(`model "${model.id}" has no "${role}" file (manifest not validated?)`);
    return path;
  };

  switch (model.backend) {
    case 'silero':
      config.vad = { model: need('model') };
      return;
    case 'pocketsphinx':
      config.asr = { backend: 'pocketsphinx', pocketsphinx: { hmm: need('hmm'), lm: need('lm'), dict: need('dict') } };
      return;
    case 'sherpa-online':
      config.asr = {
        backend: 'sherpa-online',
        sherpaOnline: { encoder: need('encoder'), decoder: need('decoder'), joiner: need('joiner'), tokens: need('tokens') },
      };
      return;
    case 'sherpa-offline': {
      // tokens has its own setting; every other role is handed to the engine by name.
      const { tokens: _tokens, ...files } = roles;
      config.asr = { backend: 'sherpa-offline', sherpaOffline: { kind: model.kind, files, tokens: need('tokens') } };
      return;
    }
    case 'llama':
      config.llm = { model: need('model') };
      return;
    case 'espeak-ng':
      // The espeak binary is found on PATH by default; the manifest path is only checked by fetch.
      config.tts = { backend: 'espeak-ng' };
      return;
    case 'sherpa-tts':
      config.tts = { backend: 'sherpa', sherpa: { kind: model.kind, files: roles } };
      return;
    case 'sherpa-kws':
      // Files by role, as the keyword-spotter engine takes them; which trigger uses the wake
      // phrase stays the operator's choice (turn.wake.phrases, turn.trigger).
      config.turn = { wake: { files: roles } };
      return;
  }
}
