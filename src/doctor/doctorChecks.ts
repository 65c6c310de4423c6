import { audioCaptureCheck } from './audioCaptureCheck.js';
import { audioPlaybackCheck } from './audioPlaybackCheck.js';
import { configCheck } from './configCheck.js';
import { cpuTemperatureCheck, throttlingCheck } from './cpuChecks.js';
import type { DoctorCheck } from './DoctorCheck.js';
import { gpioCheck } from './gpioCheck.js';
import { modelsCheck } from './modelsCheck.js';
import { databaseCheck } from './databaseCheck.js';
import { mqttCheck } from './mqttCheck.js';
import { diskCheck, memoryCheck } from './resourceChecks.js';
import { systemdCheck } from './systemdCheck.js';
import { librariesCheck, nativeAddonsCheck, nodeCheck } from './versionChecks.js';

/**
 * Every check `kiosk-voice doctor` runs, in the order of the report: the configuration, what the
 * kiosk talks to, what it runs on, how it is run. A new check is one module and one entry here.
 */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configCheck,
  audioCaptureCheck,
  audioPlaybackCheck,
  gpioCheck,
  modelsCheck,
  mqttCheck,
  databaseCheck,
  cpuTemperatureCheck(),
  throttlingCheck,
  memoryCheck,
  diskCheck,
  nodeCheck,
  librariesCheck,
  nativeAddonsCheck,
  systemdCheck,
];
