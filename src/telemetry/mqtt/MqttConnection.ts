import { EventEmitter } from 'node:events';
import { connect, ErrorWithReasonCode, ReasonCodes, type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../logging/createLogger.js';

/** A message from a subscribed topic; `responseTopic`/`correlationData` only from MQTT 5 senders. */
export interface MqttMessage {
  topic: string;
  payload: Buffer;
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
  /** MQTT 5 only (ignored on 3.1.1): the broker drops the message if it cannot deliver it in time. */
  messageExpirySeconds?: number;
  /** MQTT 5 only: echoed to a requester that asked for a response on its own topic. */
  correlationData?: Buffer;
}

export interface MqttConnectionOptions {
  /** `mqtt://host:port` or `mqtts://host:port`. */
  url: string;
  clientId: string;
  username?: string;
  /** Never logged. */
  password?: string;
  /** Used with `mqtts://` only. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Published by the broker when this kiosk vanishes without a clean close; tools connecting beside the kiosk have none. */
  will?: { topic: string; payload: string; retain: boolean; qos: 0 | 1 };
  logger: Logger;
}

interface MqttConnectionEvents {
  /** A CONNACK was received; subscriptions are renewed and held QoS 1 messages sent. */
  connected: [{ protocolVersion: 4 | 5 }];
  /** An established connection ended (lost, or closed by `close()`). */
  disconnected: [{ reason: string }];
  /** A connection attempt failed (refused, unreachable, timed out); another follows after the backoff. */
  attemptFailed: [{ reason: string }];
  message: [MqttMessage];
}

/** One network connection: mqtt.js never reconnects by itself here, each attempt is a new client. */
interface Attempt {
  client: MqttClient;
  protocolVersion: 4 | 5;
  /** The CONNECT could reach the broker: TCP (or TLS) was up. */
  socketOpened: boolean;
  /** Set by CONNACK success. */
  connectedAt: number | undefined;
  /** The last error of this attempt, the reason it failed or ended. */
  error: Error | undefined;
  /** Resolvers of publishes and subscribes waiting for the broker, settled if the attempt is forced to end. */
  waiting: Set<() => void>;
  publishFailureLogged: boolean;
}

interface HeldPublish {
  topic: string;
  payload: string | Buffer;
  options: PublishOptions;
  done: () => void;
}

/** QoS 1 messages kept while the broker is away; beyond this the oldest are dropped (a kiosk may be offline for days). */
const MAX_HELD_PUBLISHES = 100;
/** v5 CONNACK 0x84 "Unsupported Protocol Version"; a 3.1.1 broker answers a v5 CONNECT with return code 1 instead. */
const UNSUPPORTED_PROTOCOL_V5 = 132;
const UNACCEPTABLE_PROTOCOL_V4 = 1;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

/**
 * The kiosk's one MQTT connection (mqtt.js 5): MQTT 5 with a fallback to 3.1.1 when the broker
 * refuses 5, a retained last will, reconnects with exponential backoff and jitter, and
 * subscriptions renewed on every connect. It never throws or rejects: a broker that is down,
 * refuses the kiosk or goes away is logged once per outage and retried, while the kiosk goes on
 * serving visitors. QoS 0 messages published while disconnected are dropped rather than queued,
 * so stale telemetry never bursts out after a reconnect.
 */
export class MqttConnection extends EventEmitter<MqttConnectionEvents> {
  private readonly options: MqttConnectionOptions;
  private readonly logger: Logger;
  private readonly broker: string;
  private readonly filters = new Set<string>();
  private attempt: Attempt | undefined;
  /** Drops to 4 for good once the broker refuses MQTT 5. */
  private version: 4 | 5 = 5;
  private held: HeldPublish[] = [];
  /** Failed attempts (and short-lived connections) in a row: the backoff exponent. */
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closing: Promise<void> | undefined;
  /** The current outage has been logged at warn; later retries go to debug. */
  private outageLogged = false;

  constructor(options: MqttConnectionOptions) {
    super();
    this.options = options;
    this.logger = options.logger;
    this.broker = displayUrl(options.url);
  }

  /** Connects in the background; calling it again does nothing. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.open();
  }

  get connected(): boolean {
    return this.attempt?.connectedAt !== undefined;
  }

  /** The protocol of the current connection; undefined while disconnected. */
  get protocolVersion(): 4 | 5 | undefined {
    return this.attempt?.connectedAt !== undefined ? this.attempt.protocolVersion : undefined;
  }

  /**
   * Resolves once the message is written (QoS 0) or acknowledged (QoS 1), or once it is given up;
   * never rejects. While disconnected, QoS 0 is dropped and QoS 1 held for the next connection.
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (topic === '' || /[+#\u0000]/.test(topic)) {
      // A publish to a wildcard makes the broker drop the whole connection.
      this.logger.warn({ topic }, 'MQTT publish skipped: not a valid topic name');
      return Promise.resolve();
    }
    const attempt = this.attempt;
    if (attempt?.connectedAt !== undefined) return this.send(attempt, topic, payload, options);
    if ((options.qos ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.held.push({ topic, payload, options, done: resolve });
      if (this.held.length > MAX_HELD_PUBLISHES) {
        const dropped = this.held.shift()!;
        this.logger.debug({ topic: dropped.topic }, 'MQTT broker away too long: oldest held message dropped');
        dropped.done();
      }
    });
  }

  /** Remembers the filters and subscribes (QoS 1) now if connected; they are renewed on every reconnect. */
  subscribe(filters: string[]): Promise<void> {
    for (const filter of filters) this.filters.add(filter);
    const attempt = this.attempt;
    if (this.closing || attempt?.connectedAt === undefined || filters.length === 0) return Promise.resolve();
    return this.sendSubscribe(attempt, filters);
  }

  /**
   * Stops reconnecting and ends the connection with a DISCONNECT (so the broker does not publish
   * the will; publish `offline` first), after in-flight QoS 1 messages are acknowledged, or forced
   * after `timeoutMs`. Publishes nothing itself; QoS 1 messages held while disconnected are dropped.
   */
  close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    clearTimeout(this.reconnectTimer);
    for (const held of this.held.splice(0)) held.done();
    const attempt = this.attempt;
    this.attempt = undefined;
    if (!attempt) return;
    const wasConnected = attempt.connectedAt !== undefined;
    await new Promise<void>((resolve) => {
      const force = () => {
        attempt.client.stream?.destroy();
        resolve();
      };
      if (!wasConnected) {
        attempt.client.end(true, force);
        return;
      }
      const timer = setTimeout(force, timeoutMs);
      attempt.client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const settle of attempt.waiting) settle();
    if (wasConnected) {
      this.logger.info({ broker: this.broker }, 'MQTT connection closed');
      this.notify('disconnected', () => this.emit('disconnected', { reason: 'closed' }));
    }
  }

  private open(): void {
    const { options } = this;
    const protocolVersion = this.version;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion,
      clean: true,
      keepalive: options.keepaliveSeconds,
      connectTimeout: options.connectTimeoutMs,
      // Reconnects are ours: each attempt is a fresh client, so the protocol can change between them.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
    };
    if (options.will) clientOptions.will = { ...options.will };
    if (options.username !== undefined) clientOptions.username = options.username;
    if (options.password !== undefined) clientOptions.password = options.password;
    const tls = options.url.startsWith('mqtts://') ? options.tls : undefined;
    if (tls) {
      clientOptions.rejectUnauthorized = tls.rejectUnauthorized;
      if (tls.ca) clientOptions.ca = tls.ca;
      if (tls.cert) clientOptions.cert = tls.cert;
      if (tls.key) clientOptions.key = tls.key;
    }
    let client: MqttClient;
    try {
      client = connect(options.url, clientOptions);
    } catch (error) {
      // Only a URL mqtt.js cannot use gets here (the schema checks the scheme); retrying cannot help.
      this.logger.error({ broker: this.broker, err: (error as Error).message }, `cannot use the MQTT broker URL ${this.broker}; MQTT stays off`);
      return;
    }
    const attempt: Attempt = { client, protocolVersion, socketOpened: false, connectedAt: undefined, error: undefined, waiting: new Set(), publishFailureLogged: false };
    this.attempt = attempt;
    client.stream.once(tls ? 'secureConnect' : 'connect', () => (attempt.socketOpened = true));
    client.on('error', (error) => {
      attempt.error = error;
      this.logger.debug({ broker: this.broker, err: error.message }, 'MQTT client error');
    });
    client.on('disconnect', (packet) => {
      const code = packet.reasonCode ?? 0;
      attempt.error = new Error(`the broker disconnected the kiosk: ${ReasonCodes[code as keyof typeof ReasonCodes] ?? `reason ${code}`}`);
    });
    client.on('connect', () => this.onConnect(attempt));
    client.on('message', (topic, payload, packet) => this.onMessage(attempt, topic, payload, packet));
    client.on('close', () => this.onClose(attempt));
  }

  private onConnect(attempt: Attempt): void {
    if (this.attempt !== attempt) return;
    attempt.connectedAt = Date.now();
    attempt.error = undefined;
    this.outageLogged = false;
    this.logger.info({ broker: this.broker, clientId: this.options.clientId, protocolVersion: attempt.protocolVersion }, `MQTT connected to ${this.broker}`);
    if (this.filters.size > 0) void this.sendSubscribe(attempt, [...this.filters]);
    for (const held of this.held.splice(0)) void this.send(attempt, held.topic, held.payload, held.options).then(held.done);
    this.notify('connected', () => this.emit('connected', { protocolVersion: attempt.protocolVersion }));
  }

  private onClose(attempt: Attempt): void {
    if (this.attempt !== attempt) return;
    this.attempt = undefined;
    // Ends mqtt.js's side of it: fails what waited for an ack (clean session, nothing to resume).
    attempt.client.end(true);
    for (const settle of attempt.waiting) settle();
    if (this.closing) return;
    const reason = attempt.error?.message ?? 'connection closed by the broker';
    if (attempt.connectedAt !== undefined) {
      this.logger.warn({ broker: this.broker, reason }, `MQTT connection to ${this.broker} lost (${reason}); reconnecting in the background`);
      this.outageLogged = true;
      // A connection that dropped soon after it was made (two kiosks sharing one client id take the
      // session from each other) keeps backing off instead of churning every reconnectMinMs.
      if (Date.now() - attempt.connectedAt >= this.options.reconnectMaxMs) this.failures = 0;
      this.notify('disconnected', () => this.emit('disconnected', { reason }));
    } else if (this.refusedVersion5(attempt)) {
      this.version = 4;
      this.logger.info({ broker: this.broker }, `MQTT broker ${this.broker} does not speak MQTT 5; using MQTT 3.1.1 (no message expiry or response topics)`);
      this.open();
      return;
    } else {
      if (!this.outageLogged) {
        this.outageLogged = true;
        this.logger.warn({ broker: this.broker, reason }, `cannot connect to MQTT broker ${this.broker}: ${reason}${hintFor(attempt.error)}; retrying in the background`);
      } else {
        this.logger.debug({ broker: this.broker, reason }, 'MQTT connection attempt failed');
      }
      this.notify('attemptFailed', () => this.emit('attemptFailed', { reason }));
    }
    this.scheduleReconnect();
  }

  /** Refused with a protocol-version code, or hung up on before any CONNACK (brokers older than MQTT 5 do either). */
  private refusedVersion5(attempt: Attempt): boolean {
    if (attempt.protocolVersion !== 5) return false;
    const { error } = attempt;
    if (error instanceof ErrorWithReasonCode) return error.code === UNSUPPORTED_PROTOCOL_V5 || error.code === UNACCEPTABLE_PROTOCOL_V4;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return attempt.socketOpened && (error === undefined || code === 'ECONNRESET' || code === 'EPIPE');
  }

  private scheduleReconnect(): void {
    const { reconnectMinMs: min, reconnectMaxMs: max } = this.options;
    const base = Math.min(max, min * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    // Jitter so a fleet that lost the same broker does not come back in lockstep.
    const delay = Math.round(Math.min(max, Math.max(min, base * (0.8 + 0.4 * Math.random()))));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.open();
    }, delay);
  }

  private send(attempt: Attempt, topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const publishOptions: IClientPublishOptions = { qos: options.qos ?? 0, retain: options.retain ?? false };
    if (attempt.protocolVersion === 5) {
      const properties: NonNullable<IClientPublishOptions['properties']> = {};
      if (options.messageExpirySeconds !== undefined) properties.messageExpiryInterval = options.messageExpirySeconds;
      if (options.correlationData !== undefined) properties.correlationData = options.correlationData;
      if (Object.keys(properties).length > 0) publishOptions.properties = properties;
    }
    return this.waitFor(attempt, (done) =>
      attempt.client.publish(topic, payload, publishOptions, (error) => {
        if (error) this.publishFailed(attempt, topic, error);
        done();
      }),
    );
  }

  private sendSubscribe(attempt: Attempt, filters: string[]): Promise<void> {
    return this.waitFor(attempt, (done) =>
      attempt.client.subscribe(filters, { qos: 1 }, (error, granted) => {
        if (error) {
          if (this.attempt === attempt) this.logger.warn({ broker: this.broker, filters, err: error.message }, 'MQTT subscribe failed');
        } else {
          // SUBACK codes of 0x80 and up are refusals (an ACL, usually).
          const refused = (granted ?? []).filter((grant) => grant.qos >= 0x80).map((grant) => grant.topic);
          if (refused.length > 0) this.logger.warn({ broker: this.broker, filters: refused }, 'MQTT broker refused the subscription; check its ACL for this kiosk');
        }
        done();
      }),
    );
  }

  /** Runs an mqtt.js call whose callback may never come if the attempt is forced to end. */
  private waitFor(attempt: Attempt, call: (done: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        attempt.waiting.delete(done);
        resolve();
      };
      attempt.waiting.add(done);
      call(done);
    });
  }

  private publishFailed(attempt: Attempt, topic: string, error: Error): void {
    // One line per connection: a lost connection fails every message in flight at once.
    const level = attempt.publishFailureLogged ? 'debug' : 'warn';
    attempt.publishFailureLogged = true;
    this.logger[level]({ broker: this.broker, topic, err: error.message }, 'MQTT publish failed');
  }

  private onMessage(attempt: Attempt, topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.attempt !== attempt) return;
    const message: MqttMessage = { topic, payload };
    const { responseTopic, correlationData } = packet.properties ?? {};
    if (responseTopic !== undefined) message.responseTopic = responseTopic;
    if (correlationData !== undefined) message.correlationData = correlationData;
    this.notify('message', () => this.emit('message', message));
  }

  /** Emits from inside mqtt.js's callbacks, where a listener's throw would break its packet loop and with it the connection. */
  private notify(event: keyof MqttConnectionEvents, emit: () => void): void {
    try {
      emit();
    } catch (error) {
      this.logger.error({ event, err: (error as Error).message }, `MQTT ${event} listener failed`);
    }
  }
}
/** The broker URL for logs and messages: scheme, host and path, never credentials. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'the MQTT broker';
  }
}

/** What the operator can do about a refusal the broker explained. */
function hintFor(error: Error | undefined): string {
  if (!(error instanceof ErrorWithReasonCode)) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
    return /CERT|SSL|TLS|SIGNATURE/.test(code) ? ' (check mqtt.tls.ca and the broker certificate)' : '';
  }
  // 4/5 are the 3.1.1 codes, 134/135 the MQTT 5 ones.
  return [4, 5, 134, 135].includes(error.code) ? ' (check mqtt.username and mqtt.password or mqtt.passwordFile)' : '';
}
