import { ConfigError } from './ConfigError.js';

/** A mapping of settings as read from a file, the environment or a model set. */
export type Tree = Record<string, unknown>;
export type SettingPath = readonly (string | number)[];

/**
 * Keys that are never settings and that would change how settings merge (`__proto__` swaps the
 * merged object's prototype, a hidden extra layer). Refused wherever a config is read or merged.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** No setting is nested deeper than a handful of levels; anything deeper is refused before merging. */
export const MAX_DEPTH = 32;

export function isTree(value: unknown): value is Tree {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `audio.capture.device`, `dialog.rules[0].match`; `(top level)` for the empty path. */
export function formatPath(path: SettingPath): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

const forbiddenKeyError = (source: string, path: SettingPath, key: string) =>
  new ConfigError(
    `${source}: "${key}" at ${formatPath([...path, key])} is not a setting and is refused (it would change how settings merge)`,
    `remove the "${key}" key; __proto__, constructor and prototype are never setting names`,
  );

/**
 * Refuses what must never reach a merge: `__proto__`/`constructor`/`prototype` keys, a value
 * that contains itself (a cyclic YAML alias) and nesting deeper than MAX_DEPTH. The error names
 * `source` and the path.
 */
export function checkTree(value: unknown, source: string): void {
  const ancestors = new Set<object>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (typeof node !== 'object' || node === null) return;
    if (ancestors.has(node)) {
      throw new ConfigError(
        `${source}: ${formatPath(path)} contains itself (a cyclic YAML alias)`,
        'an alias (*name) may only repeat a node defined outside it; copy the settings instead',
      );
    }
    if (path.length >= MAX_DEPTH) {
      throw new ConfigError(`${source}: ${formatPath(path)} is nested more than ${MAX_DEPTH} levels deep`, 'no setting is nested that deeply; see the README, "Configuration"');
    }
    ancestors.add(node);
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
    } else {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key)) throw forbiddenKeyError(source, path, key);
        walk((node as Tree)[key], [...path, key]);
      }
    }
    ancestors.delete(node);
  };
  walk(value, []);
}

/**
 * Later layers win; objects merge key by key, everything else (arrays included) is replaced.
 * The result is a fresh tree: no layer is modified, and a forbidden key is refused rather than
 * assigned (assigning `__proto__` would replace the result's prototype).
 */
export function mergeConfig(...layers: unknown[]): Tree {
  const out: Tree = {};
  for (const layer of layers) {
    if (!isTree(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (FORBIDDEN_KEYS.has(key)) throw forbiddenKeyError('configuration', [], key);
      const current = Object.hasOwn(out, key) ? out[key] : undefined;
      out[key] = isTree(value) ? mergeConfig(isTree(current) ? current : {}, value) : value;
    }
  }
  return out;
}

/** The value at `path`, or undefined; only own keys are followed. */
export function getAt(tree: unknown, path: SettingPath): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isTree(node) && typeof key === 'string' && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Every leaf (a value that is not a mapping) with its path; arrays are leaves. */
export function leaves(tree: unknown, path: string[] = []): { path: string[]; value: unknown }[] {
  if (!isTree(tree)) return path.length ? [{ path, value: tree }] : [];
  return Object.entries(tree).flatMap(([key, value]) => leaves(value, [...path, key]));
}

/** Structural equality for settings (plain data only). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isTree(a) && isTree(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}

