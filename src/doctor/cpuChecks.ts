import { readThermalZones, type ThermalReading } from '../system/cpuReadings.js';
import { DEFAULT_CHECK_TIMEOUT_MS, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { runTool } from './runTool.js';
import { judgeThrottled, parseThrottled } from './throttleFlags.js';

/** A Pi starts to throttle at 80 °C (85 °C hard limit): warn well before, fail once it is there. */
export const TEMPERATURE_WARN_C = 70;
export const TEMPERATURE_FAIL_C = 80;

/** The hottest zone decides: ok below 70 °C, warn from 70, fail from 80. */
export function judgeTemperature(readings: readonly ThermalReading[]): CheckOutcome {
  if (readings.length === 0) return { status: 'ok', detail: 'no thermal sensor exposed here (no /sys/class/thermal/thermal_zone*)' };
  const hottest = readings.reduce((a, b) => (b.celsius > a.celsius ? b : a));
  const others = readings.filter((r) => r !== hottest).map((r) => `${r.type} ${r.celsius.toFixed(1)} °C`);
  const detail = `${hottest.type} ${hottest.celsius.toFixed(1)} °C${others.length > 0 ? ` (also ${others.join(', ')})` : ''}`;
  const advice = 'cool the board: a heatsink or the Active Cooler, a ventilated case, out of direct sun';
  if (hottest.celsius >= TEMPERATURE_FAIL_C) return { status: 'fail', detail: `${detail}, at the throttling limit (${TEMPERATURE_FAIL_C} °C)`, advice };
  if (hottest.celsius >= TEMPERATURE_WARN_C) return { status: 'warn', detail: `${detail}, near the throttling limit (${TEMPERATURE_FAIL_C} °C)`, advice };
  return { status: 'ok', detail };
}

/** Options for the CPU checks; tests point them at temp trees. */
export interface CpuCheckOptions {
  thermalRoot?: string;
}

export function cpuTemperatureCheck(options: CpuCheckOptions = {}): DoctorCheck {
  return {
    name: 'cpu temperature',
    needsConfig: false,
    timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
    timeoutAdvice: 'reading /sys/class/thermal hangs: look at `dmesg`',
    run: async () => judgeTemperature(readThermalZones(options.thermalRoot)),
  };
}

/**
 * The firmware's under-voltage and throttling flags (`vcgencmd get_throttled`), which only a
 * Raspberry Pi has. `vcgencmd` talks to the firmware through /dev/vchiq, which needs the video group.
 */
export const throttlingCheck: DoctorCheck = {
  name: 'throttling',
  needsConfig: false,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'vcgencmd hangs: the firmware interface is stuck; reboot the Pi',
  async run({ env }, signal) {
    const run = await runTool('vcgencmd', ['get_throttled'], { env, signal });
    if (run.missing) return { status: 'ok', detail: 'not a Raspberry Pi (vcgencmd not found)' };
    const value = parseThrottled(run.stdout);
    if (run.code !== 0 || value === undefined) {
      const said = (run.stderr || run.stdout).trim().split('\n')[0] || `exit code ${run.code}`;
      return {
        status: 'warn',
        detail: `\`vcgencmd get_throttled\` failed: ${said}`,
        advice: 'vcgencmd needs /dev/vchiq: add the user to the video group (`sudo usermod -aG video $USER`)',
      };
    }
    return judgeThrottled(value);
  },
};
