import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  MAX_COMMAND_BYTES,
  MAX_COMMAND_ERROR_LENGTH,
  parseCommandRequest,
  type CommandName,
  type CommandRequest,
  type RefusedCommandRequest,
} from '../../src/telemetry/mqtt/commands/commandRequests.js';
import { commandResponse } from '../../src/telemetry/mqtt/commands/commandResponse.js';
import { mulberry32 } from '../helpers/seededRandom.js';

// Issue 9, "Safety": what a request on <base>/request/<command> must be, and how a bad one is refused.

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const text = (value: string) => Buffer.from(value, 'utf8');

function accepted(command: string, payload: Buffer): CommandRequest {
  const result = parseCommandRequest(command, payload);
  if (!result.ok) throw new Error(`expected ${command} to be accepted, got: ${result.error}`);
  return result;
}

function refused(command: string, payload: Buffer): RefusedCommandRequest {
  const result = parseCommandRequest(command, payload);
  if (result.ok) throw new Error(`expected ${command} ${payload.subarray(0, 80).toString()} to be refused`);
  expect(result.error.length).toBeGreaterThan(0);
  expect(result.error.length).toBeLessThanOrEqual(MAX_COMMAND_ERROR_LENGTH);
  expect(result.error).not.toMatch(/[\r\n\u2028\u2029]/);
  return result;
}

describe('parseCommandRequest: valid requests', () => {
  const cases: [CommandName, unknown, unknown][] = [
    ['say', { text: 'Welcome to the lobby.' }, { text: 'Welcome to the lobby.' }],
    ['start_listening', {}, {}],
    ['stop', {}, {}],
    ['mute', {}, {}],
    ['mute', { muted: false }, { muted: false }],
    ['unmute', {}, {}],
    ['volume', { volume: 0.75 }, { volume: 0.75 }],
    ['volume', { volume: 2 }, { volume: 2 }],
    ['health', {}, {}],
    ['get_config', {}, {}],
    ['set_config', { config: { audio: { playback: { volume: 0.8 } } } }, { config: { audio: { playback: { volume: 0.8 } } } }],
    ['set_config', { config: { turn: { wake: { threshold: 0.4 } } }, restart: true }, { config: { turn: { wake: { threshold: 0.4 } } }, restart: true }],
    ['log_level', { level: 'debug' }, { level: 'debug' }],
    ['restart_pipeline', {}, {}],
    ['selftest', {}, {}],
  ];

  it.each(cases)('%s %j', (command, payload, args) => {
    expect(accepted(command, json(payload))).toEqual({ ok: true, command, args });
  });

  it('covers every command', () => {
    expect(new Set(cases.map(([command]) => command))).toEqual(new Set(COMMAND_NAMES));
  });

  it('takes an empty payload as {}', () => {
    expect(accepted('start_listening', Buffer.alloc(0))).toEqual({ ok: true, command: 'start_listening', args: {} });
    expect(refused('say', Buffer.alloc(0)).error).toBe('say: text: missing (expected string)');
  });

  it('takes a payload of exactly 64 KiB', () => {
    const body = '{"text":"hi"}';
    const payload = text(body + ' '.repeat(MAX_COMMAND_BYTES - body.length));
    expect(payload.length).toBe(MAX_COMMAND_BYTES);
    expect(accepted('say', payload).args).toEqual({ text: 'hi' });
  });

  it('does not count brackets inside strings as nesting', () => {
    const say = '[{'.repeat(200);
    expect(accepted('say', json({ text: say })).args).toEqual({ text: say });
  });
});

