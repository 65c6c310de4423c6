import { resolve } from 'node:path';
import { resolveConfig, type ConfigLayer, type ConfigWarning } from '../config/loadConfig.js';
import type { KioskConfig, KioskConfigInput } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { createLogger } from '../logging/createLogger.js';
import { modelSetConfig } from '../models/configForModelSet.js';
import { loadManifest } from '../models/manifestSchema.js';

export interface RuntimeOptions {
  config?: string | undefined;
  /** The config file's settings after an edit, used instead of reading the file (set_config's check). */
  configValues?: Tree | undefined;
  /** A model set from models/manifest.json, e.g. `test` or `pi5`. */
  models?: string | undefined;
  modelsDir?: string | undefined;
  logLevel?: string | undefined;
  /** The command's defaults, overridden by the config file and everything after it. */
  defaults?: KioskConfigInput;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: a `warn` log line (at the configured log level) for each. */
  onWarning?: (warning: ConfigWarning) => void;
}

/** Why a model set's model files win over the config file's. */
export const MODEL_SET_OVERRIDE_REASON = 'the model set decides which models run, so the file value is not used (run without --models to choose models in the file)';

/**
 * The config for a command. Precedence, lowest first: schema defaults, the command's defaults, the
 * model set's engine tuning (`--models`), the config file (`--config`), the model set's model
 * files, the environment (`KIOSK_MODELS_DIR`, then `KIOSK_VOICE__*`), command-line flags. A file
 * value the model set replaces is logged as a warning, never dropped silently.
 */
export function resolveRuntimeConfig(
  options: RuntimeOptions,
  flags: KioskConfigInput = {},
): { config: KioskConfig; modelsDir: string; warnings: ConfigWarning[] } {
  const env = options.env ?? process.env;
  const base: ConfigLayer[] = [];
  const layers: ConfigLayer[] = [];
  if (options.models) {
    const set = modelSetConfig(loadManifest(), options.models);
    base.push({ source: `model set "${options.models}" (engine tuning)`, values: set.tuning });
    layers.push({ source: `model set "${options.models}"`, values: set.models, overridesFile: { reason: MODEL_SET_OVERRIDE_REASON } });
  }
  // KIOSK_MODELS_DIR is the variable the models command documents; it means the same here.
  if (env.KIOSK_MODELS_DIR) layers.push({ source: 'environment KIOSK_MODELS_DIR', values: { models: { dir: env.KIOSK_MODELS_DIR } } });
  const cliFlags: KioskConfigInput = { ...flags };
  if (options.modelsDir) cliFlags.models = { dir: options.modelsDir };
  if (options.logLevel) cliFlags.logLevel = options.logLevel as KioskConfig['logLevel'];
  const { config, warnings } = resolveConfig({ defaults: options.defaults, base, file: options.config, fileValues: options.configValues, layers, flags: cliFlags, env });
  if (warnings.length) {
    const report = options.onWarning ?? defaultReporter(config.logLevel);
    for (const warning of warnings) report(warning);
  }
  return { config, modelsDir: resolve(config.models.dir), warnings };
}

function defaultReporter(level: KioskConfig['logLevel']): (warning: ConfigWarning) => void {
  const logger = createLogger(level, { bindings: { service: 'kiosk-voice' } });
  return (warning) => logger.warn({ setting: warning.path, fileValue: warning.fileValue, used: warning.usedValue, from: warning.source }, warning.message);
}
