import { resolve } from 'node:path';
import { loadConfig } from '../config/loadConfig.js';
import type { KioskConfig, KioskConfigInput } from '../config/schema.js';
import { configForModelSet } from '../models/configForModelSet.js';
import { loadManifest } from '../models/manifestSchema.js';

export interface RuntimeOptions {
  config?: string | undefined;
  /** A model set from models/manifest.json, e.g. `test` or `pi5`. */
  models?: string | undefined;
  modelsDir?: string | undefined;
  logLevel?: string | undefined;
  /** The command's defaults, overridden by the config file and everything after it. */
  defaults?: KioskConfigInput;
}

/** The config for a command: file, model set, environment and flags, with an absolute models dir. */
export function resolveRuntimeConfig(options: RuntimeOptions, flags: KioskConfigInput = {}): { config: KioskConfig; modelsDir: string } {
  const layers: KioskConfigInput[] = options.models ? [configForModelSet(loadManifest(), options.models)] : [];
  // KIOSK_MODELS_DIR is the variable the models command documents; it means the same here.
  if (process.env.KIOSK_MODELS_DIR) layers.push({ models: { dir: process.env.KIOSK_MODELS_DIR } });
  const cliFlags: KioskConfigInput = { ...flags };
  if (options.modelsDir) cliFlags.models = { dir: options.modelsDir };
  if (options.logLevel) cliFlags.logLevel = options.logLevel as KioskConfig['logLevel'];
  const config = loadConfig({ defaults: options.defaults, file: options.config, layers, flags: cliFlags });
  return { config, modelsDir: resolve(config.models.dir) };
}
