import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import type { Logger } from '../../logging/createLogger.js';
import { displayUrl, MqttConnection } from './MqttConnection.js';
import { resolveMqttConnection } from './resolveMqttConnection.js';

/** The broker could not be reached (or refused the kiosk) in time. */
export class BrokerUnreachableError extends KioskVoiceError {}

/** MQTT is off in this configuration. */
export class MqttNotConfiguredError extends KioskVoiceError {}

/**
 * One connection for a tool (doctor, `kiosk-voice mqtt …`): the kiosk's own settings, a client id
 * of its own so the running kiosk is not thrown off, no last will. Resolves once connected;
 * rejects with BrokerUnreachableError saying why the last attempt failed.
 */
export async function connectBroker(config: KioskConfig, env: NodeJS.ProcessEnv, logger: Logger, purpose: string, timeoutMs = config.mqtt.connectTimeoutMs): Promise<MqttConnection> {
  if (!config.mqtt.url) throw new MqttNotConfiguredError('MQTT is off: mqtt.url is not set', 'set mqtt.url (e.g. mqtt://broker.local:1883) in the config file');
  const resolved = resolveMqttConnection(config, env);
  const connection = new MqttConnection({ ...resolved, clientId: `${resolved.clientId}-${purpose}-${process.pid}`, logger });
  let lastFailure = 'no answer';
  const onFailure = ({ reason }: { reason: string }) => (lastFailure = reason);
  connection.on('attemptFailed', onFailure);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BrokerUnreachableError(`cannot connect to ${displayUrl(resolved.url)} within ${timeoutMs / 1000} s: ${lastFailure}`, 'check mqtt.url, the broker, and the username, password and TLS files')), timeoutMs);
      connection.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.start();
    });
  } catch (error) {
    await connection.close(500);
    throw error;
  } finally {
    connection.off('attemptFailed', onFailure);
  }
  return connection;
}
