import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level folders of src/ that a file imports from (relative imports only). */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const folders = new Set<string>();
  for (const match of text.matchAll(/from '(\.[^']+)'/g)) {
    const target = relative(src, resolve(join(file, '..'), match[1]!));
    folders.add(target.split('/')[0]!);
  }
  return [...folders];
}

/**
 * The layering DESIGN.md asks for: the turn logic knows nothing of workers, GPIO, telemetry or the
 * app that wires it; hardware only talks to the controller through its events and calls.
 */
describe('import rules', () => {
  const forbidden: Record<string, string[]> = {
    turn: ['workers', 'hw', 'telemetry', 'app', 'cli'],
    hw: ['workers', 'app', 'cli', 'engines'],
    workers: ['app', 'cli', 'hw'],
    engines: ['turn', 'workers', 'app', 'cli', 'hw'],
    audio: ['turn', 'workers', 'app', 'cli', 'hw'],
  };
  it('reads the imports it checks', () => {
    expect(importedFolders(join(src, 'turn/TurnController.ts'))).toEqual(expect.arrayContaining(['audio', 'config', 'turn']));
  });
  for (const [folder, banned] of Object.entries(forbidden)) {
    it(`src/${folder} imports none of ${banned.join(', ')}`, () => {
      const offenders = sources(join(src, folder)).flatMap((file) =>
        importedFolders(file)
          .filter((f) => banned.includes(f))
          .map((f) => `${relative(src, file)} → ${f}`),
      );
      expect(offenders).toEqual([]);
    });
  }
});
