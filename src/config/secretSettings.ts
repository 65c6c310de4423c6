import { getAt, isTree, type SettingPath, type Tree } from './tree.js';

/**
 * Settings whose values are secrets: never logged, published or answered (get_config, set_config's
 * list of changes, the audit trail). Add a path here when a schema gains a secret.
 */
export const SECRET_SETTINGS: readonly (readonly string[])[] = [
  ['mqtt', 'password'],
  ['site', 'wifi', 'password'],
];

/** What a secret is shown as. */
export const REDACTED = '<redacted>';

const isPrefix = (a: SettingPath, b: SettingPath) => a.length <= b.length && a.every((key, i) => key === b[i]);

/**
 * True when the value at `path` is a secret or holds one (`site.wifi` holds the Wi-Fi password), so
 * showing it whole would show the secret.
 */
export function touchesSecret(path: SettingPath): boolean {
  return SECRET_SETTINGS.some((secret) => isPrefix(secret, path) || isPrefix(path, secret));
}

/** A deep copy of `config` with every secret that is set replaced by REDACTED. */
export function redactConfig(config: Tree): Tree {
  const copy = structuredClone(config);
  for (const secret of SECRET_SETTINGS) {
    const parent = getAt(copy, secret.slice(0, -1));
    const key = secret[secret.length - 1]!;
    if (isTree(parent) && Object.hasOwn(parent, key) && parent[key] !== undefined) parent[key] = REDACTED;
  }
  return copy;
}
