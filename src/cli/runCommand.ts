import type { Command } from 'commander';
import { KioskDaemon } from '../app/KioskDaemon.js';
import type { KioskConfigInput } from '../config/schema.js';
import { createLogger } from '../logging/createLogger.js';
import { onStopSignal } from '../system/signals.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface RunOptions {
  config?: string;
  models?: string;
  modelsDir?: string;
  inputDevice?: string;
  outputDevice?: string;
  trigger?: string;
}

/** How often the health snapshot is logged while all is well. */
const HEALTH_LOG_INTERVAL_MS = 5 * 60_000;

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('the kiosk daemon: listen on the microphone, take turns, answer through the speaker')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-m, --models <set>', 'model set from models/manifest.json')
    .option('--models-dir <dir>', 'where the model files are')
    .option('--input-device <name>', 'capture device: ALSA PCM or part of its name (overrides audio.capture.device)')
    .option('--output-device <name>', 'playback device: ALSA PCM or part of its name (overrides audio.playback.device)')
    .option('--trigger <mode>', 'what starts a turn: button | wake | button+wake | open-mic (overrides turn.trigger)')
    .addHelpText(
      'after',
      '\nTurns start on the push button (hw.gpio.button.pin), the wake phrase, or — in open-mic mode,\n' +
        'the default without a button — whenever someone speaks. Stops cleanly on SIGINT/SIGTERM.\n' +
        'List devices with `kiosk-voice devices`.',
    )
    .action(async (options: RunOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      const flags: KioskConfigInput = { audio: {} };
      if (options.inputDevice) flags.audio!.capture = { device: options.inputDevice };
      if (options.outputDevice) flags.audio!.playback = { device: options.outputDevice };
      if (options.trigger) flags.turn = { trigger: options.trigger as NonNullable<KioskConfigInput['turn']>['trigger'] };
      const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel }, flags);
      const logger = createLogger(config.logLevel, { service: 'kiosk-voice' });
      const daemon = new KioskDaemon({ config, modelsDir, logger });

      const stopped = new Promise<number>((resolve) => {
        const stop = (code: number) => void daemon.stop().then(() => resolve(code));
        onStopSignal(logger, () => stop(0));
        daemon.on('fatal', (error) => {
          logger.fatal({ err: error }, 'the daemon cannot go on; exiting so the service manager restarts it');
          stop(1);
        });
      });

      const loadMs = await daemon.start();
      logger.info({ loadMs, capture: config.audio.capture.device, playback: config.audio.playback.device, fullDuplex: config.audio.fullDuplex }, 'listening');
      const healthTimer = setInterval(() => logger.info({ health: daemon.health() }, 'health'), HEALTH_LOG_INTERVAL_MS);
      healthTimer.unref();
      const code = await stopped;
      clearInterval(healthTimer);
      logger.info('stopped');
      process.exitCode = code;
    });
}
