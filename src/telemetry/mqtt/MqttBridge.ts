import type { KioskConfig } from '../../config/schema.js';
import type { FrontDeskEvent } from '../../dialog/FrontDeskEvent.js';
import type { ButtonGestureEvent } from '../../hw/Button.js';
import type { Logger } from '../../logging/createLogger.js';
import type { Turn } from '../../turn/Turn.js';
import type { StateChange } from '../../turn/TurnState.js';
import { LatencySummary } from '../LatencySummary.js';
import { turnTelemetry } from '../turnTelemetry.js';
import { CommandDispatcher, type CommandHandlers } from './commands/CommandDispatcher.js';
import { discoveryPayload, discoveryTopic } from './homeAssistantDiscovery.js';
import { MqttConnection, type MqttMessage } from './MqttConnection.js';
import { MqttTopics } from './MqttTopics.js';
import { resolveBaseTopic, resolveMqttConnection } from './resolveMqttConnection.js';
import { resolveDeviceId } from './deviceId.js';

/** What the bridge listens to: the running kiosk (a KioskDaemon), replaced on a pipeline restart. */
export interface TelemetrySource {
  on(event: 'turn', listener: (turn: Turn) => void): unknown;
  on(event: 'frontDesk', listener: (raised: { turnId: number; event: FrontDeskEvent }) => void): unknown;
  on(event: 'button', listener: (event: ButtonGestureEvent) => void): unknown;
  off(event: 'turn' | 'frontDesk' | 'button', listener: (...args: never[]) => void): unknown;
  readonly turnController: { state: string; on(event: 'stateChanged', listener: (change: StateChange) => void): unknown; off(event: 'stateChanged', listener: (change: StateChange) => void): unknown } | undefined;
}

export interface MqttBridgeOptions {
  config: KioskConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  version: string;
  /** The settings now (set_config may change `mqtt.publishTranscripts` while running). */
  currentConfig: () => KioskConfig;
  /** The health snapshot to publish (see collectHealth); called on each health tick. */
  health: () => Record<string, unknown>;
  commands: CommandHandlers;
  hostname?: string;
}

/** How often the health's discrete facts (states, restarts) are compared, to publish a change at once. */
const HEALTH_CHANGE_POLL_MS = 2000;
/** On a clean stop, `offline` and pending messages get this long to reach the broker. */
const CLOSE_TIMEOUT_MS = 1500;

/**
 * The kiosk on MQTT: availability (with a retained last will), turn state, health, per-turn
 * latency telemetry and rolling percentiles, events, Home Assistant discovery, and the command
 * topics. A broker that is absent or goes away never affects visitors: the connection retries
 * in the background, and what cannot be sent is dropped, not queued without bound.
 */
export class MqttBridge {
  readonly topics: MqttTopics;
  readonly deviceId: string;
  private readonly connection: MqttConnection;
  private readonly summary: LatencySummary;
  private readonly dispatcher: CommandDispatcher;
  private readonly discovery: { topic: string; payload: string } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private source: TelemetrySource | undefined;
  private controller: TelemetrySource['turnController'];
  private healthFingerprint = '';
  private stopped = false;

  private constructor(private readonly options: MqttBridgeOptions) {
    const { config, env, logger, hostname } = options;
    this.deviceId = resolveDeviceId(config, hostname);
    this.topics = new MqttTopics(resolveBaseTopic(config, hostname));
    this.connection = new MqttConnection({
      ...resolveMqttConnection(config, env, hostname),
      will: { topic: this.topics.availability, payload: 'offline', retain: true, qos: 1 },
      logger,
    });
    this.summary = new LatencySummary(config.mqtt.summaryWindowTurns);
    this.dispatcher = new CommandDispatcher({
      handlers: options.commands,
      perMinute: config.mqtt.commands.perMinute,
      logger,
      respond: (topic, payload, correlationData) => this.connection.publish(topic, payload, { qos: 1, ...(correlationData ? { correlationData } : {}) }),
      audit: (record) => this.publishJson(this.topics.event('audit'), record, { qos: 1 }),
      responseTopic: (command) => this.topics.response(command),
    });
    if (config.mqtt.discovery.enabled) {
      this.discovery = {
        topic: discoveryTopic(config.mqtt.discovery.prefix, this.deviceId),
        payload: JSON.stringify(discoveryPayload({ deviceId: this.deviceId, baseTopic: this.topics.base, version: options.version })),
      };
    }
    this.connection.on('connected', () => this.onConnected());
    this.connection.on('message', (message) => this.onMessage(message));
  }

