import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRuntimeConfig } from '../../src/cli/resolveRuntimeConfig.js';
import { loadConfig, type ConfigWarning } from '../../src/config/loadConfig.js';
import { configErrorLine } from '../helpers/configErrorLine.js';

// Issue 7, defect 6: with --models, config-file values for what the model set defines were never
// validated and silently dropped.

const dir = mkdtempSync(join(tmpdir(), 'kv-config-set-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

function run(models: string, text: string, env: NodeJS.ProcessEnv = {}) {
  const warnings: ConfigWarning[] = [];
  const path = file(text);
  const result = resolveRuntimeConfig({ config: path, models, env, onWarning: (w) => warnings.push(w) });
  return { ...result, warnings, path };
}


describe('--models with a config file', () => {
  it.each([
    ['llm:\n  threads: two\n', /llm\.threads: expected number, received string/],
    ['llm:\n  threads: 0\n', /llm\.threads: Too small/],
    ['llm:\n  threads: 1e9\n', /llm\.threads: Too big/],
    ['asr:\n  backend: whisper\n', /asr\.backend: Invalid option/],
    ['vad: fast\n', /vad: expected object, received string/],
  ])('validates a file value the model set also defines: %j', (text, problem) => {
    const path = file(text);
    const line = configErrorLine(() => resolveRuntimeConfig({ config: path, models: 'test', env: {} }));
    expect(line).toMatch(problem);
    expect(line).toContain(`(config file ${path})`);
  });

  it('reports a bad file value with its source even when the environment overrides it', () => {
    const path = file('llm:\n  threads: two\n');
    const line = configErrorLine(() => resolveRuntimeConfig({ config: path, models: 'test', env: { KIOSK_VOICE__LLM__THREADS: '2' } }));
    expect(line).toContain(`(config file ${path}): llm.threads`);
  });

  it("the owner's engine tuning wins over the model set's (llm.threads from the README example)", () => {
    const { config, warnings } = run('pi5', 'llm:\n  threads: 3\nasr:\n  sherpaOnline:\n    threads: 1\n');
    expect(config.llm.threads).toBe(3); // pi5 says 4
    expect(config.asr.sherpaOnline.threads).toBe(1); // pi5 says 2
    expect(config.llm.model).toBe('llm/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf');
    expect(warnings).toEqual([]);
  });

  it("the model set's tuning still applies where the file says nothing", () => {
    const { config } = run('pi5', 'vad:\n  threshold: 0.6\n');
    expect(config.llm.threads).toBe(4);
    expect(config.vad.threshold).toBe(0.6);
  });

  it('the model set picks the models, and says so for each file value it replaces', () => {
    const { config, warnings, path } = run('test', 'asr:\n  backend: sherpa-online\ntts:\n  backend: sherpa\nllm:\n  model: llm/mine.gguf\n  threads: 2\n');
    expect(config.asr.backend).toBe('pocketsphinx');
    expect(config.tts.backend).toBe('espeak-ng');
    expect(config.llm.model).toBe('llm/stories260K.gguf');
    expect(config.llm.threads).toBe(2);
    expect(warnings.map((w) => w.path).sort()).toEqual(['asr.backend', 'llm.model', 'tts.backend']);
    const asr = warnings.find((w) => w.path === 'asr.backend')!;
    expect(asr.message).toBe(
      `config file ${path} sets asr.backend to "sherpa-online", but model set "test" uses "pocketsphinx": ` +
        'the model set decides which models run, so the file value is not used (run without --models to choose models in the file)',
    );
    expect(asr.message).not.toContain('\n');
  });

  it('a file value equal to the model set is no warning (the README example with --models pi5)', () => {
    const { warnings, config } = run('pi5', 'asr:\n  backend: sherpa-online\nllm:\n  threads: 4\ntts:\n  backend: sherpa\n');
    expect(warnings).toEqual([]);
    expect(config.tts.backend).toBe('sherpa');
  });

  it('no warning when the environment, not the model set, decides the value', () => {
    const { warnings, config } = run('test', 'llm:\n  model: llm/mine.gguf\n', { KIOSK_VOICE__LLM__MODEL: 'llm/env.gguf' });
    expect(config.llm.model).toBe('llm/env.gguf');
    expect(warnings).toEqual([]);
  });

  it('without --models the file decides everything', () => {
    const path = file('asr:\n  backend: sherpa-online\nllm:\n  threads: 3\n');
    const { config, warnings } = resolveRuntimeConfig({ config: path, env: {}, onWarning: () => undefined });
    expect(config.asr.backend).toBe('sherpa-online');
    expect(config.llm.threads).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('a bad value in a model set layer is reported naming the model set', () => {
    const line = configErrorLine(() => loadConfig({ env: {}, base: [{ source: 'model set "x" (engine tuning)', values: { llm: { threads: 99 } } }] }));
    expect(line).toMatch(/^invalid configuration \(model set "x" \(engine tuning\)\): llm\.threads: Too big/);
  });

  it('loadConfig reports a replaced file value on stderr unless told otherwise', () => {
    const path = file('llm:\n  model: llm/mine.gguf\n');
    const seen: ConfigWarning[] = [];
    const config = loadConfig({
      file: path,
      env: {},
      layers: [{ source: 'model set "t"', values: { llm: { model: 'llm/set.gguf' } }, overridesFile: { reason: 'the set picks the models' } }],
      onWarning: (w) => seen.push(w),
    });
    expect(config.llm.model).toBe('llm/set.gguf');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: 'llm.model', fileValue: 'llm/mine.gguf', usedValue: 'llm/set.gguf', source: 'model set "t"' });
  });
});
