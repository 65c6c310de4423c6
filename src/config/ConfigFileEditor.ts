import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isCollection, parseDocument } from 'yaml';
import { KioskVoiceError } from '../errors.js';
import { ConfigError, preview } from './ConfigError.js';
import { schemaAt } from './envConfig.js';
import { decodeConfigText, MAX_CONFIG_FILE_BYTES, parseConfigText, readConfigBytes } from './readConfigFile.js';
import type { KioskConfig } from './schema.js';
import { REDACTED, touchesSecret } from './secretSettings.js';
import { checkTree, formatPath, getAt, isTree, leaves, mergeConfig, sameValue, type SettingPath, type Tree } from './tree.js';

/** Settings the running daemon applies on the spot; a change to any other needs a pipeline restart. */
export const LIVE_SETTINGS: readonly (readonly string[])[] = [['logLevel'], ['audio', 'playback', 'volume'], ['mqtt', 'publishTranscripts']];

/** The daemon was started without a config file, so a change could not be kept. */
export class NoConfigFileError extends KioskVoiceError {
  constructor() {
    super('settings cannot be changed remotely: the kiosk was started without a config file to save them in', 'run with --config <file> so changes can be saved');
  }
}

/** One setting a change sets to a new value (secrets shown as REDACTED). */
export interface ConfigChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** A checked change to the config file, not yet written. */
export interface ConfigChangePlan {
  /** Settings whose value changes, in the order of the patch; empty when the patch changes nothing. */
  changes: ConfigChange[];
  /** A change outside LIVE_SETTINGS takes effect only after the pipeline restarts. */
  restartNeeded: boolean;
  /** The settings once the change is in force. */
  next: KioskConfig;
  /** Writes the changed file atomically (nothing when there are no changes). */
  commit(): void;
  /** Puts back the file's previous bytes, atomically (after a commit whose change could not be applied). */
  rollback(): void;
}

export interface PlanConfigChangeInput {
  /** The config file the daemon was started with. */
  file: string | undefined;
  /** The partial config asked for (set_config's `config`). */
  patch: unknown;
  /** The settings in force now. */
  current: KioskConfig;
  /** The caller's full resolution of settings with `fileTree` in place of the file; throws ConfigError. */
  resolve: (fileTree: Tree) => KioskConfig;
}

const SOURCE = 'set_config';
const HINT = 'send a partial config naming existing settings, e.g. {"audio": {"playback": {"volume": 0.8}}}; the README ("Configuration") lists every setting';

const samePath = (a: SettingPath, b: SettingPath) => a.length === b.length && a.every((key, i) => key === b[i]);

/** The patch's leaves, after checking that it is a mapping of known settings that is safe to merge. */
function patchLeaves(patch: unknown): { path: string[]; value: unknown }[] {
  if (!isTree(patch)) {
    throw new ConfigError(`${SOURCE}: the change must be a mapping of settings, not ${Array.isArray(patch) ? 'a list' : preview(patch)}`, HINT);
  }
  checkTree(patch, SOURCE);
  const found = leaves(patch);
  const unknown = found.filter(({ path }) => schemaAt(path) === undefined).map(({ path }) => preview(formatPath(path), 80));
  if (unknown.length) {
    const shown = unknown.length > 5 ? [...unknown.slice(0, 5), `and ${unknown.length - 5} more`] : unknown;
    throw new ConfigError(`${SOURCE}: ${unknown.length > 1 ? 'these are not settings' : 'not a setting'}: ${shown.join(', ')}`, HINT);
  }
  return found;
}

/**
 * The file's new text: its YAML document with each leaf of the patch set in place, so comments,
 * order and formatting survive. Read back and compared with what was checked, because a value
 * reached through a YAML alias would change every place that alias is used.
 */
