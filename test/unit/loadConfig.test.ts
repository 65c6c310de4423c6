import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/ConfigError.js';
import { configFromEnv, loadConfig } from '../../src/config/loadConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives every default with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.vad.threshold).toBe(0.5);
    expect(config.asr.backend).toBe('pocketsphinx');
    expect(config.llm.threads).toBe(2);
    expect(config.dialog.rules).toEqual([]);
    expect(config.site.name).toBe('the front desk');
  });

  it('layers base (model set tuning) < file < layers (model set files) < environment < flags', () => {
    const path = file('a.yaml', 'llm:\n  threads: 3\n  maxTokens: 40\nvad:\n  threshold: 0.6\n');
    const config = loadConfig({
      base: [{ source: 'model set "x" (engine tuning)', values: { llm: { threads: 4, contextSize: 1024 } } }],
      file: path,
      layers: [{ source: 'model set "x"', values: { llm: { model: 'llm/x.gguf', maxTokens: 50 } } }],
      env: { KIOSK_VOICE__LLM__MAX_TOKENS: '60', KIOSK_VOICE__VAD__MIN_SILENCE_SECONDS: '0.3', OTHER: 'x' },
      flags: { llm: { maxTokens: 70 } },
    });
    expect(config.llm.threads).toBe(3);
    expect(config.llm.contextSize).toBe(1024);
    expect(config.llm.model).toBe('llm/x.gguf');
    expect(config.llm.maxTokens).toBe(70);
    expect(config.vad.threshold).toBe(0.6);
    expect(config.vad.minSilenceSeconds).toBe(0.3);
  });

  it('reads JSON files too', () => {
    const config = loadConfig({ file: file('b.json', '{"tts": {"espeak": {"voice": "en-gb"}}}'), env: {} });
    expect(config.tts.espeak.voice).toBe('en-gb');
  });

  it('parses environment values by the type the schema declares', () => {
    expect(configFromEnv({ KIOSK_VOICE__LLM__PRELOAD_PARTIALS: 'false', KIOSK_VOICE__LOG_LEVEL: 'debug' })).toEqual({
      llm: { preloadPartials: false },
      logLevel: 'debug',
    });
  });

  it('reports each bad value on one line as path: problem, allowed', () => {
    const path = file('bad.yaml', 'vad:\n  threshold: 2\n  bogus: 1\nasr:\n  backend: whisper-cloud\n');
    let error: unknown;
    try {
      loadConfig({ file: path, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const line = (error as ConfigError).toUserLine();
    expect(line).not.toContain('\n');
    expect(line).toContain('vad.threshold: Too big: expected number to be <1');
    expect(line).toContain('vad: unknown setting "bogus"');
    expect(line).toContain('asr.backend: Invalid option: expected one of "pocketsphinx"|"sherpa-online"|"sherpa-offline"');
    expect(line).toContain(path);
  });

  it('names a missing file, a syntax error and a non-mapping', () => {
    expect(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} })).toThrow(/does not exist/);
    expect(() => loadConfig({ file: file('syntax.yaml', 'vad: [1, 2\n'), env: {} })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n'), env: {} })).toThrow(/must hold a mapping/);
  });

  it('blames the environment when an override is bad', () => {
    expect(() => loadConfig({ env: { KIOSK_VOICE__LLM__THREADS: 'many' } })).toThrow(/environment.*llm\.threads/);
  });
});
