import { KioskVoiceError } from '../errors.js';
import { connectBroker } from '../telemetry/mqtt/connectBroker.js';
import { resolveBaseTopic } from '../telemetry/mqtt/resolveMqttConnection.js';
import { configured, type DoctorCheck } from './DoctorCheck.js';

/**
 * The MQTT broker at mqtt.url: connects with the kiosk's credentials and TLS files (a client id of
 * its own, so a running kiosk stays connected) and says which protocol the broker speaks.
 */
export const mqttCheck: DoctorCheck = {
  name: 'mqtt',
  needsConfig: true,
  timeoutMs: (context) => (context.load.ok ? context.load.config.mqtt.connectTimeoutMs + 2000 : 5000),
  timeoutAdvice: 'the broker accepted TCP but never answered; check mqtt.url and the broker',
  async run(context) {
    const { config, env, logger } = configured(context);
    if (!config.mqtt.url) return { status: 'ok', detail: 'off (mqtt.url is not set): no telemetry or remote management' };
    try {
      const connection = await connectBroker(config, env, logger, 'doctor');
      const v5 = connection.protocolVersion === 5;
      await connection.close(1000);
      const detail = `connected with ${v5 ? 'MQTT 5' : 'MQTT 3.1.1 (the broker refused 5: no response topics or message expiry)'}; topics under ${resolveBaseTopic(config)}`;
      return v5 ? { status: 'ok', detail } : { status: 'warn', detail, advice: 'use a broker that speaks MQTT 5 (mosquitto 2 does)' };
    } catch (error) {
      if (error instanceof KioskVoiceError) return { status: 'fail', detail: error.message, advice: error.hint ?? 'check mqtt.url' };
      throw error;
    }
  },
};
