import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UsedModelFile } from './usedModelFiles.js';

/** A model directory (espeak-ng data, pocketsphinx's acoustic model) is summed up to this many entries. */
const MAX_DIR_ENTRIES = 5000;

/**
 * Bytes the model files take on disk (a directory: what is in it). Missing files count as 0 and
 * executables are not models. This is what the engines read at start, so it is also the floor of
 * the memory they need.
 */
export function modelBytes(files: readonly UsedModelFile[]): number {
  let total = 0;
  const seen = new Set<string>();
  for (const file of files) {
    if (file.kind === 'executable' || seen.has(file.path)) continue;
    seen.add(file.path);
    total += sizeOf(file.path, { left: MAX_DIR_ENTRIES });
  }
  return total;
}

function sizeOf(path: string, budget: { left: number }): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (budget.left-- <= 0) break;
    total += sizeOf(join(path, name), budget);
  }
  return total;
}

/** `3.4 MB`, `1.2 GB`: decimal units, as model downloads are quoted. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}
