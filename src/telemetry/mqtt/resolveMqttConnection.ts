import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import { resolveDeviceId } from './deviceId.js';
import type { MqttConnectionOptions } from './MqttConnection.js';

/** A CA, certificate, key or password file named in `mqtt.*` cannot be used; the message names the setting and the file. */
export class MqttSettingsError extends KioskVoiceError {}

/** What the config decides about the connection; the caller adds the last will and the logger. */
export type ResolvedMqttConnection = Omit<MqttConnectionOptions, 'will' | 'logger'>;

/** No certificate, key or password file is anywhere near this big; a bigger one is the wrong file. */
const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/** The topic prefix of this kiosk: `mqtt.baseTopic`, or `kiosk/<deviceId>`. */
export function resolveBaseTopic(config: Pick<KioskConfig, 'deviceId' | 'mqtt'>, hostname?: string): string {
  return config.mqtt.baseTopic ?? `kiosk/${resolveDeviceId(config, hostname)}`;
}

/**
 * Turns `mqtt.*` into connection options: reads the TLS files and the password file (so a
 * missing or unreadable one stops the start with a clear line instead of a TLS error on every
 * retry). The password itself may come from the config file or, like any setting, from
 * KIOSK_VOICE__MQTT__PASSWORD in an environment file. `env` supplies $CREDENTIALS_DIRECTORY for
 * relative paths.
 */
export function resolveMqttConnection(config: KioskConfig, env: NodeJS.ProcessEnv, hostname?: string): ResolvedMqttConnection {
  const { mqtt } = config;
  if (mqtt.url === undefined) throw new MqttSettingsError('mqtt.url is not set, so MQTT is off', 'set mqtt.url (e.g. mqtt://broker.local:1883) to use MQTT');
  const base = env.CREDENTIALS_DIRECTORY || process.cwd();
  const read = (setting: string, file: string | undefined) => (file === undefined ? undefined : readSecretFile(setting, resolveIn(base, file)));
  const resolved: ResolvedMqttConnection = {
    url: mqtt.url,
    clientId: `kiosk-voice-${resolveDeviceId(config, hostname)}`,
    keepaliveSeconds: mqtt.keepaliveSeconds,
    connectTimeoutMs: mqtt.connectTimeoutMs,
    reconnectMinMs: mqtt.reconnectMinMs,
    reconnectMaxMs: mqtt.reconnectMaxMs,
  };
  if (mqtt.username !== undefined) resolved.username = mqtt.username;
  const password = mqtt.password ?? (mqtt.passwordFile === undefined ? undefined : firstLine(read('mqtt.passwordFile', mqtt.passwordFile)!, mqtt.passwordFile));
  if (password !== undefined) resolved.password = password;
  if (mqtt.url.startsWith('mqtts://')) {
    resolved.tls = { rejectUnauthorized: mqtt.tls.rejectUnauthorized };
    const ca = read('mqtt.tls.ca', mqtt.tls.ca);
    const cert = read('mqtt.tls.cert', mqtt.tls.cert);
    const key = read('mqtt.tls.key', mqtt.tls.key);
    if (ca) resolved.tls.ca = ca;
    if (cert) resolved.tls.cert = cert;
    if (key) resolved.tls.key = key;
  }
  return resolved;
}

function resolveIn(base: string, file: string): string {
  return isAbsolute(file) ? file : resolve(base, file);
}

function readSecretFile(setting: string, file: string): Buffer {
  const hint = `check ${setting} and that the user the kiosk runs as can read the file`;
  try {
    const { size } = statSync(file);
    if (size > MAX_SECRET_FILE_BYTES) throw new MqttSettingsError(`${setting} ${file} is ${size} bytes, too big for a certificate, key or password file`, hint);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof MqttSettingsError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new MqttSettingsError(`cannot read ${setting} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code}`, hint, { cause: error });
  }
}

function firstLine(content: Buffer, file: string): string {
  const line = content.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new MqttSettingsError(`mqtt.passwordFile ${file} is empty: its first line must be the password`, 'write the password on the first line of the file');
  return line;
}