describe('parseCommandRequest: transaction', () => {
  it('echoes a string or number transaction on success', () => {
    expect(accepted('stop', json({ transaction: 'abc-1' }))).toEqual({ ok: true, command: 'stop', args: {}, transaction: 'abc-1' });
    expect(accepted('volume', json({ volume: 1, transaction: 42 }))).toEqual({ ok: true, command: 'volume', args: { volume: 1 }, transaction: 42 });
  });

  it('echoes it on a refused request whose payload is readable', () => {
    expect(refused('volume', json({ volume: 'loud', transaction: 7 })).transaction).toBe(7);
    expect(refused('reboot', json({ transaction: 't1' })).transaction).toBe('t1');
    expect(refused('say', text('{"text":"hi","__proto__":{},"transaction":"t2"}')).transaction).toBe('t2');
  });

  it('refuses a transaction that is not a short string or a number, without echoing it', () => {
    const long = refused('stop', json({ transaction: 'x'.repeat(129) }));
    expect(long.transaction).toBeUndefined();
    expect(long.error).toMatch(/^transaction must be a string of at most 128 characters or a finite number, not a string \("x+…\)$/);
    expect(refused('stop', json({ transaction: { id: 1 } })).error).toBe('transaction must be a string of at most 128 characters or a finite number, not an object');
    expect(refused('stop', json({ transaction: null })).error).toBe('transaction must be a string of at most 128 characters or a finite number, not null');
    expect(refused('stop', text('{"transaction":1e999}')).error).toBe('transaction must be a string of at most 128 characters or a finite number, not a number (Infinity)');
    expect(accepted('stop', json({ transaction: 'x'.repeat(128) })).transaction).toBe('x'.repeat(128));
  });

  it('cannot echo one from a payload that does not parse', () => {
    expect(refused('stop', text('{"transaction":"t3",')).transaction).toBeUndefined();
  });
});

describe('parseCommandRequest: refused requests', () => {
  it('refuses a payload over 64 KiB before reading it', () => {
    const payload = text(`{"text":"${'a'.repeat(MAX_COMMAND_BYTES + 1 - 11)}"}`);
    expect(payload.length).toBe(MAX_COMMAND_BYTES + 1);
    expect(refused('say', payload).error).toBe('payload is 65537 bytes; a request may be at most 65536 bytes (64 KiB)');
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(refused('say', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])).error).toBe('payload is not UTF-8 text; send a JSON object');
    expect(refused('stop', Buffer.from([0xc0, 0xaf])).error).toBe('payload is not UTF-8 text; send a JSON object');
  });

  it('refuses text that is not JSON, without quoting it', () => {
    for (const body of ['hello', '{"text":', "{'text':'hi'}", '{"text":"hi"} x', '   ']) {
      expect(refused('say', text(body)).error).toBe('payload is not valid JSON; send a JSON object such as {"transaction": 1}');
    }
    const secret = refused('set_config', text('{"config":{"mqtt":{"password":"hunter2"}'));
    expect(secret.error).not.toContain('hunter2');
  });

  it('refuses JSON that is not an object', () => {
    expect(refused('stop', text('[]')).error).toBe('payload must be a JSON object, not a list');
    expect(refused('stop', text('null')).error).toBe('payload must be a JSON object, not null');
    expect(refused('stop', text('"stop"')).error).toBe('payload must be a JSON object, not a string ("stop")');
    expect(refused('volume', text('0.5')).error).toBe('payload must be a JSON object, not a number (0.5)');
    expect(refused('mute', text('true')).error).toBe('payload must be a JSON object, not a boolean (true)');
  });

  it('refuses __proto__, constructor and prototype keys at the top level', () => {
    // JSON.parse makes "__proto__" an own key: it must be seen, not swallowed as the prototype.
    expect(refused('say', text('{"__proto__":{"text":"hi"}}')).error).toBe(
      'payload: "__proto__" at __proto__ is not a setting and is refused (it would change how settings merge)',
    );
    expect(refused('stop', text('{"constructor":{}}')).error).toMatch(/^payload: "constructor" at constructor is not a setting/);
    expect(refused('say', text('{"text":"hi","prototype":1}')).error).toMatch(/^payload: "prototype" at prototype is not a setting/);
  });

  it('refuses them nested anywhere', () => {
    expect(refused('set_config', text('{"config":{"turn":{"__proto__":{"followUpSeconds":1}}}}')).error).toBe(
      'payload: "__proto__" at config.turn.__proto__ is not a setting and is refused (it would change how settings merge)',
    );
    expect(refused('set_config', text('{"config":{"dialog":{"rules":[{"constructor":1}]}}}')).error).toMatch(/^payload: "constructor" at config\.dialog\.rules\[0\]\.constructor /);
    expect(refused('set_config', text('{"config":{"a":{"b":{"prototype":null}}}}')).error).toMatch(/^payload: "prototype" at config\.a\.b\.prototype /);
  });

  it('refuses nesting 10000 deep without a stack overflow', () => {
    for (const body of ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), `{"config":${'{"x":'.repeat(10_000)}1${'}'.repeat(10_000)}}`]) {
      expect(refused('set_config', text(body)).error).toBe('payload nests more than 32 levels deep');
    }
    // Just under the limit is fine as far as nesting goes (and then refused for what it holds).
    const deepest = `{"config":${'{"x":'.repeat(31)}1${'}'.repeat(31)}}`;
    expect(accepted('set_config', text(deepest)).command).toBe('set_config');
  });

  it('refuses arguments of the wrong type or out of range', () => {
    expect(refused('say', json({ text: 5 })).error).toBe('say: text: expected string, received number');
    expect(refused('say', json({ text: '' })).error).toMatch(/^say: text: Too small: /);
    expect(refused('say', json({ text: 'a'.repeat(1001) })).error).toMatch(/^say: text: Too big: .*1000/);
    expect(refused('volume', json({ volume: 'loud' })).error).toBe('volume: volume: expected number, received string');
    expect(refused('volume', json({ volume: 7 })).error).toMatch(/^volume: volume: Too big: .*2/);
    expect(refused('volume', json({})).error).toBe('volume: volume: missing (expected number)');
    expect(refused('volume', json({ volume: -0.1 })).error).toMatch(/^volume: volume: Too small: .*0/);
    expect(refused('mute', json({ muted: 'yes' })).error).toBe('mute: muted: expected boolean, received string');
    expect(refused('set_config', json({ config: [] })).error).toBe('set_config: config: expected a mapping of settings, e.g. {"audio": {"playback": {"volume": 0.8}}}');
    expect(refused('set_config', json({})).error).toMatch(/^set_config: config: expected a mapping of settings/);
    expect(refused('set_config', json({ config: {}, restart: 'yes' })).error).toBe('set_config: restart: expected boolean, received string');
    expect(refused('log_level', json({ level: 'verbose' })).error).toMatch(/^log_level: level: Invalid option: expected one of "fatal"\|"error"/);
  });

  it('refuses an unknown command, quoting at most a short piece of its name', () => {
    expect(refused('reboot', json({})).error).toBe(
      'unknown command "reboot"; commands: say, start_listening, stop, mute, unmute, volume, health, get_config, set_config, log_level, restart_pipeline, selftest',
    );
    expect(refused('', json({})).error).toMatch(/^unknown command ""; /);
    const long = refused('x'.repeat(10_000), json({}));
    expect(long.error).toMatch(/^unknown command "x{30,40}…; /);
    expect(refused('__proto__', json({})).error).toMatch(/^unknown command "__proto__"; /);
  });

  it('refuses unknown extra keys, naming them', () => {
    expect(refused('stop', json({ force: true })).error).toBe('stop: unknown argument "force" (stop takes only "transaction")');
    expect(refused('say', json({ text: 'hi', voice: 'amy', speed: 2 })).error).toBe(
      'say: unknown arguments "voice", "speed" (say takes "text" and "transaction")',
    );
    const huge = refused('health', json({ ['k'.repeat(50_000)]: 1 }));
    expect(huge.error).toMatch(/^health: unknown argument "k{30,40}… \(health takes only "transaction"\)$/);
  });

  it('keeps an error short even for a long key path', () => {
    const key = 'k'.repeat(5000);
    expect(refused('set_config', text(`{"config":{"${key}":{"__proto__":1}}}`)).error).toMatch(/^payload: "__proto__" at config\.k+…$/);
  });
});

