import type { Command } from 'commander';
import { VoiceAgent } from '../agent/VoiceAgent.js';
import { LiveCapture } from '../audio/capture/LiveCapture.js';
import { createAudioSink } from '../audio/playback/createAudioSink.js';
import type { KioskConfigInput } from '../config/schema.js';
import { createLogger } from '../logging/createLogger.js';
import { turnLatencies } from '../turn/Turn.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface RunOptions {
  config?: string;
  models?: string;
  modelsDir?: string;
  inputDevice?: string;
  outputDevice?: string;
}

/** A repeat of the stop signal within this time is the same request, not an insistence. */
const DUPLICATE_SIGNAL_MS = 1000;

/** How often the health snapshot is logged while all is well. */
const HEALTH_LOG_INTERVAL_MS = 5 * 60_000;

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('listen on the microphone and answer through the speaker (the daemon)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-m, --models <set>', 'model set from models/manifest.json')
    .option('--models-dir <dir>', 'where the model files are')
    .option('--input-device <name>', 'capture device: ALSA PCM or part of its name (overrides audio.capture.device)')
    .option('--output-device <name>', 'playback device: ALSA PCM or part of its name (overrides audio.playback.device)')
    .addHelpText('after', '\nEvery utterance the VAD hears is a turn (open mic). Stops cleanly on SIGINT/SIGTERM.\nList devices with `kiosk-voice devices`.')
    .action(async (options: RunOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      const flags: KioskConfigInput = { audio: {} };
      if (options.inputDevice) flags.audio!.capture = { device: options.inputDevice };
      if (options.outputDevice) flags.audio!.playback = { device: options.outputDevice };
      const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel }, flags);
      const logger = createLogger(config.logLevel, { service: 'kiosk-voice' });

      const capture = new LiveCapture(config.audio.capture, { logger });
      capture.on('health', (health) => logger.info(health, 'capture state'));
      const agent = new VoiceAgent({
        config,
        modelsDir,
        logger,
        capture,
        createSink: (sampleRate) => createAudioSink(config.audio.playback, sampleRate, logger),
      });
      agent.on('turn', (turn) => {
        const latency = turnLatencies(turn);
        logger.info(
          { turn: turn.id, path: turn.path, transcript: turn.transcript, reply: turn.reply, endOfSpeechToFirstAudioMs: Math.round(latency.endOfSpeechToFirstAudio), problem: turn.problem },
          'turn',
        );
      });

      const stopped = new Promise<number>((resolve) => {
        let stoppingSince: number | undefined;
        const stop = (signal: string, code: number) => {
          if (stoppingSince !== undefined) {
            // `timeout` and some supervisors signal the process and then its group: one request.
            if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(code || 130);
          }
          stoppingSince = Date.now();
          logger.info({ signal }, 'stopping');
          void agent.stop().then(() => resolve(code));
        };
        process.on('SIGINT', () => stop('SIGINT', 0));
        process.on('SIGTERM', () => stop('SIGTERM', 0));
        agent.on('fatal', (error) => {
          logger.fatal({ err: error }, 'the agent cannot go on; exiting so the service manager restarts it');
          stop('fatal', 1);
        });
      });

      const loadMs = await agent.start();
      logger.info({ loadMs, capture: config.audio.capture.device, playback: config.audio.playback.device, fullDuplex: config.audio.fullDuplex }, 'listening');
      const healthTimer = setInterval(() => logger.info({ health: agent.health() }, 'health'), HEALTH_LOG_INTERVAL_MS);
      healthTimer.unref();
      const code = await stopped;
      clearInterval(healthTimer);
      logger.info('stopped');
      process.exitCode = code;
    });
}
