import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { ConfigError, oneLine, preview } from '../../../config/ConfigError.js';
import { configSchema, MAX_LENGTH, playbackSchema } from '../../../config/schema.js';
import { checkTree, formatPath, isTree, MAX_DEPTH, type SettingPath, type Tree } from '../../../config/tree.js';

/** Every command a kiosk answers on `<baseTopic>/request/<command>`. */
export const COMMAND_NAMES = [
  'say',
  'start_listening',
  'stop',
  'mute',
  'unmute',
  'volume',
  'health',
  'get_config',
  'set_config',
  'log_level',
  'restart_pipeline',
  'selftest',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** A request is a small JSON object; anything bigger is refused before it is decoded. */
export const MAX_COMMAND_BYTES = 64 * 1024;

/** The caller's id for a request, echoed in the response. */
export type Transaction = string | number;
export const MAX_TRANSACTION_LENGTH = 128;

/** An error is one line of at most this many characters, however big or strange the request. */
export const MAX_COMMAND_ERROR_LENGTH = 200;

const noArguments = z.strictObject({});

/** Arguments of each command, besides `transaction`; the same limits as the settings they touch. */
const ARGUMENTS = {
  say: z.strictObject({ text: z.string().min(1).max(MAX_LENGTH.reply) }),
  start_listening: noArguments,
  stop: noArguments,
  /** `muted` defaults to true; Home Assistant's switch sends `{"muted": false}` to turn it off. */
  mute: z.strictObject({ muted: z.boolean().optional() }),
  unmute: noArguments,
  volume: z.strictObject({ volume: playbackSchema.shape.volume.unwrap() }),
  health: noArguments,
  get_config: noArguments,
  /** `config` is a partial config; ConfigFileEditor checks it against the schema. */
  set_config: z.strictObject({
    config: z.custom<Tree>((value) => isTree(value), { message: 'expected a mapping of settings, e.g. {"audio": {"playback": {"volume": 0.8}}}' }),
    restart: z.boolean().optional(),
  }),
  log_level: z.strictObject({ level: configSchema.shape.logLevel.unwrap() }),
  restart_pipeline: noArguments,
  selftest: noArguments,
} satisfies Record<CommandName, z.ZodType>;

/** The checked arguments of each command. */
export type CommandArgsByCommand = { [K in CommandName]: z.output<(typeof ARGUMENTS)[K]> };
export type CommandArgs = CommandArgsByCommand[CommandName];

/** A request that may be carried out; `command` tells which `args` it has. */
export type CommandRequest = {
  [K in CommandName]: { ok: true; command: K; args: CommandArgsByCommand[K]; transaction?: Transaction };
}[CommandName];

/** A request that is refused; `transaction` is there when the payload was readable enough to hold one. */
export interface RefusedCommandRequest {
  ok: false;
  error: string;
  transaction?: Transaction;
}

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_NAMES);

const isCommandName = (command: string): command is CommandName => COMMANDS.has(command);

function clip(text: string): string {
  const line = oneLine(text);
  return line.length > MAX_COMMAND_ERROR_LENGTH ? `${line.slice(0, MAX_COMMAND_ERROR_LENGTH - 1)}…` : line;
}

/**
 * True when brackets in `text` nest deeper than `limit`. Checked on the text, before JSON.parse, so
 * a hostile request is refused in one linear pass whatever the JSON parser's own limits are.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value} (${typeof value === 'number' ? String(value) : preview(value)})`;
}

/** The payload as a JSON object, or why it is not one. */
function readBody(payload: Buffer): { body: Tree } | { error: string } {
  if (payload.length > MAX_COMMAND_BYTES) return { error: `payload is ${payload.length} bytes; a request may be at most ${MAX_COMMAND_BYTES} bytes (64 KiB)` };
  if (payload.length === 0) return { body: {} };
  if (!isUtf8(payload)) return { error: 'payload is not UTF-8 text; send a JSON object' };
  const text = payload.toString('utf8');
  if (nestsDeeperThan(text, MAX_DEPTH)) return { error: `payload nests more than ${MAX_DEPTH} levels deep` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the payload, which may hold a password (set_config): not repeated.
    return { error: 'payload is not valid JSON; send a JSON object such as {"transaction": 1}' };
  }
  if (!isTree(value)) return { error: `payload must be a JSON object, not ${describeJson(value)}` };
  return { body: value };
}

/** Why `body` must not be used (a `__proto__`, `constructor` or `prototype` key anywhere), or undefined. */
function forbiddenKey(body: Tree): string | undefined {
  try {
    checkTree(body, 'payload');
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

function readTransaction(value: unknown): Transaction | undefined {
  if (typeof value === 'string' && value.length <= MAX_TRANSACTION_LENGTH) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

function describeIssue(command: CommandName, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.slice(0, 3).map((key) => preview(key, 40));
    if (issue.keys.length > 3) names.push(`and ${issue.keys.length - 3} more`);
    const known = Object.keys(ARGUMENTS[command].shape);
    const takes = known.length ? `takes ${known.map((key) => `"${key}"`).join(', ')} and "transaction"` : 'takes only "transaction"';
    return `unknown argument${issue.keys.length > 1 ? 's' : ''} ${names.join(', ')} (${command} ${takes})`;
  }
  const where = formatPath(issue.path as SettingPath);
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${where}: missing (expected ${issue.expected})`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/**
 * Checks a request for `command` (the last level of its topic): the payload must be at most
 * MAX_COMMAND_BYTES of UTF-8 JSON holding an object (an empty payload is `{}`) with no
 * `__proto__`/`constructor`/`prototype` key and no deep nesting, whose keys are the command's
 * arguments and an optional `transaction`. Never throws: a bad request gives one line saying
 * what is wrong, quoting at most a short piece of the request.
 */
export function parseCommandRequest(command: string, payload: Buffer): CommandRequest | RefusedCommandRequest {
  const read = readBody(payload);
  const transaction = 'body' in read && Object.hasOwn(read.body, 'transaction') ? readTransaction(read.body.transaction) : undefined;
  const refuse = (error: string): RefusedCommandRequest => ({ ok: false, error: clip(error), ...(transaction !== undefined && { transaction }) });

  if (!isCommandName(command)) return refuse(`unknown command ${preview(command, 40)}; commands: ${COMMAND_NAMES.join(', ')}`);
  if ('error' in read) return refuse(read.error);
  const forbidden = forbiddenKey(read.body);
  if (forbidden !== undefined) return refuse(forbidden);
  const { transaction: given, ...rest } = read.body;
  if (given !== undefined && transaction === undefined) {
    return refuse(`transaction must be a string of at most ${MAX_TRANSACTION_LENGTH} characters or a finite number, not ${describeJson(given)}`);
  }
  const result = ARGUMENTS[command].safeParse(rest);
  if (!result.success) {
    const issues = result.error.issues;
    const shown = issues.slice(0, 2).map((issue) => describeIssue(command, issue));
    return refuse(`${command}: ${shown.join('; ')}${issues.length > 2 ? `; and ${issues.length - 2} more` : ''}`);
  }
  // result.data is the arguments of `command`; TypeScript cannot tie the two through the lookup.
  return { ok: true, command, args: result.data, ...(transaction !== undefined && { transaction }) } as CommandRequest;
}