  /** The bridge for this config, or undefined when MQTT is off (`mqtt.url` unset). */
  static create(options: MqttBridgeOptions): MqttBridge | undefined {
    return options.config.mqtt.url ? new MqttBridge(options) : undefined;
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  /** Connects in the background and starts the health and summary timers. */
  start(): void {
    const { mqtt } = this.options.config;
    this.connection.start();
    this.timers.push(setInterval(() => this.publishHealth(), mqtt.healthSeconds * 1000));
    this.timers.push(setInterval(() => this.publishSummary(), mqtt.summarySeconds * 1000));
    this.timers.push(setInterval(() => this.publishHealthOnChange(), HEALTH_CHANGE_POLL_MS));
    for (const timer of this.timers) timer.unref();
  }

  /** Publishes what `source` does from now on (and stops listening to the previous one). */
  attach(source: TelemetrySource): void {
    this.detach();
    this.source = source;
    this.controller = source.turnController;
    source.on('turn', this.onTurn);
    source.on('frontDesk', this.onFrontDesk);
    source.on('button', this.onButton);
    this.controller?.on('stateChanged', this.onState);
    if (this.controller) this.publishState({ state: this.controller.state, reason: 'started' });
    this.publishHealth();
  }

  /** Stops listening to the current source (before it is stopped or replaced). */
  detach(): void {
    this.source?.off('turn', this.onTurn);
    this.source?.off('frontDesk', this.onFrontDesk);
    this.source?.off('button', this.onButton);
    this.controller?.off('stateChanged', this.onState);
    this.source = undefined;
    this.controller = undefined;
  }

  /** Publishes `offline` (retained) and disconnects; the last will covers an unclean end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.detach();
    if (this.connection.connected) await this.connection.publish(this.topics.availability, 'offline', { retain: true, qos: 1 });
    await this.connection.close(CLOSE_TIMEOUT_MS);
  }

  /** Publishes an event under `event/<name>`. */
  event(name: string, data: Record<string, unknown>): void {
    this.publishJson(this.topics.event(name), { ...data, at: new Date().toISOString() }, { qos: 1 });
  }

  private onConnected(): void {
    const { config } = this.options;
    void this.connection.publish(this.topics.availability, 'online', { retain: true, qos: 1 });
    this.publishDiscovery();
    if (this.controller) this.publishState({ state: this.controller.state, reason: 'connected' });
    this.publishHealth();
    const filters = [this.topics.requests];
    if (config.mqtt.discovery.enabled) filters.push(`${config.mqtt.discovery.prefix}/status`);
    if (config.mqtt.commands.enabled || config.mqtt.discovery.enabled) void this.connection.subscribe(config.mqtt.commands.enabled ? filters : filters.slice(1));
  }

  private onMessage(message: MqttMessage): void {
    const { config } = this.options;
    if (config.mqtt.discovery.enabled && message.topic === `${config.mqtt.discovery.prefix}/status`) {
      // Home Assistant came (back): it lost retained discovery only if its broker did, but asks anyway.
      if (message.payload.toString('utf8').trim() === 'online') {
        this.publishDiscovery();
        if (this.controller) this.publishState({ state: this.controller.state, reason: 'homeassistant online' });
        this.publishHealth();
        this.publishSummary();
      }
      return;
    }
    const command = this.topics.commandOf(message.topic);
    if (command === undefined || !config.mqtt.commands.enabled) return;
    void this.dispatcher.dispatch(command, message);
  }

  private readonly onTurn = (turn: Turn): void => {
    const { mqtt } = this.options.currentConfig();
    this.summary.add(turn);
    const record = turnTelemetry(turn, { publishTranscripts: mqtt.publishTranscripts });
    void this.connection.publish(this.topics.turn, JSON.stringify(record), { qos: 0, messageExpirySeconds: mqtt.telemetryExpirySeconds });
    this.event('turn_end', { turnId: turn.id, trigger: turn.trigger, path: turn.path, outcome: turn.outcome });
    if (turn.outcome === 'failed') this.event('error', { turnId: turn.id, problem: turn.problem ?? 'turn failed' });
  };

  private readonly onState = (change: StateChange): void => {
    this.publishState({ state: change.to, from: change.from, reason: change.reason, turnId: change.turnId, trigger: change.trigger });
    const serving = change.from === 'thinking' || change.from === 'speaking';
    if (change.to === 'listening' && serving) this.event('barge_in', { turnId: change.turnId, trigger: change.trigger, reason: change.reason });
    if (change.to === 'listening') this.event('turn_start', { turnId: change.turnId, trigger: change.trigger });
    if (change.to === 'listening' && change.trigger === 'wake') this.event('wake', { turnId: change.turnId });
  };

  private readonly onButton = (event: ButtonGestureEvent): void => {
    this.event('button', { gesture: event.gesture });
  };

  private readonly onFrontDesk = ({ turnId, event }: { turnId: number; event: FrontDeskEvent }): void => {
    if (event.type === 'handoff') {
      this.event('handoff', { turnId, id: event.id, reason: event.reason, urgency: event.urgency, summary: event.summary, staffAvailable: event.staffAvailable });
    } else if (event.type === 'knowledgeGap') {
      // The visitor's own words: only where transcripts may go.
      this.event('front_desk', { turnId, type: event.type, ...(this.options.currentConfig().mqtt.publishTranscripts ? { question: event.question } : {}) });
    } else {
      this.event('front_desk', { turnId, ...event });
    }
  };

  private publishState(state: { state: string; from?: string; reason: string; turnId?: number | undefined; trigger?: string | undefined }): void {
    this.publishJson(this.topics.state, { ...state, at: new Date().toISOString() }, { retain: true, qos: 1 });
  }

  private publishHealth(): void {
    const health = this.options.health();
    this.healthFingerprint = fingerprint(health);
    this.publishJson(this.topics.health, health, { retain: true, qos: 1 });
  }

  private publishHealthOnChange(): void {
    if (fingerprint(this.options.health()) !== this.healthFingerprint) this.publishHealth();
  }

  private publishSummary(): void {
    this.publishJson(this.topics.summary, { ...this.summary.summary(), at: new Date().toISOString() }, { retain: true, qos: 0 });
  }

  private publishDiscovery(): void {
    if (this.discovery) void this.connection.publish(this.discovery.topic, this.discovery.payload, { retain: true, qos: 1 });
  }

  private publishJson(topic: string, value: unknown, options: { retain?: boolean; qos?: 0 | 1 }): void {
    if (this.stopped) return;
    void this.connection.publish(topic, JSON.stringify(value), options);
  }
}

/** The discrete facts of a health snapshot (mic and worker states, restarts, volume), not its ever-changing figures. */
function fingerprint(health: Record<string, unknown>): string {
  const mic = health.mic as { state?: string; restarts?: number } | undefined;
  const workers = (health.workers as { name: string; state: string; restarts: number }[] | undefined) ?? [];
  return JSON.stringify([mic?.state, mic?.restarts, workers.map((w) => [w.name, w.state, w.restarts]), health.volume]);
}
