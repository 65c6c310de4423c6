import type { z } from 'zod';
import { ConfigError, preview } from './ConfigError.js';
import { describeEnvProblem, envHint, envLayer, variablesFor, type EnvLayer } from './envConfig.js';
import { readConfigFile } from './readConfigFile.js';
import { configSchema, type CrossFieldParams, type KioskConfig, type KioskConfigInput } from './schema.js';
import { checkTree, formatPath, getAt, isTree, leaves, mergeConfig, sameValue, type SettingPath, type Tree } from './tree.js';

export { ENV_PREFIX } from './envConfig.js';
export { mergeConfig } from './tree.js';
export { readConfigFile, MAX_CONFIG_FILE_BYTES } from './readConfigFile.js';

/** One source of settings, validated on its own before it is merged. */
export interface ConfigLayer {
  /** Named in messages: `model set "pi5"`, `environment KIOSK_MODELS_DIR`. */
  source: string;
  values: unknown;
  /**
   * This layer replaces config-file values on purpose (a model set picks the model files): each
   * file value it replaces is reported as a warning with this reason, never dropped silently.
   */
  overridesFile?: { reason: string };
}

export interface LoadConfigOptions {
  /** The command's own defaults, under everything else (e.g. a quieter log for the demo). */
  defaults?: KioskConfigInput;
  /** Layers under the config file, e.g. a model set's engine tuning (threads, context size). */
  base?: ConfigLayer[];
  /** A YAML or JSON file (JSON is YAML). */
  file?: string | undefined;
  /** The file's settings as they would be after an edit (set_config), used instead of reading `file`. */
  fileValues?: Tree | undefined;
  /** Layers over the file and under the environment, e.g. the model files a model set picks. */
  layers?: ConfigLayer[];
  /** Applied last: explicit command-line flags. */
  flags?: KioskConfigInput;
  env?: NodeJS.ProcessEnv;
  /** Told about each config-file value a layer with `overridesFile` replaced; default: a line on stderr. */
  onWarning?: (warning: ConfigWarning) => void;
}

/** A config-file value that a later layer replaced on purpose. */
export interface ConfigWarning {
  message: string;
  path: string;
  fileValue: unknown;
  usedValue: unknown;
  source: string;
}

export interface LoadedConfig {
  config: KioskConfig;
  warnings: ConfigWarning[];
}

/** `KIOSK_VOICE__VAD__MIN_SILENCE_SECONDS=0.3` → `{ vad: { minSilenceSeconds: 0.3 } }`, parsed by the schema's type. */
export function configFromEnv(env: NodeJS.ProcessEnv): Tree {
  const layer = envLayer(env);
  if (layer.problems.length) throw new ConfigError(`invalid configuration ${layer.problems.map(describeEnvProblem).join('; ')}`, envHint(layer.problems));
  return layer.values;
}

const MAX_ISSUES = 8;

