import { KioskVoiceError } from '../../../errors.js';
import type { Logger } from '../../../logging/createLogger.js';
import type { MqttMessage } from '../MqttConnection.js';
import { CommandRateLimiter } from './CommandRateLimiter.js';
import { parseCommandRequest, type CommandArgsByCommand, type CommandName, type CommandRequest, type Transaction } from './commandRequests.js';
import { commandResponse, type CommandResult } from './commandResponse.js';

/** What the kiosk does for each command; a handler's value is the response's `data`, a throw its `error`. */
export type CommandHandlers = { [K in CommandName]: (args: CommandArgsByCommand[K]) => unknown };

/** One audited command: what was asked, how it ended, never its arguments (they may hold secrets). */
export interface AuditRecord {
  command: string;
  outcome: 'ok' | 'error' | 'refused' | 'rate-limited';
  transaction?: Transaction;
  error?: string;
  /** For set_config: the settings that changed (paths only). */
  changed?: string[];
  ms: number;
  at: string;
}

export interface CommandDispatcherOptions {
  handlers: CommandHandlers;
  perMinute: number;
  logger: Logger;
  /** Publishes a response; `correlationData` when it goes to the requester's MQTT 5 response topic. */
  respond: (topic: string, payload: string, correlationData?: Buffer) => Promise<void>;
  audit: (record: AuditRecord) => void;
  /** The kiosk's own response topic for a command. */
  responseTopic: (command: string) => string;
}

/** A response topic a requester may name: no wildcards, not a `$SYS`-style topic, a sane length. */
const usableResponseTopic = (topic: string) => topic.length > 0 && topic.length <= 1024 && !/[#+\0]/.test(topic) && !topic.startsWith('$');

/**
 * Carries out commands from `<base>/request/<command>`: checks the request, applies the rate limit
 * per command, runs its handler, answers on `<base>/response/<command>` (and on the request's MQTT 5
 * response topic with its correlation data) and audits every request, refused ones included.
 */
export class CommandDispatcher {
  private readonly limiter: CommandRateLimiter;

  constructor(private readonly options: CommandDispatcherOptions) {
    this.limiter = new CommandRateLimiter(options.perMinute);
  }

  async dispatch(command: string, message: MqttMessage): Promise<void> {
    const started = performance.now();
    const request = parseCommandRequest(command, message.payload);
    let result: CommandResult;
    let outcome: AuditRecord['outcome'];
    let changed: string[] | undefined;
    if (!request.ok) {
      result = { status: 'error', error: request.error };
      outcome = 'refused';
    } else if (!this.limiter.take(request.command)) {
      result = { status: 'error', error: `rate limited: at most ${this.options.perMinute} ${request.command} requests a minute; try again shortly` };
      outcome = 'rate-limited';
    } else {
      try {
        const data = await this.run(request);
        result = data === undefined ? { status: 'ok' } : { status: 'ok', data };
        outcome = 'ok';
        changed = changedPaths(data);
      } catch (error) {
        result = { status: 'error', error: error instanceof KioskVoiceError ? error.toUserLine() : String((error as Error)?.message ?? error) };
        outcome = 'error';
      }
    }
    const transaction = request.transaction;
    const payload = commandResponse(result, transaction);
    const known = request.ok ? request.command : command;
    await this.options.respond(this.options.responseTopic(known), payload);
    if (message.responseTopic !== undefined && message.correlationData !== undefined && usableResponseTopic(message.responseTopic)) {
      await this.options.respond(message.responseTopic, payload, message.correlationData);
    }
    const record: AuditRecord = {
      command: known.length > 64 ? `${known.slice(0, 63)}…` : known,
      outcome,
      ...(transaction !== undefined && { transaction }),
      ...(result.status === 'error' && { error: result.error }),
      ...(changed && { changed }),
      ms: Math.round((performance.now() - started) * 10) / 10,
      at: new Date().toISOString(),
    };
    this.options.logger.info({ audit: record }, `mqtt command ${record.command}: ${outcome}`);
    this.options.audit(record);
  }

  private run(request: CommandRequest): unknown {
    // The request's command and its arguments belong together (see CommandRequest).
    const handler = this.options.handlers[request.command] as (args: CommandRequest['args']) => unknown;
    return handler(request.args);
  }
}

function changedPaths(data: unknown): string[] | undefined {
  if (typeof data !== 'object' || data === null || !('changes' in data) || !Array.isArray(data.changes)) return undefined;
  return data.changes.map((change: { path?: unknown }) => String(change.path));
}