function editedText(file: string, text: string, found: { path: string[]; value: unknown }[], expected: Tree): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  // parseConfigText took a non-mapping top level for "no settings" (an empty or `null` file).
  if (!isCollection(doc.contents)) doc.contents = null;
  let edited: string;
  try {
    for (const { path, value } of found) doc.setIn(path, value);
    edited = doc.toString();
  } catch (error) {
    throw new ConfigError(`${SOURCE}: config file ${file} cannot be edited there: ${String((error as Error).message).split('\n')[0]}`, 'the file reaches that setting through a YAML alias (*name); edit the file by hand');
  }
  // The next start must still be able to read it.
  if (Buffer.byteLength(edited) > MAX_CONFIG_FILE_BYTES) {
    throw new ConfigError(`${SOURCE}: config file ${file} would grow past ${MAX_CONFIG_FILE_BYTES / 1024} KiB, the most a config file may hold`, 'keep long lists (FAQ, rules) short, or edit the file by hand');
  }
  if (!sameValue(parseConfigText(file, edited), expected)) {
    throw new ConfigError(`${SOURCE}: changing config file ${file} would also change settings that share a YAML anchor (&name) with the ones asked for`, 'replace the alias (*name) with a copy of the settings, then try again');
  }
  return edited;
}

/**
 * Replaces `file`'s content so a reader sees the old bytes or the new, never a mix, even after a
 * power cut: a temporary file beside it (same mode and owner) is written and synced, renamed over
 * it, and the directory is synced. A symbolic link is followed, so the file it points to is replaced.
 */
function replaceFile(file: string, content: string | Buffer): void {
  try {
    writeReplacement(file, content);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${SOURCE}: config file ${file} could not be written (${code})`, 'let the user the kiosk runs as write the file and its directory', { cause: error });
  }
}

function writeReplacement(file: string, content: string | Buffer): void {
  const target = realpathSync(file);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const stats = statSync(target);
  const fd = openSync(temp, 'wx', stats.mode & 0o7777);
  try {
    try {
      const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at);
      fchmodSync(fd, stats.mode & 0o7777); // the umask may have narrowed the mode given to open
      // Only root can give a file away; a daemon running as root keeps the owner's file theirs.
      if (process.getuid?.() === 0) fchownSync(fd, stats.uid, stats.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Checks a partial config against the settings (unknown settings are named, a bad value fails the
 * caller's full resolution), works out what changes and whether a restart is needed, and returns
 * a plan whose commit() writes the change into the config file, comments kept. Throws ConfigError
 * (one line) for a bad change and NoConfigFileError when there is no file to save it in.
 */
export function planConfigChange(input: PlanConfigChangeInput): ConfigChangePlan {
  const found = patchLeaves(input.patch);
  const file = input.file;
  if (file === undefined) throw new NoConfigFileError();
  const bytes = readConfigBytes(file);
  const text = decodeConfigText(file, bytes);
  const merged = mergeConfig(parseConfigText(file, text), input.patch);
  const next = input.resolve(merged);

  const changed = found.filter(({ path }) => !sameValue(getAt(input.current, path), getAt(next, path)));
  const shown = (path: string[], value: unknown) => (value !== undefined && touchesSecret(path) ? REDACTED : value);
  const changes = changed.map(({ path }) => ({ path: formatPath(path), from: shown(path, getAt(input.current, path)), to: shown(path, getAt(next, path)) }));
  const restartNeeded = changed.some(({ path }) => !LIVE_SETTINGS.some((live) => samePath(live, path)));
  const edited = changes.length ? editedText(file, text, found, merged) : undefined;

  return {
    changes,
    restartNeeded,
    next,
    commit() {
      if (edited === undefined) return;
      // A hand edit since the plan was made would be lost without a word.
      if (!readConfigBytes(file).equals(bytes)) {
        throw new ConfigError(`${SOURCE}: config file ${file} changed while the change was being checked`, 'send the change again');
      }
      replaceFile(file, edited);
    },
    rollback() {
      if (edited !== undefined) replaceFile(file, bytes);
    },
  };
}
