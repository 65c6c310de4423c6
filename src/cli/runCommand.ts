import type { Command } from 'commander';
import { runService } from '../app/runService.js';
import type { KioskConfigInput } from '../config/schema.js';
import { createLogger } from '../logging/createLogger.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface RunOptions {
  config?: string;
  models?: string;
  modelsDir?: string;
  inputDevice?: string;
  outputDevice?: string;
  trigger?: string;
  pretty?: boolean;
}

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
    .option('--pretty', 'human-readable log lines instead of JSON (overrides logFormat)')
    .addHelpText(
      'after',
      '\nTurns start on the push button (hw.gpio.button.pin), the wake phrase, or — in open-mic mode,\n' +
        'the default without a button — whenever someone speaks. List devices with `kiosk-voice devices`.\n\n' +
        'As a service (systemd/kiosk-voice.service, Type=notify): READY=1 once models are loaded and\n' +
        'audio is open; the watchdog is fed only while mic, workers and turn state are alive; logs go\n' +
        'to the journal with their priorities. SIGINT/SIGTERM stop it within 5 s; SIGUSR1 makes the\n' +
        'log one level more verbose, SIGUSR2 restores the configured level.',
    )
    .action(async (options: RunOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      const flags: KioskConfigInput = { audio: {} };
      if (options.inputDevice) flags.audio!.capture = { device: options.inputDevice };
      if (options.outputDevice) flags.audio!.playback = { device: options.outputDevice };
      if (options.trigger) flags.turn = { trigger: options.trigger as NonNullable<KioskConfigInput['turn']>['trigger'] };
      if (options.pretty) flags.logFormat = 'pretty';
      const runtime = { ...options, logLevel };
      const { config, modelsDir } = resolveRuntimeConfig(runtime, flags);
      const logger = createLogger(config.logLevel, { format: config.logFormat, bindings: { service: 'kiosk-voice' } });
      const { code, forced } = await runService({
        config,
        modelsDir,
        logger,
        configFile: options.config,
        // Resolved exactly as at start: a set_config or a pipeline restart sees the same layers.
        reloadConfig: () => resolveRuntimeConfig(runtime, flags),
        resolveFileTree: (tree) => resolveRuntimeConfig({ ...runtime, configValues: tree, onWarning: () => undefined }, flags).config,
      });
      // A forced stop may leave a hung child or worker behind; the loop would never drain.
      if (forced) process.exit(code);
      process.exitCode = code;
    });
}
