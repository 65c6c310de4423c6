import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { parseDocument } from 'yaml';
import { ConfigError, preview } from './ConfigError.js';
import { checkTree, isTree, type Tree } from './tree.js';

/**
 * A config file is a few kilobytes; anything past this is refused before it is parsed. The YAML
 * parser needs about 0.5 s and 100 MB (on a PC; more on a Pi) per 256 KiB of dense YAML, so the
 * cap is what keeps a wrong --config from stalling or starving the kiosk at start-up.
 */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

const HINT_PATH = 'check the path given to --config';

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openFailure(file: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'ENOTDIR'
        ? 'does not exist (a part of the path is not a directory)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'ELOOP'
            ? 'cannot be read (too many symbolic links)'
            : `cannot be read (${code ?? (error as Error).message})`;
  return new ConfigError(`config file ${file} ${reason}`, HINT_PATH, { cause: error });
}

const tooBig = (file: string, bytes: string) =>
  new ConfigError(
    `config file ${file} is ${bytes}; a config file may be at most ${formatBytes(MAX_CONFIG_FILE_BYTES)}`,
    'point --config at the kiosk settings file, a few kilobytes of YAML or JSON',
  );

/**
 * The file's bytes, after checking on the open descriptor that it is a regular file no bigger than
 * MAX_CONFIG_FILE_BYTES. Opened non-blocking, so a FIFO with no writer is refused instead of
 * waiting for ever; a device such as /dev/zero is refused before a byte is read.
 */
export function readConfigBytes(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw openFailure(file, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new ConfigError(`config file ${file} is ${kindOf(stats)}, not a regular file`, 'point --config at a YAML or JSON file');
    if (stats.size > MAX_CONFIG_FILE_BYTES) throw tooBig(file, formatBytes(stats.size));
    // Read at most one byte past the cap: a file that grows while it is read is still refused.
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw openFailure(file, error);
      }
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_FILE_BYTES) throw tooBig(file, `more than ${formatBytes(MAX_CONFIG_FILE_BYTES)}`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // past U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The text of a config file: UTF-8 (a BOM is allowed), refused with the byte offset otherwise. */
export function decodeConfigText(file: string, bytes: Buffer): string {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (!isUtf8(body)) {
    const at = firstInvalidUtf8(body);
    const offset = at + (body === bytes ? 0 : 3);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line += 1;
    const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
    throw new ConfigError(
      `config file ${file} is not UTF-8 text: byte 0x${byte} at offset ${offset} (line ${line}) is not valid UTF-8`,
      'save the file as UTF-8 (a Latin-1 or UTF-16 file must be converted, e.g. with iconv)',
    );
  }
  return body.toString('utf8');
}

function describeTop(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return `a single value (${preview(value)})`;
}

/** Parses config text (YAML; JSON is YAML) into a tree of settings, refusing what cannot be merged safely. */
export function parseConfigText(file: string, text: string): Tree {
  const source = `config file ${file}`;
  let parsed: unknown;
  try {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    const [first] = doc.errors;
    if (first) throw first;
    parsed = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const first = String((error as Error).message).split('\n')[0] ?? '';
    // The parser's own recursion limit surfaces as a stack overflow, sometimes as a parse error.
    const message = error instanceof RangeError || /call stack/i.test(first) ? 'it nests too deeply' : first;
    throw new ConfigError(`${source} is not valid YAML/JSON: ${message}`, 'fix the syntax at the line named');
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`${source} must hold a mapping of settings, not ${describeTop(parsed)}`, 'write `setting: value` lines at the top level; see the README, "Configuration"');
  checkTree(parsed, source);
  return parsed;
}

/** Reads, checks and parses a config file; every failure is one ConfigError naming the file. */
export function readConfigFile(file: string): Tree {
  return parseConfigText(file, decodeConfigText(file, readConfigBytes(file)));
}