describe('parseCommandRequest: 500 generated hostile payloads', () => {
  const random = mulberry32(0x9e3779b9);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

  /** A valid request for `command`, to be broken. */
  const validBody = (command: CommandName): Record<string, unknown> =>
    ({
      say: { text: 'hello' },
      volume: { volume: 1 },
      mute: { muted: true },
      set_config: { config: { logLevel: 'info' } },
      log_level: { level: 'warn' },
    })[command as string] ?? {};

  const wrongValues: unknown[] = [null, true, 3.5, -1, 1e6, '', 'x', [], [1, 2], {}, { a: 1 }];
  /** A value that is never valid for the command's arguments, by construction. */
  function wrongTypes(command: CommandName): Record<string, unknown> {
    switch (command) {
      case 'say':
        return { text: pick([null, true, 3, [], {}, '', 'a'.repeat(int(1001, 5000))]) };
      case 'volume':
        return { volume: pick([null, true, '1', [], {}, 2.01, -0.01, 1e9]) };
      case 'mute':
        return { muted: pick([null, 1, 0, 'true', [], {}]) };
      case 'set_config':
        return pick([{ config: pick([null, 1, 'logLevel', [], [{}]]) }, { config: {}, restart: pick([null, 1, 'yes', {}]) }]);
      case 'log_level':
        return { level: pick([null, 1, 'verbose', 'INFO', '', [], {}]) };
      default:
        return { [pick(['text', 'volume', 'force', 'x', 'level'])]: pick(wrongValues) };
    }
  }

  const generators: Record<string, (command: CommandName) => { command: string; payload: Buffer }> = {
    randomBytes: (command) => {
      // A continuation byte first: never UTF-8, so never a valid request.
      const bytes = Buffer.from(Array.from({ length: int(1, 3000) }, () => int(0, 255)));
      bytes[0] = int(0x80, 0xbf);
      return { command, payload: bytes };
    },
    deepJson: (command) => {
      const depth = int(33, 20_000);
      const [open, close] = pick([
        ['[', ']'],
        ['{"a":', '}'],
        ['[{"b":', '}]'],
      ] as const);
      return { command, payload: text(`${open.repeat(depth)}1${close.repeat(depth)}`) };
    },
    hugeString: (command) => {
      const size = pick([int(1001, 60_000), int(MAX_COMMAND_BYTES, 200_000)]);
      // "text" is too long for say and an unknown argument for every other command.
      return { command, payload: json({ ...(command === 'say' ? {} : validBody(command)), text: 'w'.repeat(size) }) };
    },
    wrongTypes: (command) => ({ command, payload: json({ ...validBody(command), ...wrongTypes(command) }) }),
    wrongTransaction: (command) => ({ command, payload: json({ ...validBody(command), transaction: pick([null, true, [], {}, 'x'.repeat(int(129, 2000))]) }) }),
    unknownCommand: () => {
      const name = pick([
        'reboot',
        'SAY',
        'say ',
        'set-config',
        '__proto__',
        'constructor',
        'toString',
        '',
        '#',
        '+/..',
        'é'.repeat(int(1, 100)),
        'x'.repeat(int(100, 10_000)),
      ]);
      return { command: name, payload: json(pick([{}, { text: 'hi' }, { transaction: 1 }])) };
    },
    prototypeKeys: (command) => {
      const value = pick(wrongValues.concat([{ text: 'hi' }, { logLevel: 'debug' }]));
      let member = `"${pick(FORBIDDEN)}":${JSON.stringify(value)}`;
      for (let i = int(0, 6); i > 0; i--) member = `"${pick(['config', 'a', 'turn'])}":{${member}}`;
      // Beside the command's valid arguments, so the forbidden key is what is wrong.
      const members = JSON.stringify(validBody(command)).slice(1, -1);
      return { command, payload: text(`{${members ? `${members},` : ''}${member}}`) };
    },
    notAnObject: (command) => ({ command, payload: text(pick(['[]', 'null', '1', '"x"', 'true', '[{"text":"hi"}]', '-0', '"{}"'])) }),
    truncatedJson: (command) => {
      const body = JSON.stringify({ ...validBody(command), transaction: 'abc' });
      return { command, payload: text(body.slice(0, int(1, body.length - 1))) };
    },
  };
  const kinds = Object.keys(generators);

  const corpus = Array.from({ length: 500 }, (_, index) => {
    const kind = kinds[index % kinds.length]!;
    return { index, kind, ...generators[kind]!(pick(COMMAND_NAMES)) };
  });

  it('has every kind of payload in it', () => {
    for (const kind of kinds) expect(corpus.filter((entry) => entry.kind === kind).length).toBeGreaterThanOrEqual(50);
  });

  it('refuses every one with a one-line error and never throws', () => {
    const problems: string[] = [];
    for (const { index, kind, command, payload } of corpus) {
      let result;
      try {
        result = parseCommandRequest(command, payload);
      } catch (error) {
        problems.push(`#${index} (${kind}) threw ${String(error)}`);
        continue;
      }
      if (result.ok) problems.push(`#${index} (${kind}) was accepted: ${command} ${payload.subarray(0, 80).toString()}`);
      else if (!result.error || /[\r\n\u2028\u2029]/.test(result.error) || result.error.length > MAX_COMMAND_ERROR_LENGTH) {
        problems.push(`#${index} (${kind}) bad error line ${JSON.stringify(result.error)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('commandResponse', () => {
  it('answers ok with data and the transaction', () => {
    expect(JSON.parse(commandResponse({ status: 'ok', data: { volume: 0.5 } }, 'tx-1'))).toEqual({ status: 'ok', data: { volume: 0.5 }, transaction: 'tx-1' });
  });

  it('answers ok without data or transaction', () => {
    expect(commandResponse({ status: 'ok' })).toBe('{"status":"ok"}');
  });

  it('answers an error with its line and a numeric transaction', () => {
    expect(commandResponse({ status: 'error', error: 'unknown command "x"' }, 3)).toBe('{"status":"error","error":"unknown command \\"x\\"","transaction":3}');
  });
});
