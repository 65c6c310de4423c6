import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoConfigFileError, planConfigChange } from '../../src/config/ConfigFileEditor.js';
import { loadConfig, resolveConfig } from '../../src/config/loadConfig.js';
import { readConfigFile } from '../../src/config/readConfigFile.js';
import type { KioskConfig } from '../../src/config/schema.js';
import { REDACTED, redactConfig } from '../../src/config/secretSettings.js';
import type { Tree } from '../../src/config/tree.js';
import { configErrorLine } from '../helpers/configErrorLine.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { thrown } from '../helpers/thrown.js';

// Issue 9, set_config: a partial config checked against the schema, persisted to the config file
// with its comments, rolled back on failure; secrets never shown.

const SETTINGS = `# Lobby kiosk, managed by the front-desk team
logLevel: info # quiet unless something breaks
audio:
  playback:
    # the lobby speaker is loud
    volume: 1
turn:
  wake:
    threshold: 0.3 # tuned in March
site:
  name: Lobby
  wifi:
    network: Guest
    password: hunter2
`;

const tempDir = useTempDirs('kv-config-edit-');

/** The caller's full resolution, with the file's tree as the only layer and no environment. */
const resolve = (tree: Tree): KioskConfig => resolveConfig({ defaults: tree, env: {} }).config;

function setUp(text = SETTINGS) {
  const file = join(tempDir(), 'kiosk.yaml');
  writeFileSync(file, text);
  const current = resolve(readConfigFile(file));
  return { file, current, plan: (patch: unknown) => planConfigChange({ file, patch, current, resolve }) };
}

