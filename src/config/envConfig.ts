import type { z } from 'zod';
import { preview } from './ConfigError.js';
import { configSchema } from './schema.js';
import { checkTree, FORBIDDEN_KEYS, formatPath, isTree, type SettingPath, type Tree } from './tree.js';

/** Environment variables with this prefix override settings: `KIOSK_VOICE__LLM__THREADS=2`. */
export const ENV_PREFIX = 'KIOSK_VOICE__';

/** No setting needs more than this; a longer value is refused before it is parsed. */
export const MAX_ENV_VALUE_LENGTH = 64 * 1024;

type Schema = z.core.$ZodType;
type Def = { type: string; innerType?: Schema; in?: Schema; shape?: Record<string, Schema>; valueType?: Schema; getter?: () => Schema };

const defOf = (schema: Schema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Looks through defaults, optionals and pipes to the type that parses the value. */
function unwrap(schema: Schema): Schema {
  for (let i = 0; i < 32; i++) {
    const def = defOf(schema);
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'nonoptional', 'readonly', 'catch'].includes(def.type)) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.type === 'lazy' && def.getter) schema = def.getter();
    else break;
  }
  return schema;
}

/** The schema of the setting at `path`, or undefined when there is no such setting. */
export function schemaAt(path: readonly string[], root: Schema = configSchema): Schema | undefined {
  let schema = unwrap(root);
  for (const key of path) {
    const def = defOf(schema);
    if (def.type === 'object' && def.shape) {
      if (!Object.hasOwn(def.shape, key)) return undefined;
      schema = unwrap(def.shape[key]!);
    } else if (def.type === 'record' && def.valueType) {
      schema = unwrap(def.valueType);
    } else {
      return undefined;
    }
  }
  return schema;
}

/** The kind of value a setting takes, as far as turning an environment string into it goes. */
export type EnvValueKind = 'string' | 'number' | 'boolean' | 'json-array' | 'json-object';

export function envValueKind(schema: Schema): EnvValueKind {
  switch (defOf(unwrap(schema)).type) {
    case 'number':
    case 'int':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
    case 'tuple':
      return 'json-array';
    case 'object':
    case 'record':
      return 'json-object';
    default:
      // string, enum, literal: the value is the variable's text, exactly.
      return 'string';
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A variable that could not be turned into a setting. */
export class EnvValueError extends Error {}

/**
 * Turns one variable's text into the type the schema wants at its path. Strings (device names,
 * prompts, enum values) are taken verbatim — no YAML, so `#`, `:` and `null` stay what they are.
 * Numbers and booleans are parsed strictly; lists and mappings are JSON. Throws EnvValueError
 * saying what was expected.
 */
export function parseEnvValue(name: string, path: readonly string[], raw: string, kind: EnvValueKind): unknown {
  const fail = (expected: string) => new EnvValueError(`${formatPath(path)}: expected ${expected}, got ${preview(raw)}`);
  switch (kind) {
    case 'string':
      return raw;
    case 'number': {
      const text = raw.trim();
      if (!NUMBER.test(text)) throw fail('a number');
      const value = Number(text);
      if (!Number.isFinite(value)) throw fail('a finite number');
      return value;
    }
    case 'boolean': {
      const text = raw.trim().toLowerCase();
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw fail('true or false');
    }
    case 'json-array':
    case 'json-object': {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw fail(kind === 'json-array' ? 'a JSON list such as [0, 1] or ["a", "b"]' : 'a JSON object such as {"key": "value"}');
      }
      if (kind === 'json-array' ? !Array.isArray(value) : !isTree(value)) throw fail(kind === 'json-array' ? 'a JSON list' : 'a JSON object');
      try {
        checkTree(value, `environment ${name}`);
      } catch (error) {
        throw new EnvValueError((error as Error).message.replace(`environment ${name}: `, ''));
      }
      return value;
    }
  }
}

const snakeToCamel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export interface EnvLayer {
  values: Tree;
  /** The variable behind each setting it sets, for messages. */
  variables: { name: string; path: string[] }[];
  /** Variables that could not be used: unknown setting, forbidden key, value of the wrong type. */
  problems: { name: string; problem: string }[];
}

/**
 * `KIOSK_VOICE__VAD__MIN_SILENCE_SECONDS=0.3` → `{ vad: { minSilenceSeconds: 0.3 } }`, each value
 * parsed by the type the schema declares at its path. A variable for an unknown path, with a
 * forbidden key or with a value of the wrong type is left out and listed in `problems`.
 */
export function envLayer(env: NodeJS.ProcessEnv): EnvLayer {
  const found: { name: string; path: string[]; raw: string }[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
    if (path.length === 0) continue;
    found.push({ name, path, raw });
  }
  // A variable for a whole section first, so one for a single setting inside it wins.
  found.sort((a, b) => a.path.length - b.path.length || (a.name < b.name ? -1 : 1));

  const values: Tree = {};
  const variables: EnvLayer['variables'] = [];
  const problems: EnvLayer['problems'] = [];
  const seen = new Map<string, string>();
  for (const { name, path, raw } of found) {
    const bad = path.find((key) => FORBIDDEN_KEYS.has(key));
    if (bad) {
      problems.push({ name, problem: `"${bad}" is not a setting and is refused` });
      continue;
    }
    const dotted = formatPath(path);
    const other = seen.get(dotted);
    if (other) {
      problems.push({ name, problem: `${dotted} is already set by ${other}` });
      continue;
    }
    seen.set(dotted, name);
    const schema = schemaAt(path);
    if (!schema) {
      problems.push({ name, problem: `${dotted} is not a setting` });
      continue;
    }
    if (raw.length > MAX_ENV_VALUE_LENGTH) {
      problems.push({ name, problem: `${dotted}: the value is ${raw.length} characters; at most ${MAX_ENV_VALUE_LENGTH} are read` });
      continue;
    }
    let value: unknown;
    try {
      value = parseEnvValue(name, path, raw, envValueKind(schema));
    } catch (error) {
      if (!(error instanceof EnvValueError)) throw error;
      problems.push({ name, problem: error.message });
      continue;
    }
    let node = values;
    for (const key of path.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      node = (node[key] = isTree(next) ? next : {}) as Tree;
    }
    node[path[path.length - 1]!] = value;
    variables.push({ name, path });
  }
  return { values, variables, problems };
}

/** One line for a variable that could not be used. */
export function describeEnvProblem({ name, problem }: EnvLayer['problems'][number]): string {
  return `(environment ${name}): ${problem}`;
}

/** Hint for problems that all come from the environment. */
export function envHint(problems: EnvLayer['problems']): string {
  const names = [...new Set(problems.map((p) => p.name))];
  return `fix or unset ${names.join(', ')}; the README ("Configuration") and src/config/schema.ts list every setting`;
}

/** The variable(s) behind a setting path (or a path inside what a variable sets). */
export function variablesFor(layer: EnvLayer, path: SettingPath): string[] {
  const keys = path.map(String);
  const prefix = (a: readonly string[], b: readonly string[]) => a.length <= b.length && a.every((k, i) => k === b[i]);
  const exact = layer.variables.filter((v) => prefix(v.path, keys));
  if (exact.length) return [exact[exact.length - 1]!.name];
  return layer.variables.filter((v) => prefix(keys, v.path)).map((v) => v.name);
}
