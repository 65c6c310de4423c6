import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where Linux lists thermal zones. */
export const THERMAL_ROOT = '/sys/class/thermal';

/**
 * The Raspberry Pi firmware driver's copy of `vcgencmd get_throttled`: readable by any user,
 * without /dev/vchiq or a child process, on Raspberry Pi OS kernels.
 */
export const GET_THROTTLED_FILE = '/sys/devices/platform/soc/soc:firmware/get_throttled';

/** One thermal zone's reading. */
export interface ThermalReading {
  zone: string;
  /** `cpu-thermal` on a Pi, `x86_pkg_temp` on a PC. */
  type: string;
  celsius: number;
}

/** Every readable thermal zone under `root` (sysfs reports millidegrees Celsius). */
export function readThermalZones(root = THERMAL_ROOT): ThermalReading[] {
  let zones: string[];
  try {
    zones = readdirSync(root).filter((name) => /^thermal_zone\d+$/.test(name));
  } catch {
    return [];
  }
  const readings: ThermalReading[] = [];
  for (const zone of zones) {
    const read = (file: string) => {
      try {
        return readFileSync(join(root, zone, file), 'utf8').trim();
      } catch {
        return undefined;
      }
    };
    const milli = Number.parseInt(read('temp') ?? '', 10);
    if (Number.isFinite(milli)) readings.push({ zone, type: read('type') ?? zone, celsius: milli / 1000 });
  }
  return readings;
}

/** One condition the Raspberry Pi firmware reports in `get_throttled`. */
export interface ThrottleFlag {
  bit: number;
  /** Set now, or at some time since boot. */
  when: 'now' | 'since boot';
  condition: 'under-voltage' | 'frequency capped' | 'throttled' | 'soft temperature limit';
}

/** The documented bits (Raspberry Pi documentation, "vcgencmd get_throttled"). */
const FLAGS: readonly ThrottleFlag[] = [
  { bit: 0, when: 'now', condition: 'under-voltage' },
  { bit: 1, when: 'now', condition: 'frequency capped' },
  { bit: 2, when: 'now', condition: 'throttled' },
  { bit: 3, when: 'now', condition: 'soft temperature limit' },
  { bit: 16, when: 'since boot', condition: 'under-voltage' },
  { bit: 17, when: 'since boot', condition: 'frequency capped' },
  { bit: 18, when: 'since boot', condition: 'throttled' },
  { bit: 19, when: 'since boot', condition: 'soft temperature limit' },
];

/** The flags set in a get_throttled value, current ones first. */
export function decodeThrottled(value: number): ThrottleFlag[] {
  // The bits above 16 do not fit a 32-bit signed shift test once bit 31 is set; divide instead.
  return FLAGS.filter((flag) => Math.floor(value / 2 ** flag.bit) % 2 === 1);
}

/**
 * The firmware's throttle value from the sysfs file, or undefined where there is none (not a Pi)
 * or it cannot be read. The kernel prints it in hex without a prefix (`50005`); `0x50005` is
 * accepted too.
 */
export function readThrottled(file = GET_THROTTLED_FILE): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const match = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(text);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}