function isCrossField(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && (issue.params as Partial<CrossFieldParams> | undefined)?.crossField === true;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path as SettingPath);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => preview(k)).join(', ')}`;
  }
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES).map(describeIssue);
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return shown.join('; ');
}

const HINT = 'fix the value(s) named; `kiosk-voice --help` and the README list every setting';

/** Validates complete settings; a bad value is reported as `path: what is wrong, what is allowed`. */
export function parseConfig(input: unknown, source = 'configuration'): KioskConfig {
  checkTree(input, source);
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(`invalid ${source}: ${describeIssues(result.error.issues)}`, HINT);
}

interface Layer {
  source: string;
  values: Tree;
  /** A more precise source for a path (the environment variable behind it). */
  sourceFor?: (path: SettingPath) => string;
  overridesFile?: { reason: string };
}

function asLayer(source: string, values: unknown, extra: Partial<Layer> = {}): Layer {
  if (values === undefined || values === null) return { source, values: {}, ...extra };
  if (!isTree(values)) throw new ConfigError(`invalid configuration (${source}): must be a mapping of settings, not ${Array.isArray(values) ? 'a list' : preview(values)}`, HINT);
  checkTree(values, source);
  return { source, values, ...extra };
}

function fromEnv(env: EnvLayer): Layer {
  return {
    source: 'environment',
    values: env.values,
    sourceFor: (path) => {
      const names = variablesFor(env, path);
      return names.length ? `environment ${names.join(', ')}` : 'environment';
    },
  };
}

/**
 * Checks one layer against the schema on its own, so a bad value is reported with the layer that
 * holds it even when a later layer overrides it. Cross-field limits are left to the merged
 * settings: a layer may set one side and another layer the other.
 */
function layerProblems(layer: Layer): string[] {
  const result = configSchema.safeParse(layer.values);
  if (result.success) return [];
  const issues = result.error.issues.filter((issue) => !isCrossField(issue));
  if (!issues.length) return [];
  if (!layer.sourceFor) return [`(${layer.source}): ${describeIssues(issues)}`];
  const bySource = new Map<string, z.core.$ZodIssue[]>();
  for (const issue of issues) {
    const source = layer.sourceFor(issue.path as SettingPath);
    bySource.set(source, [...(bySource.get(source) ?? []), issue]);
  }
  return [...bySource].map(([source, list]) => `(${source}): ${describeIssues(list)}`);
}

/** Which layer the merged value at `path` came from. */
function originOf(layers: Layer[], path: SettingPath): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (getAt(layer.values, path) !== undefined) return layer.sourceFor?.(path) ?? layer.source;
  }
  return 'built-in default';
}

function crossFieldProblem(layers: Layer[], issue: z.core.$ZodIssue): string {
  const params = (issue as z.core.$ZodIssueCustom).params as CrossFieldParams;
  const paths = [issue.path as SettingPath, ...params.related];
  const origins = paths.map((p) => `${formatPath(p)} from ${originOf(layers, p)}`).join(', ');
  return `${describeIssue(issue)} (${origins})`;
}

/** Warnings for config-file values that a layer with `overridesFile` replaced in the result. */
function overrideWarnings(layers: Layer[], fileLayer: Layer | undefined, merged: Tree): ConfigWarning[] {
  if (!fileLayer) return [];
  const fileIndex = layers.indexOf(fileLayer);
  const warnings: ConfigWarning[] = [];
  for (const layer of layers.slice(fileIndex + 1)) {
    if (!layer.overridesFile) continue;
    for (const { path, value } of leaves(layer.values)) {
      const fileValue = getAt(fileLayer.values, path);
      if (fileValue === undefined || sameValue(fileValue, value)) continue;
      // Only when this layer's value is what is used; a later layer (environment, flags) may win.
      if (!sameValue(getAt(merged, path), value)) continue;
      const where = formatPath(path);
      warnings.push({
        path: where,
        fileValue,
        usedValue: value,
        source: layer.source,
        message: `${fileLayer.source} sets ${where} to ${preview(fileValue)}, but ${layer.source} uses ${preview(value)}: ${layer.overridesFile.reason}`,
      });
    }
  }
  return warnings;
}

function warnOnStderr(warning: ConfigWarning): void {
  process.stderr.write(`kiosk-voice: warning: ${warning.message}\n`);
}

/**
 * Schema defaults ← command defaults ← base layers (a model set's tuning) ← config file ←
 * layers (a model set's model files) ← environment ← flags. Every layer is checked on its own
 * (errors name the layer: file, environment variable, model set, command line), then the merged
 * settings are checked against each other (cross-field limits, naming where each side came from).
 * All problems are reported in one ConfigError, on one line.
 */
export function resolveConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const layers: Layer[] = [];
  layers.push(asLayer("the command's defaults", options.defaults));
  for (const layer of options.base ?? []) layers.push(asLayer(layer.source, layer.values, layer.overridesFile ? { overridesFile: layer.overridesFile } : {}));
  const fileLayer = options.file ? asLayer(`config file ${options.file}`, options.fileValues ?? readConfigFile(options.file)) : undefined;
  if (fileLayer) layers.push(fileLayer);
  for (const layer of options.layers ?? []) layers.push(asLayer(layer.source, layer.values, layer.overridesFile ? { overridesFile: layer.overridesFile } : {}));
  const env = envLayer(options.env ?? process.env);
  const envIndex = layers.push(fromEnv(env)) - 1;
  layers.push(asLayer('command-line options', options.flags));

  // Every layer's problems, in precedence order; a variable that could not be parsed at all is
  // reported where the environment's schema problems would be.
  const problems = layers.flatMap((layer, i) => (i === envIndex ? [...env.problems.map(describeEnvProblem), ...layerProblems(layer)] : layerProblems(layer)));
  if (problems.length) {
    const onlyEnv = env.problems.length === problems.length;
    throw new ConfigError(`invalid configuration ${problems.join('; ')}`, onlyEnv ? envHint(env.problems) : HINT);
  }

  const merged = mergeConfig(...layers.map((layer) => layer.values));
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const described = result.error.issues.slice(0, MAX_ISSUES).map((issue) => (isCrossField(issue) ? crossFieldProblem(layers, issue) : describeIssue(issue)));
    throw new ConfigError(`invalid configuration: ${described.join('; ')}`, 'change one of the two settings named so they agree; the README ("Configuration") gives the rules');
  }
  return { config: result.data, warnings: overrideWarnings(layers, fileLayer, merged) };
}

/** As resolveConfig, telling `onWarning` (default: stderr) about each file value a model set replaced. */
export function loadConfig(options: LoadConfigOptions = {}): KioskConfig {
  const { config, warnings } = resolveConfig(options);
  for (const warning of warnings) (options.onWarning ?? warnOnStderr)(warning);
  return config;
}

