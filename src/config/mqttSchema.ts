import { z } from 'zod';
import type { CrossFieldParams } from './schema.js';

/**
 * MQTT settings: telemetry, health, Home Assistant discovery and remote commands. MQTT is off
 * while `mqtt.url` is unset; a kiosk without a broker serves visitors all the same. Relative file
 * paths (`passwordFile`, `tls.*`) are resolved against $CREDENTIALS_DIRECTORY when systemd's
 * `LoadCredential=` provides one, else against the working directory.
 */

const path = z.string().min(1).max(4096);

/** A topic prefix we publish under: no wildcards (a publish to them is refused), no empty levels at the ends. */
const topicPrefix = z
  .string()
  .min(1)
  .max(200)
  .refine((topic) => !/[+#\u0000]/.test(topic) && !topic.startsWith('/') && !topic.endsWith('/'), {
    message: 'a topic without "+", "#" or a leading/trailing "/", e.g. "kiosk/lobby-1"',
  });

export const mqttTlsSchema = z.strictObject({
  /** PEM file of the CA that signed the broker's certificate; the system's CAs when absent. */
  ca: path.optional(),
  /** PEM client certificate, for brokers that authenticate kiosks by certificate (needs `key`). */
  cert: path.optional(),
  /** PEM private key of `cert`. Must be readable by the user the kiosk runs as. */
  key: path.optional(),
  /** Refuse a broker whose certificate does not verify. Turn off only to diagnose. */
  rejectUnauthorized: z.boolean().default(true),
});

export const mqttDiscoverySchema = z.strictObject({
  /** Announce the kiosk to Home Assistant (device discovery), again whenever Home Assistant restarts. */
  enabled: z.boolean().default(true),
  /** Home Assistant's discovery prefix (its MQTT integration setting). */
  prefix: topicPrefix.default('homeassistant'),
});

export const mqttCommandsSchema = z.strictObject({
  /** Accept commands on `<baseTopic>/request/<command>` (say, mute, set_config…). */
  enabled: z.boolean().default(true),
  /** Requests per minute allowed for each command; more are answered with an error. */
  perMinute: z.number().int().min(1).max(600).default(30),
});

/** `params` for a contradiction inside `mqtt`; `related` is a full setting path, as loadConfig wants it. */
const crossField = (related: string[]): CrossFieldParams => ({ crossField: true, related: [['mqtt', ...related]] });

export const mqttSchema = z
  .strictObject({
    /** The broker: `mqtt://host:1883` or `mqtts://host:8883` (TLS). MQTT is off while unset. */
    url: z
      .string()
      .min(1)
      .max(2048)
      .refine((url) => /^mqtts?:\/\//.test(url), { message: 'must start with mqtt:// or mqtts://, e.g. "mqtt://broker.local:1883"' })
      .optional(),
    /** Every topic of this kiosk lives under it. Default: `kiosk/<deviceId>`. */
    baseTopic: topicPrefix.optional(),
    username: z.string().min(1).max(256).optional(),
    /** A secret: never logged or published. Prefer `passwordFile` or KIOSK_VOICE__MQTT__PASSWORD in an environment file. */
    password: z.string().min(1).max(1024).optional(),
    /** A file whose first line is the password (e.g. a systemd credential), instead of `password`. */
    passwordFile: path.optional(),
    tls: mqttTlsSchema.prefault({}),
    /** The broker drops the kiosk (and publishes its last will, `offline`) after 1.5 × this without traffic. */
    keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
    /** A connection attempt that has no answer from the broker after this long is given up and retried. */
    connectTimeoutMs: z.number().int().min(1000).max(120_000).default(10_000),
    /** First wait before reconnecting; it doubles on each failure up to `reconnectMaxMs`. */
    reconnectMinMs: z.number().int().min(100).max(600_000).default(1000),
    reconnectMaxMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** How often the retained `health` message is refreshed (it is also sent when something changes). */
    healthSeconds: z.number().int().min(5).max(86_400).default(30),
    /** How often the rolling latency summary (`telemetry/summary`) is published. */
    summarySeconds: z.number().int().min(5).max(86_400).default(60),
    /** Turns the summary's percentiles are taken over (the most recent ones). */
    summaryWindowTurns: z.number().int().min(10).max(10_000).default(200),
    /** Per-turn telemetry older than this is dropped by the broker rather than delivered late (MQTT 5). */
    telemetryExpirySeconds: z.number().int().min(1).max(86_400).default(60),
    /** Put what the visitor said and the reply into `telemetry/turn`. Off for privacy. */
    publishTranscripts: z.boolean().default(false),
    discovery: mqttDiscoverySchema.prefault({}),
    commands: mqttCommandsSchema.prefault({}),
  })
  .superRefine((mqtt, ctx) => {
    const issue = (at: string[], related: string[], message: string) => ctx.addIssue({ code: 'custom', path: at, message, params: crossField(related) });
    if (mqtt.tls.cert !== undefined && mqtt.tls.key === undefined) issue(['tls', 'cert'], ['tls', 'key'], 'a client certificate needs its key: set mqtt.tls.key too');
    if (mqtt.tls.key !== undefined && mqtt.tls.cert === undefined) issue(['tls', 'key'], ['tls', 'cert'], 'a client key needs its certificate: set mqtt.tls.cert too');
    if (mqtt.password !== undefined && mqtt.passwordFile !== undefined) {
      issue(['password'], ['passwordFile'], 'set either mqtt.password or mqtt.passwordFile, not both');
    }
    if (mqtt.reconnectMinMs > mqtt.reconnectMaxMs) {
      issue(['reconnectMinMs'], ['reconnectMaxMs'], `${mqtt.reconnectMinMs} must not be more than mqtt.reconnectMaxMs (${mqtt.reconnectMaxMs})`);
    }
    const tlsFile = mqtt.tls.ca ?? mqtt.tls.cert ?? mqtt.tls.key;
    if (tlsFile !== undefined && mqtt.url?.startsWith('mqtt://')) {
      issue(['url'], ['tls'], 'TLS files are set but the URL is plain mqtt://: use mqtts:// (usually port 8883)');
    }
  });

/** What the top-level `deviceId` may be: it names topics, Home Assistant ids and the MQTT client id. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1–64 letters, digits, "-" and "_", e.g. "lobby-1"');

export type MqttConfig = z.infer<typeof mqttSchema>;
