/** The topics of one kiosk, all under its base topic (`kiosk/<deviceId>` unless configured). */
export class MqttTopics {
  constructor(readonly base: string) {}

  /** Retained `online` / `offline`; `offline` is also the last will. */
  get availability(): string {
    return `${this.base}/availability`;
  }

  /** Retained turn state. */
  get state(): string {
    return `${this.base}/state`;
  }

  /** Retained health snapshot. */
  get health(): string {
    return `${this.base}/health`;
  }

  /** One message per turn (QoS 0, with an expiry). */
  get turn(): string {
    return `${this.base}/telemetry/turn`;
  }

  /** Rolling latency percentiles. */
  get summary(): string {
    return `${this.base}/telemetry/summary`;
  }

  /** `event/<name>`: wake, button, turn_start, turn_end, barge_in, handoff, error, audit… */
  event(name: string): string {
    return `${this.base}/event/${name}`;
  }

  /** The filter the kiosk subscribes to for commands: only its own request topics. */
  get requests(): string {
    return `${this.base}/request/+`;
  }

  /** The command named by a request topic, or undefined when the topic is not one of ours. */
  commandOf(topic: string): string | undefined {
    const prefix = `${this.base}/request/`;
    if (!topic.startsWith(prefix)) return undefined;
    const command = topic.slice(prefix.length);
    return command.length > 0 && !command.includes('/') ? command : undefined;
  }

  response(command: string): string {
    return `${this.base}/response/${command}`;
  }
}
