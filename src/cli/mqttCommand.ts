import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { KioskVoiceError } from '../errors.js';
import { createLogger } from '../logging/createLogger.js';
import { COMMAND_NAMES } from '../telemetry/mqtt/commands/commandRequests.js';
import { connectBroker } from '../telemetry/mqtt/connectBroker.js';
import { resolveDeviceId } from '../telemetry/mqtt/deviceId.js';
import { discoveryTopic } from '../telemetry/mqtt/homeAssistantDiscovery.js';
import { MqttTopics } from '../telemetry/mqtt/MqttTopics.js';
import { resolveBaseTopic } from '../telemetry/mqtt/resolveMqttConnection.js';
import { writeStdout } from './operatorOutput.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

/** The request's argument was not a JSON object. */
export class CommandArgumentsError extends KioskVoiceError {}

/** No answer came from the kiosk in time. */
export class NoResponseError extends KioskVoiceError {}

/** The kiosk answered with `status: error`. */
export class CommandFailedError extends KioskVoiceError {}

interface MqttCliOptions {
  config?: string;
  timeout?: string;
}

function settings(options: MqttCliOptions) {
  const { config } = resolveRuntimeConfig({ config: options.config, onWarning: () => undefined });
  // Tools stay quiet: what matters is printed, or the error line.
  return { config, logger: createLogger('silent', { bindings: { service: 'kiosk-voice' } }) };
}

/** Adds `mqtt forget` (remove a decommissioned kiosk from Home Assistant) and `mqtt send` (one command, its answer). */
export function registerMqttCommand(program: Command): void {
  const mqtt = program.command('mqtt').description('the kiosk on its MQTT broker: send it a command, or remove it from Home Assistant');

  mqtt
    .command('send')
    .description(`send one command to the kiosk and print its answer (${COMMAND_NAMES.join(', ')})`)
    .argument('<command>', 'the command, e.g. health or say')
    .argument('[json]', 'its arguments as a JSON object, e.g. \'{"text": "Hello"}\'', '{}')
    .option('-c, --config <file>', 'the kiosk config file (mqtt.url, credentials, deviceId)')
    .option('--timeout <seconds>', 'how long to wait for the answer', '15')
    .addHelpText('after', '\nExit code 0 when the kiosk answered "ok", 1 on an error answer or no answer. The answer is printed as JSON.')
    .action(async (command: string, json: string, options: MqttCliOptions) => {
      let args: unknown;
      try {
        args = JSON.parse(json);
      } catch {
        throw new CommandArgumentsError(`the arguments are not valid JSON: ${json.slice(0, 80)}`, 'quote them for the shell, e.g. \'{"text": "Hello"}\'');
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new CommandArgumentsError('the arguments must be a JSON object', 'e.g. \'{"volume": 0.8}\'');
      const seconds = Number(options.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CommandArgumentsError(`--timeout must be a positive number of seconds, not ${options.timeout}`, 'e.g. --timeout 30');
      const { config, logger } = settings(options);
      const topics = new MqttTopics(resolveBaseTopic(config));
      const connection = await connectBroker(config, process.env, logger, 'cli');
      const transaction = `cli-${randomUUID()}`;
      try {
        const answer = new Promise<{ status: string; data?: unknown; error?: string }>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new NoResponseError(`no answer from ${topics.base} within ${seconds} s`, 'is the kiosk running and connected? see its availability topic, or `journalctl -u kiosk-voice`')),
            seconds * 1000,
          );
          connection.on('message', (message) => {
            if (message.topic !== topics.response(command)) return;
            try {
              const response = JSON.parse(message.payload.toString('utf8')) as { transaction?: unknown; status: string; data?: unknown; error?: string };
              if (response.transaction !== transaction) return;
              clearTimeout(timer);
              resolve(response);
            } catch {
              // Somebody else's malformed message on the topic: not our answer.
            }
          });
        });
        await connection.subscribe([topics.response(command)]);
        await connection.publish(`${topics.base}/request/${command}`, JSON.stringify({ ...args, transaction }), { qos: 1 });
        const response = await answer;
        writeStdout(`${JSON.stringify(response, null, 2)}\n`);
        if (response.status !== 'ok') throw new CommandFailedError(`${command}: ${response.error ?? 'failed'}`, 'see the error; `kiosk-voice mqtt send --help` lists the commands');
      } finally {
        await connection.close(1000);
      }
    });

  mqtt
    .command('forget')
    .description("remove this kiosk from Home Assistant and clear its retained topics (after decommissioning it)")
    .option('-c, --config <file>', 'the kiosk config file (mqtt.url, credentials, deviceId)')
    .addHelpText('after', '\nStop the kiosk first (sudo systemctl disable --now kiosk-voice): a running kiosk announces itself again when it reconnects.')
    .action(async (options: MqttCliOptions) => {
      const { config, logger } = settings(options);
      const topics = new MqttTopics(resolveBaseTopic(config));
      const deviceId = resolveDeviceId(config);
      const connection = await connectBroker(config, process.env, logger, 'forget');
      // An empty retained message deletes the retained one; for discovery it removes the device.
      const cleared = [discoveryTopic(config.mqtt.discovery.prefix, deviceId), topics.availability, topics.state, topics.health, topics.summary];
      try {
        for (const topic of cleared) await connection.publish(topic, '', { retain: true, qos: 1 });
      } finally {
        await connection.close(2000);
      }
      writeStdout(`Removed kiosk ${deviceId} from Home Assistant and cleared its retained topics:\n${cleared.map((t) => `  ${t}\n`).join('')}`);
    });
}
