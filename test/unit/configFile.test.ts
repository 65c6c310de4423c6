import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/ConfigError.js';
import { loadConfig, mergeConfig } from '../../src/config/loadConfig.js';
import { firstInvalidUtf8 } from '../../src/config/readConfigFile.js';
import { configErrorLine } from '../helpers/configErrorLine.js';

// Issue 7, defects 10, 11 and 12 (config part): what --config accepts and how it fails.

const dir = mkdtempSync(join(tmpdir(), 'kv-config-file-'));
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const loadConfigModule = join(repoRoot, 'src/config/loadConfig.ts');
let n = 0;
function file(content: string | Buffer, ext = 'yaml'): string {
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}


/**
 * loadConfig in a child process with a time and memory limit: before the fix a FIFO blocked the
 * process for ever inside a synchronous read and /dev/zero grew without bound, which would take
 * the test runner down with it.
 */
function loadInChild(path: string): { line: string; ms: number; timedOut: boolean } {
  const script =
    `import { loadConfig } from ${JSON.stringify(loadConfigModule)};\n` +
    `try { loadConfig({ file: ${JSON.stringify(path)}, env: {} }); console.log('loaded'); }\n` +
    `catch (e) { console.log(typeof e.toUserLine === 'function' ? e.toUserLine() : 'CRASH ' + e.message); }`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 15_000,
    killSignal: 'SIGKILL',
  });
  return { line: result.stdout.trim(), ms: Date.now() - started, timedOut: result.error !== undefined || result.signal !== null };
}

describe('--config file type and size (defect 10)', () => {
  it('a FIFO with no writer is refused at once instead of hanging', () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const { line, timedOut } = loadInChild(fifo);
    expect(timedOut).toBe(false);
    expect(line).toBe(`config file ${fifo} is a named pipe (FIFO), not a regular file — point --config at a YAML or JSON file`);
  });

  it('/dev/zero is refused before a byte is read', () => {
    const { line, timedOut } = loadInChild('/dev/zero');
    expect(timedOut).toBe(false);
    expect(line).toMatch(/^config file \/dev\/zero is a character device, not a regular file — /);
  });

  it('a directory is refused', () => {
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    expect(configErrorLine(() => loadConfig({ file: sub, env: {} }))).toContain(`config file ${sub} is a directory, not a regular file`);
  });

  it('a file over 256 KiB is refused from its size, without reading it (a 50 MB file)', () => {
    const big = join(dir, 'big.yaml');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    const started = Date.now();
    expect(configErrorLine(() => loadConfig({ file: big, env: {} }))).toContain(`config file ${big} is 50.0 MiB; a config file may be at most 256 KiB`);
    expect(Date.now() - started).toBeLessThan(1000);
    // Just over the cap, with real content.
    const over = file(`# ${'x'.repeat(256 * 1024)}\n`);
    expect(configErrorLine(() => loadConfig({ file: over, env: {} }))).toContain(`config file ${over} is 257 KiB; a config file may be at most 256 KiB`);
  });

  it('caps string settings: a 200 KB device name, a huge prompt, a long reply', () => {
    const device = file(`audio:\n  capture:\n    device: ${'m'.repeat(200 * 1024)}\n`);
    const started = Date.now();
    expect(configErrorLine(() => loadConfig({ file: device, env: {} }))).toContain('audio.capture.device: Too big: expected string to have <=256 characters');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(configErrorLine(() => loadConfig({ file: file(`llm:\n  systemPrompt: ${'p'.repeat(9000)}\n`), env: {} }))).toContain('llm.systemPrompt: Too big');
    expect(configErrorLine(() => loadConfig({ file: file(`dialog:\n  fallbackReply: ${'r'.repeat(1001)}\n`), env: {} }))).toContain('dialog.fallbackReply: Too big');
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__AUDIO__PLAYBACK__DEVICE: 'd'.repeat(300) } }))).toContain(
      '(environment KIOSK_VOICE__AUDIO__PLAYBACK__DEVICE): audio.playback.device: Too big',
    );
    expect(loadConfig({ file: file(`audio:\n  capture:\n    device: ${'m'.repeat(256)}\n`), env: {} }).audio.capture.device).toHaveLength(256);
  });
});