describe('planConfigChange', () => {
  it('lists a valid change, writes it on commit with every comment kept, and reading the file gives the new value', () => {
    const { file, plan } = setUp();
    const change = plan({ audio: { playback: { volume: 0.5 } } });
    expect(change.changes).toEqual([{ path: 'audio.playback.volume', from: 1, to: 0.5 }]);
    expect(change.next.audio.playback.volume).toBe(0.5);
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS); // nothing written before commit

    change.commit();
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS.replace('    volume: 1\n', '    volume: 0.5\n'));
    expect(loadConfig({ file, env: {} }).audio.playback.volume).toBe(0.5);
    expect(readdirSync(join(file, '..'))).toEqual(['kiosk.yaml']); // no temporary file left behind
  });

  it('adds a setting the file does not have yet, in a new section', () => {
    const { file, plan } = setUp();
    const change = plan({ mqtt: { publishTranscripts: true }, turn: { wake: { score: 2 } } });
    expect(change.changes).toEqual([
      { path: 'mqtt.publishTranscripts', from: false, to: true },
      { path: 'turn.wake.score', from: 1.5, to: 2 },
    ]);
    change.commit();
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('    threshold: 0.3 # tuned in March\n    score: 2\n');
    expect(text.endsWith('mqtt:\n  publishTranscripts: true\n')).toBe(true);
    const config = loadConfig({ file, env: {} });
    expect(config.mqtt.publishTranscripts).toBe(true);
    expect(config.turn.wake.score).toBe(2);
    expect(config.turn.wake.threshold).toBe(0.3);
  });

  it('edits a file that holds only comments', () => {
    const { file, plan } = setUp('# nothing set yet\n');
    plan({ logLevel: 'debug' }).commit();
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('# nothing set yet\n')).toBe(true);
    expect(readConfigFile(file)).toEqual({ logLevel: 'debug' });
  });

  it('says no restart is needed for live settings only', () => {
    const { plan } = setUp();
    expect(plan({ logLevel: 'debug', audio: { playback: { volume: 0.4 } }, mqtt: { publishTranscripts: true } }).restartNeeded).toBe(false);
    expect(plan({ turn: { wake: { threshold: 0.4 } } }).restartNeeded).toBe(true);
    expect(plan({ logLevel: 'debug', vad: { threshold: 0.6 } }).restartNeeded).toBe(true);
  });

  it('changes nothing and does not rewrite the file when the values are already in force', () => {
    const { file, plan } = setUp();
    const before = statSync(file);
    const change = plan({ audio: { playback: { volume: 1 } }, logLevel: 'info', turn: {} });
    expect(change.changes).toEqual([]);
    expect(change.restartNeeded).toBe(false);
    change.commit();
    change.rollback();
    expect(statSync(file).ino).toBe(before.ino); // not replaced
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS);
  });

  it('refuses an invalid value with a ConfigError and leaves the file as it was, byte for byte', () => {
    const { file, plan } = setUp();
    const bytes = readFileSync(file);
    const line = configErrorLine(() => plan({ audio: { playback: { volume: 7 } } }));
    expect(line).toMatch(/audio\.playback\.volume: Too big: expected number to be <=2/);
    expect(configErrorLine(() => plan({ turn: { wake: { phrases: 'hey kiosk' } } }))).toMatch(/turn\.wake\.phrases: expected array, received string/);
    // Each valid on its own, contradicting one another.
    expect(configErrorLine(() => plan({ vad: { minSpeechSeconds: 2, maxSpeechSeconds: 1 } }))).toMatch(/vad\.minSpeechSeconds: 2 must be below vad\.maxSpeechSeconds/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('names settings that do not exist', () => {
    const { file, plan } = setUp();
    expect(configErrorLine(() => plan({ audio: { playback: { loudness: 3 } } }))).toBe(
      'set_config: not a setting: "audio.playback.loudness" — send a partial config naming existing settings, e.g. {"audio": {"playback": {"volume": 0.8}}}; the README ("Configuration") lists every setting',
    );
    expect(configErrorLine(() => plan({ bogus: 1, audio: { playback: { volume: { level: 1 } } } }))).toMatch(
      /^set_config: these are not settings: "bogus", "audio\.playback\.volume\.level" — /,
    );
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS);
  });

  it('refuses __proto__, constructor and prototype keys and leaves the file as it was', () => {
    const { file, plan } = setUp();
    for (const patch of ['{"__proto__":{"logLevel":"debug"}}', '{"turn":{"__proto__":{"followUpSeconds":1}}}', '{"site":{"constructor":{"name":"x"}}}', '{"prototype":1}']) {
      expect(configErrorLine(() => plan(JSON.parse(patch)))).toMatch(/^set_config: "(__proto__|constructor|prototype)" at [\w.]+ is not a setting and is refused/);
    }
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS);
  });

  it('refuses a change that is not a mapping', () => {
    const { plan } = setUp();
    expect(configErrorLine(() => plan([{ logLevel: 'debug' }]))).toMatch(/^set_config: the change must be a mapping of settings, not a list — /);
    expect(configErrorLine(() => plan('logLevel: debug'))).toMatch(/^set_config: the change must be a mapping of settings, not "logLevel: debug" — /);
    expect(configErrorLine(() => plan(null))).toMatch(/^set_config: the change must be a mapping of settings, not null — /);
  });

  it('rolls back to the exact previous bytes, keeping the mode', () => {
    const { file, plan } = setUp();
    chmodSync(file, 0o640);
    const bytes = readFileSync(file);
    const change = plan({ logLevel: 'debug', turn: { wake: { threshold: 0.5 } } });
    change.commit();
    expect(readFileSync(file, 'utf8')).toContain('logLevel: debug # quiet unless something breaks\n');
    expect(statSync(file).mode & 0o7777).toBe(0o640);
    change.rollback();
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(statSync(file).mode & 0o7777).toBe(0o640);
  });

  it('shows secrets as <redacted> in the list of changes and still saves them', () => {
    const { file, plan } = setUp();
    const change = plan({ site: { wifi: { password: 'correct horse' } }, mqtt: { url: 'mqtt://broker:1883', password: 's3cret' } });
    expect(change.changes).toEqual([
      { path: 'site.wifi.password', from: REDACTED, to: REDACTED },
      { path: 'mqtt.url', from: undefined, to: 'mqtt://broker:1883' },
      { path: 'mqtt.password', from: undefined, to: REDACTED },
    ]);
    const shown = JSON.stringify(change.changes);
    for (const secret of ['hunter2', 'correct horse', 's3cret']) expect(shown).not.toContain(secret);
    change.commit();
    const config = loadConfig({ file, env: {} });
    expect(config.site.wifi?.password).toBe('correct horse');
    expect(config.mqtt.password).toBe('s3cret');
  });

  it('needs a config file to save a change in', () => {
    const { current } = setUp();
    const error = thrown(NoConfigFileError, () => planConfigChange({ file: undefined, patch: { logLevel: 'debug' }, current, resolve }));
    expect(error.toUserLine()).toBe(
      'settings cannot be changed remotely: the kiosk was started without a config file to save them in — run with --config <file> so changes can be saved',
    );
  });

  it('refuses to change a setting that shares a YAML anchor with another, leaving the file as it was', () => {
    const shared = '# one device for both\naudio:\n  capture: &card\n    device: hw:1\n  playback: *card\n';
    const { file, plan } = setUp(shared);
    // Through the alias: yaml cannot reach inside it.
    expect(configErrorLine(() => plan({ audio: { playback: { device: 'hw:2' } } }))).toMatch(/^set_config: config file .* cannot be edited there: .* — the file reaches that setting through a YAML alias/);
    // At the anchor: editing it would change audio.playback.device as well.
    expect(configErrorLine(() => plan({ audio: { capture: { device: 'hw:2' } } }))).toMatch(/^set_config: changing config file .* would also change settings that share a YAML anchor/);
    expect(readFileSync(file, 'utf8')).toBe(shared);
  });

  it('refuses a change that would make the file too big to be read at the next start', () => {
    const { file, plan } = setUp();
    const faq = Array.from({ length: 450 }, (_, i) => ({ id: `q${i}`, phrasings: [`question ${i} ${'q'.repeat(150)}`], answer: `Answer ${i} ${'a'.repeat(600)}.` }));
    expect(configErrorLine(() => plan({ site: { faq } }))).toMatch(/^set_config: config file .* would grow past 256 KiB, the most a config file may hold — /);
    expect(readFileSync(file, 'utf8')).toBe(SETTINGS);
  });

  it('does not overwrite a hand edit made after the change was checked', () => {
    const { file, plan } = setUp();
    const change = plan({ logLevel: 'debug' });
    const edited = SETTINGS.replace('name: Lobby', 'name: Main lobby');
    writeFileSync(file, edited);
    expect(configErrorLine(() => change.commit())).toMatch(/^set_config: config file .* changed while the change was being checked — send the change again$/);
    expect(readFileSync(file, 'utf8')).toBe(edited);
  });

  it('writes through a symbolic link to the file it points to', () => {
    const { file, current } = setUp();
    const link = join(file, '..', 'link.yaml');
    symlinkSync(file, link);
    planConfigChange({ file: link, patch: { logLevel: 'warn' }, current, resolve }).commit();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readConfigFile(file).logLevel).toBe('warn');
  });

  it('lets an error from reading the file through (one line, naming the file)', () => {
    const { file, current } = setUp();
    const missing = join(file, '..', 'gone.yaml');
    expect(configErrorLine(() => planConfigChange({ file: missing, patch: { logLevel: 'debug' }, current, resolve }))).toBe(
      `config file ${missing} does not exist — check the path given to --config`,
    );
  });
});

describe('redactConfig', () => {
  it('replaces every secret that is set and leaves the original alone', () => {
    const { current } = setUp();
    const config = { ...current, mqtt: { ...current.mqtt, password: 's3cret' } };
    const redacted = redactConfig(config) as { mqtt: { password: string; url?: string }; site: { wifi: { password: string; network: string } } };
    expect(redacted.mqtt.password).toBe(REDACTED);
    expect(redacted.site.wifi).toEqual({ network: 'Guest', password: REDACTED, passwordPublic: false });
    expect(JSON.stringify(redacted)).not.toMatch(/s3cret|hunter2/);
    expect(config.mqtt.password).toBe('s3cret');
    expect(current.site.wifi?.password).toBe('hunter2');
  });

  it('adds nothing for secrets that are not set', () => {
    const config = loadConfig({ env: {} });
    const redacted = redactConfig(config);
    expect(redacted).toEqual(JSON.parse(JSON.stringify(config)));
    expect(Object.hasOwn(redacted.mqtt as Tree, 'password')).toBe(false);
    expect(Object.hasOwn(redacted.site as Tree, 'wifi')).toBe(false);
  });
});
