import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './ConfigError.js';
import { configSchema, type KioskConfig, type KioskConfigInput } from './schema.js';

/** Environment variables with this prefix override settings: `KIOSK_VOICE__LLM__THREADS=2`. */
export const ENV_PREFIX = 'KIOSK_VOICE__';

export interface LoadConfigOptions {
  /** The command's own defaults, under everything else (e.g. a quieter log for the demo). */
  defaults?: KioskConfigInput;
  /** A YAML or JSON file (JSON is YAML). */
  file?: string | undefined;
  /** Layers applied in order after the file and before the environment, e.g. a model set. */
  layers?: KioskConfigInput[];
  /** Applied last: explicit command-line flags. */
  flags?: KioskConfigInput;
  env?: NodeJS.ProcessEnv;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Later layers win; objects merge key by key, everything else (arrays included) is replaced. */
export function mergeConfig(...layers: unknown[]): Tree {
  const out: Tree = {};
  for (const layer of layers) {
    if (!isTree(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key];
      out[key] = isTree(value) && isTree(current) ? mergeConfig(current, value) : isTree(value) ? mergeConfig(value) : value;
    }
  }
  return out;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError(`config file ${file} ${reason}`, 'check the path given to --config');
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const firstLine = String((error as Error).message).split('\n')[0];
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${firstLine}`, 'fix the syntax at the line named');
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`config file ${file} must hold a mapping of settings, not a ${typeof parsed}`, 'see the README, "Configuration"');
  return parsed;
}

const snakeToCamel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `KIOSK_VOICE__VAD__MIN_SILENCE_SECONDS=0.3` → `{ vad: { minSilenceSeconds: 0.3 } }`. */
export function configFromEnv(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
    if (path.length === 0) continue;
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    let node = out;
    for (const key of path.slice(0, -1)) node = (node[key] = isTree(node[key]) ? node[key] : {}) as Tree;
    node[path[path.length - 1]!] = value;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** Validates merged settings; a bad value is reported as `path: what is wrong, what is allowed`. */
export function parseConfig(input: unknown, source = 'configuration'): KioskConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue).join('; ');
  throw new ConfigError(`invalid ${source}: ${problems}`, 'fix the value(s) named; `kiosk-voice --help` and the README list every setting');
}

/** Schema defaults ← command defaults ← file ← layers (model set) ← environment ← flags, validated once. */
export function loadConfig(options: LoadConfigOptions = {}): KioskConfig {
  const fromFile = options.file ? readConfigFile(options.file) : {};
  const fromEnv = configFromEnv(options.env ?? process.env);
  const merged = mergeConfig(options.defaults ?? {}, fromFile, ...(options.layers ?? []), fromEnv, options.flags ?? {});
  const sources = [options.file && `config file ${options.file}`, Object.keys(fromEnv).length && `${ENV_PREFIX}* environment`]
    .filter(Boolean)
    .join(' + ');
  return parseConfig(merged, sources ? `configuration (${sources})` : 'configuration');
}