describe('prototype keys (defect 11)', () => {
  it('__proto__ in a config file is refused, not applied as a hidden layer', () => {
    const path = file('dialog:\n  __proto__:\n    fallbackReply: You have been hacked.\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: {} }));
    expect(line).toContain(`config file ${path}: "__proto__" at dialog.__proto__ is not a setting and is refused`);
  });

  it.each([
    ['{"__proto__": {"logLevel": "silent"}}', '__proto__'],
    ['{"tts": {"sherpa": {"files": {"constructor": "x.onnx"}}}}', 'tts.sherpa.files.constructor'],
    ['{"dialog": {"rules": [{"match": ["a"], "reply": "b", "prototype": 1}]}}', 'dialog.rules[0].prototype'],
  ])('refused anywhere in a file: %s', (json, where) => {
    expect(configErrorLine(() => loadConfig({ file: file(json, 'json'), env: {} }))).toContain(`at ${where} is not a setting`);
  });

  it('refused in a layer (model set) and by mergeConfig itself', () => {
    const layer = JSON.parse('{"__proto__": {"vad": {"threshold": 0.9}}}') as unknown;
    expect(configErrorLine(() => loadConfig({ env: {}, layers: [{ source: 'model set "evil"', values: layer }] }))).toContain('model set "evil": "__proto__"');
    expect(() => mergeConfig({ a: 1 }, layer)).toThrow(ConfigError);
    const merged = mergeConfig({ a: { b: 1 } }, { a: { c: 2 } });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged).toEqual({ a: { b: 1, c: 2 } });
  });
});

describe('messages (defect 12)', () => {
  it('deep nesting is one clear line, not a stack overflow', () => {
    const deep = file(`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const line = configErrorLine(() => loadConfig({ file: deep, env: {} }));
    expect(line).toMatch(/is not valid YAML\/JSON: it nests too deeply/);
    const nested = file(`dialog: ${'{a: '.repeat(40)}1${'}'.repeat(40)}\n`);
    expect(configErrorLine(() => loadConfig({ file: nested, env: {} }))).toContain('is nested more than 32 levels deep');
  });

  it('a cyclic YAML alias is one clear line, not a stack overflow', () => {
    const path = file('dialog: &d\n  rules: *d\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: {} }));
    expect(line).toContain(`config file ${path}: dialog.rules contains itself (a cyclic YAML alias)`);
    expect(line).not.toMatch(/call stack/i);
    // A plain (acyclic) alias is fine.
    const ok = file('dialog:\n  fallbackReply: &r Please ask at the desk.\n  notUnderstoodReply: *r\n');
    expect(loadConfig({ file: ok, env: {} }).dialog.notUnderstoodReply).toBe('Please ask at the desk.');
  });

  it('a top-level list or scalar says what the file must hold', () => {
    expect(configErrorLine(() => loadConfig({ file: file('- 1\n- 2\n'), env: {} }))).toContain('must hold a mapping of settings, not a list');
    expect(configErrorLine(() => loadConfig({ file: file('hello\n'), env: {} }))).toContain('must hold a mapping of settings, not a single value ("hello")');
  });

  it('non-UTF-8 bytes are refused with the byte offset instead of becoming U+FFFD', () => {
    const latin1 = file(Buffer.concat([Buffer.from('dialog:\n  fallbackReply: Caf'), Buffer.from([0xe9]), Buffer.from(' closed\n')]));
    expect(configErrorLine(() => loadConfig({ file: latin1, env: {} }))).toContain(
      `config file ${latin1} is not UTF-8 text: byte 0xE9 at offset 28 (line 2) is not valid UTF-8`,
    );
    const utf16 = file(Buffer.from('\ufeffvad: {}\n', 'utf16le'));
    expect(configErrorLine(() => loadConfig({ file: utf16, env: {} }))).toContain('byte 0xFF at offset 0 (line 1)');
    // Real UTF-8, with or without a BOM, is read as it is.
    const good = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('dialog:\n  fallbackReply: Café — ask at the desk 🙂\n')]));
    expect(loadConfig({ file: good, env: {} }).dialog.fallbackReply).toBe('Café — ask at the desk 🙂');
  });

  it('firstInvalidUtf8 finds overlongs, surrogates, truncation and out-of-range bytes', () => {
    const at = (...bytes: number[]) => firstInvalidUtf8(Uint8Array.from(bytes));
    expect(at(0x61, 0xc3, 0xa9)).toBe(-1);
    expect(at(0xf0, 0x9f, 0x99, 0x82)).toBe(-1);
    expect(at(0x61, 0xc0, 0x80)).toBe(1);
    expect(at(0xe0, 0x80, 0x80)).toBe(0);
    expect(at(0x61, 0x62, 0xed, 0xa0, 0x80)).toBe(2);
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0);
    expect(at(0x61, 0xe2, 0x82)).toBe(1);
    expect(at(0xf5)).toBe(0);
    expect(at(0x80)).toBe(0);
  });

  it('the missing, unreadable and syntax-error cases stay one line naming the file', () => {
    const missing = join(dir, 'nope.yaml');
    expect(configErrorLine(() => loadConfig({ file: missing, env: {} }))).toBe(`config file ${missing} does not exist — check the path given to --config`);
    const syntax = file('vad: [1, 2\n');
    expect(configErrorLine(() => loadConfig({ file: syntax, env: {} }))).toMatch(new RegExp(`^config file ${syntax} is not valid YAML/JSON: `));
    const dup = file('vad: {}\nvad: {}\n');
    expect(configErrorLine(() => loadConfig({ file: dup, env: {} }))).toMatch(/is not valid YAML\/JSON: Map keys must be unique/);
  });
});
