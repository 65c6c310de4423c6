#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { KioskVoiceError } from './errors.js';
import { registerAppointmentsCommand } from './cli/appointmentsCommand.js';
import { registerBenchCommand } from './cli/benchCommand.js';
import { registerBenchReportCommand } from './cli/benchReportCommand.js';
import { registerBenchStreamingCommand } from './cli/benchStreamingCommand.js';
import { registerCaptureBenchCommand } from './cli/captureBenchCommand.js';
import { registerDemoCommand } from './cli/demoCommand.js';
import { registerDevicesCommand } from './cli/devicesCommand.js';
import { registerDoctorCommand } from './cli/doctorCommand.js';
import { registerGapsCommand } from './cli/gapsCommand.js';
import { registerLeadsCommand } from './cli/leadsCommand.js';
import { registerModelsCommand } from './cli/modelsCommand.js';
import { registerMqttCommand } from './cli/mqttCommand.js';
import { registerRunCommand } from './cli/runCommand.js';
import { VERSION } from './version.js';


function reportAndExit(error: unknown): never {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const line = error instanceof KioskVoiceError ? error.toUserLine() : error instanceof Error ? error.message : String(error);
  process.stderr.write(`kiosk-voice: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  if (process.env.KIOSK_VOICE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

const program = new Command('kiosk-voice')
  .description('On-device voice agent for a kiosk: VAD, speech recognition, LLM and TTS on the device.')
  .version(VERSION)
  .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (overrides config logLevel)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerRunCommand(program);
registerDemoCommand(program);
registerModelsCommand(program);
registerBenchCommand(program);
registerBenchReportCommand(program);
registerBenchStreamingCommand(program);
registerCaptureBenchCommand(program);
registerDevicesCommand(program);
registerDoctorCommand(program);
registerAppointmentsCommand(program);
registerLeadsCommand(program);
registerGapsCommand(program);
registerMqttCommand(program);

process.on('unhandledRejection', reportAndExit);
// `kiosk-voice … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  reportAndExit(error);
});
program.parseAsync(process.argv).catch(reportAndExit);
