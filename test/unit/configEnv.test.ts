import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, loadConfig } from '../../src/config/loadConfig.js';
import { configErrorLine } from '../helpers/configErrorLine.js';

// Issue 7, defect 8: environment values were parsed as YAML and altered ('kiosk mic #2' lost its
// '#2', 'Rule: be brief' became an object, a PCM named `null` was refused).


describe('environment overrides are parsed by the type the schema expects', () => {
  it('string settings keep the exact text', () => {
    const config = loadConfig({
      env: {
        KIOSK_VOICE__AUDIO__CAPTURE__DEVICE: 'kiosk mic #2',
        KIOSK_VOICE__AUDIO__PLAYBACK__DEVICE: 'null',
        KIOSK_VOICE__LLM__SYSTEM_PROMPT: 'Rule: be brief',
        KIOSK_VOICE__TURN__ACKNOWLEDGEMENT: '  [one] moment, {please} & ~ ',
        KIOSK_VOICE__TTS__ESPEAK__VOICE: '123',
      },
    });
    expect(config.audio.capture.device).toBe('kiosk mic #2');
    expect(config.audio.playback.device).toBe('null');
    expect(config.llm.systemPrompt).toBe('Rule: be brief');
    expect(config.turn.acknowledgement).toBe('  [one] moment, {please} & ~ ');
    expect(config.tts.espeak.voice).toBe('123');
  });

  it('numbers, booleans, enums, lists and mappings are parsed strictly', () => {
    expect(
      configFromEnv({
        KIOSK_VOICE__LLM__THREADS: '3',
        KIOSK_VOICE__VAD__THRESHOLD: ' 0.45 ',
        KIOSK_VOICE__LLM__PRELOAD_PARTIALS: 'false',
        KIOSK_VOICE__AUDIO__FULL_DUPLEX: 'TRUE',
        KIOSK_VOICE__LOG_LEVEL: 'debug',
        KIOSK_VOICE__AUDIO__CAPTURE__USE_CHANNELS: '[0, 2]',
        KIOSK_VOICE__TTS__SHERPA__FILES__DATA_DIR: 'tts/espeak-ng-data',
        KIOSK_VOICE__HW__GPIO__BUTTON__PIN: '17',
      }),
    ).toEqual({
      llm: { threads: 3, preloadPartials: false },
      vad: { threshold: 0.45 },
      audio: { fullDuplex: true, capture: { useChannels: [0, 2] } },
      logLevel: 'debug',
      tts: { sherpa: { files: { dataDir: 'tts/espeak-ng-data' } } },
      hw: { gpio: { button: { pin: 17 } } },
    });
    const rules = loadConfig({ env: { KIOSK_VOICE__DIALOG__RULES: '[{"match": ["parking"], "reply": "Parking is behind the building."}]' } }).dialog.rules;
    expect(rules).toEqual([{ match: ['parking'], reply: 'Parking is behind the building.' }]);
  });

  it.each([
    ['KIOSK_VOICE__LLM__THREADS', 'two', 'llm.threads: expected a number, got "two"'],
    ['KIOSK_VOICE__LLM__THREADS', '0x10', 'llm.threads: expected a number, got "0x10"'],
    ['KIOSK_VOICE__LLM__THREADS', '', 'llm.threads: expected a number, got ""'],
    ['KIOSK_VOICE__LLM__PRELOAD_PARTIALS', 'yes', 'llm.preloadPartials: expected true or false, got "yes"'],
    ['KIOSK_VOICE__AUDIO__CAPTURE__USE_CHANNELS', '0,1', 'audio.capture.useChannels: expected a JSON list'],
    ['KIOSK_VOICE__LLM__THREDS', '2', 'llm.threds is not a setting'],
    ['KIOSK_VOICE__LLM__CONSTRUCTOR', '2', '"constructor" is not a setting and is refused'],
    ['KIOSK_VOICE__DIALOG', '{"__proto__": {"fallbackReply": "x"}}', '"__proto__" at __proto__ is not a setting'],
  ])('%s=%j is one line naming the variable', (name, value, problem) => {
    const line = configErrorLine(() => loadConfig({ env: { [name]: value } }));
    expect(line).toContain(`environment ${name}`);
    expect(line).toContain(problem);
  });

  it("every layer's problems are reported together, each with its source", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-config-env-'));
    const path = join(dir, 'kiosk.yaml');
    writeFileSync(path, 'vad:\n  threshold: 2\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: { KIOSK_VOICE__LLM__THREADS: 'many', KIOSK_VOICE__VAD__THRESHOLD: '0.5' } }));
    expect(line).toBe(
      `invalid configuration (config file ${path}): vad.threshold: Too big: expected number to be <1; ` +
        '(environment KIOSK_VOICE__LLM__THREADS): llm.threads: expected a number, got "many" — ' +
        'fix the value(s) named; `kiosk-voice --help` and the README list every setting',
    );
  });

  it('a value the schema refuses names the variable that set it', () => {
    const line = configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__VAD__THRESHOLD: '7', KIOSK_VOICE__LLM__THREADS: '2' } }));
    expect(line).toMatch(/^invalid configuration \(environment KIOSK_VOICE__VAD__THRESHOLD\): vad\.threshold: Too big/);
    expect(line).not.toContain('KIOSK_VOICE__LLM__THREADS');
  });
});
