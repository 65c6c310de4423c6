import { CommanderError, type Command } from 'commander';
import type { ConfigWarning } from '../config/loadConfig.js';
import type { KioskConfigInput } from '../config/schema.js';
import type { DoctorContext, LoadedRuntimeConfig } from '../doctor/DoctorCheck.js';
import { DOCTOR_CHECKS } from '../doctor/doctorChecks.js';
import { buildReport, formatCheckLine } from '../doctor/doctorReport.js';
import { runChecks } from '../doctor/runChecks.js';
import { createLogger } from '../logging/createLogger.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface DoctorOptions {
  config?: string;
  models?: string;
  modelsDir?: string;
  inputDevice?: string;
  outputDevice?: string;
  json?: boolean;
}

/** Exit code for bad flags: as for a failed check, never mistaken for "only warnings" (1). */
const USAGE_EXIT_CODE = 2;

/** Adds `doctor` to the program. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check what a kiosk needs — audio devices, GPIO, model files, temperature, memory, disk, versions, the service — one line per check')
    .option('-c, --config <file>', 'YAML or JSON config file (as for `run`)')
    .option('-m, --models <set>', 'model set from models/manifest.json (as for `run`)')
    .option('--models-dir <dir>', 'where the model files are')
    .option('--input-device <name>', 'capture device to check (overrides audio.capture.device)')
    .option('--output-device <name>', 'playback device to check (overrides audio.playback.device)')
    .option('--json', 'print one JSON object on stdout: {checks: [{name, status, detail, advice?}], worst, exitCode}')
    .addHelpText(
      'after',
      '\nEach line: ok|warn|fail, the check, what was found and — for warn and fail — what to do.\n' +
        'Exit code: 0 when every check is ok, 1 when the worst is a warning, 2 when a check failed\n' +
        '(or the flags are wrong). Checks that open a device or start a tool give up after a few\n' +
        'seconds, so a hung device shows as a fail line. Stop the kiosk-voice service first: it\n' +
        'holds the audio devices and GPIO lines.',
    )
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (message, write) => write(`kiosk-voice doctor: ${message.replace(/^error: /, '').trim()} — see \`kiosk-voice doctor --help\`\n`),
    })
    .exitOverride((error) => {
      // Commander says 1 for a usage error; for doctor 1 means "only warnings".
      throw error.exitCode === 1 ? new CommanderError(USAGE_EXIT_CODE, error.code, error.message) : error;
    })
    .action(async (options: DoctorOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      const env = process.env;
      const load = loadConfig(options, logLevel, env);
      const context: DoctorContext = {
        load,
        configFile: options.config,
        modelSet: options.models,
        env,
        // The report says what went wrong; backend logs only with an explicit --log-level (which
        // the config loader has validated when it loaded), and always as JSON on stderr, so that
        // stdout holds nothing but the report even under systemd.
        logger: createLogger(load.ok && logLevel ? load.config.logLevel : 'silent', { format: 'json', bindings: { service: 'kiosk-voice', command: 'doctor' } }),
      };
      const nameWidth = Math.max(...DOCTOR_CHECKS.map((check) => check.name.length));
      const results = await runChecks(DOCTOR_CHECKS, context, {
        onResult: options.json ? undefined : (result) => process.stdout.write(`${formatCheckLine(result, nameWidth)}\n`),
      });
      const report = buildReport(results);
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      // Exit rather than wait for the event loop: a check cut off by its timeout may still be
      // closing what it opened, and that must not keep doctor alive after the report.
      process.stdout.write('', () => process.exit(report.exitCode));
    });
}

/** The configuration exactly as `run` loads it, with the same flags; a failure is the config check's to report. */
function loadConfig(options: DoctorOptions, logLevel: string | undefined, env: NodeJS.ProcessEnv): LoadedRuntimeConfig {
  const flags: KioskConfigInput = { audio: {} };
  if (options.inputDevice) flags.audio!.capture = { device: options.inputDevice };
  if (options.outputDevice) flags.audio!.playback = { device: options.outputDevice };
  const warnings: ConfigWarning[] = [];
  try {
    const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel, env, onWarning: (warning) => warnings.push(warning) }, flags);
    return { ok: true, config, modelsDir, warnings };
  } catch (error) {
    return { ok: false, error };
  }
}
