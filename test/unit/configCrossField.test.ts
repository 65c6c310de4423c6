import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRuntimeConfig } from '../../src/cli/resolveRuntimeConfig.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { configSchema, maxReplyTokens, minContextSize } from '../../src/config/schema.js';
import { configErrorLine } from '../helpers/configErrorLine.js';

// Issue 7, defects 7 and 2: settings that are each valid but contradict one another were accepted
// (a deaf daemon; an LLM reply that overflows its context aborts the native process).

const dir = mkdtempSync(join(tmpdir(), 'kv-config-xf-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}


describe('cross-field limits', () => {
  it.each([
    ['vad:\n  minSpeechSeconds: 3\n  maxSpeechSeconds: 1\n', 'vad.minSpeechSeconds: 3 must be below vad.maxSpeechSeconds (1)'],
    ['chunker:\n  firstPhraseMinWords: 12\n  firstPhraseMaxWords: 5\n', 'chunker.firstPhraseMinWords: 12 must not be more than chunker.firstPhraseMaxWords (5)'],
    ['audio:\n  capture:\n    reopenDelayMs: 8000\n    maxReopenDelayMs: 1000\n', 'audio.capture.reopenDelayMs: 8000 must not be more than audio.capture.maxReopenDelayMs (1000)'],
    ['hw:\n  gpio:\n    button:\n      holdMs: 1500\n      longPressMs: 1500\n', 'hw.gpio.button.holdMs: 1500 must be below hw.gpio.button.longPressMs (1500)'],
    ['llm:\n  maxTokens: 2048\n', 'llm.maxTokens: 2048 does not fit llm.contextSize (2048)'],
    ['llm:\n  contextSize: 256\n  maxTokens: 200\n', 'llm.maxTokens: 200 does not fit llm.contextSize (256)'],
  ])('refuses %j in one line naming both settings and where they came from', (text, problem) => {
    const path = file(text);
    const line = configErrorLine(() => loadConfig({ file: path, env: {} }));
    expect(line).toContain(problem);
    expect(line).toContain(`from config file ${path}`);
  });

  it('names the layer each side came from: file, environment, model set, default', () => {
    const path = file('vad:\n  minSpeechSeconds: 2.5\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: { KIOSK_VOICE__VAD__MAX_SPEECH_SECONDS: '2' } }));
    expect(line).toContain(`(vad.minSpeechSeconds from config file ${path}, vad.maxSpeechSeconds from environment KIOSK_VOICE__VAD__MAX_SPEECH_SECONDS)`);

    const def = configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__VAD__MIN_SPEECH_SECONDS: '3', KIOSK_VOICE__VAD__MAX_SPEECH_SECONDS: '3' } }));
    expect(def).toMatch(/^invalid configuration: vad\.minSpeechSeconds: 3 must be below/);

    const withDefault = configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__HW__GPIO__BUTTON__LONG_PRESS_MS: '1000', KIOSK_VOICE__HW__GPIO__BUTTON__HOLD_MS: '1200' } }));
    expect(withDefault).toContain('hw.gpio.button.holdMs: 1200 must be below hw.gpio.button.longPressMs (1000)');
  });

  it('llm.maxTokens 500 with --models test (contextSize 1024) is refused before anything loads', () => {
    const path = file('llm:\n  maxTokens: 500\n');
    const line = configErrorLine(() => resolveRuntimeConfig({ config: path, models: 'test', env: {} }));
    expect(line).toContain('llm.maxTokens: 500 does not fit llm.contextSize (1024): a reply may use at most 345 tokens there');
    expect(line).toContain('raise llm.contextSize to at least 1410');
    expect(line).toContain(`llm.maxTokens from config file ${path}, llm.contextSize from model set "test" (engine tuning)`);
  });

  it('accepts what fits: 300 tokens in 1024, the defaults, and a limit raised by another layer', () => {
    const path = file('llm:\n  maxTokens: 300\n');
    expect(resolveRuntimeConfig({ config: path, models: 'test', env: {} }).config.llm.maxTokens).toBe(300);
    expect(loadConfig({ env: {} }).llm.maxTokens).toBe(96);
    // One layer sets maxTokens, another the context that makes room for it: checked once merged.
    const big = file('llm:\n  maxTokens: 1500\n');
    expect(loadConfig({ file: big, env: { KIOSK_VOICE__LLM__CONTEXT_SIZE: '8192' } }).llm.maxTokens).toBe(1500);
  });

  it('the rule is in the schema, so every entry point gets it', () => {
    const result = configSchema.safeParse({ vad: { minSpeechSeconds: 3, maxSpeechSeconds: 1 }, llm: { contextSize: 256 } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['llm.maxTokens', 'vad.minSpeechSeconds']);
  });

  it('maxReplyTokens and minContextSize agree', () => {
    expect(maxReplyTokens(2048)).toBe(755);
    expect(maxReplyTokens(1024)).toBe(345);
    expect(maxReplyTokens(256)).toBe(38);
    for (let tokens = 1; tokens <= 2048; tokens += 7) {
      const size = minContextSize(tokens);
      expect(maxReplyTokens(size)).toBeGreaterThanOrEqual(tokens);
      expect(maxReplyTokens(size - 1)).toBeLessThan(tokens);
    }
  });
});
