import { decodeThrottled, type ThrottleFlag } from '../system/cpuReadings.js';
import type { CheckOutcome } from './DoctorCheck.js';

/** `throttled=0x50005` → 0x50005; undefined for anything else. */
export function parseThrottled(output: string): number | undefined {
  const match = /throttled=(0x[0-9a-f]+|\d+)\b/i.exec(output.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const POWER_ADVICE = 'use the official power supply (27 W USB-C for a Pi 5, 15 W for a Pi 4) and a short, thick cable; unpowered USB devices add to the load';
const COOLING_ADVICE = 'cool the board: a heatsink or the Active Cooler, and a ventilated case; answers get slower while it is throttled';

/**
 * Under-voltage now is a failure (SD cards get corrupted, USB devices drop out); every other flag,
 * now or since boot, a warning.
 */
export function judgeThrottled(value: number): CheckOutcome {
  const hex = `throttled=0x${value.toString(16)}`;
  const flags = decodeThrottled(value);
  if (flags.length === 0) return { status: 'ok', detail: `no under-voltage, capping or throttling since boot (${hex})` };
  const list = (when: ThrottleFlag['when']) => flags.filter((f) => f.when === when).map((f) => f.condition);
  const now = list('now');
  const earlier = list('since boot').filter((c) => !now.includes(c));
  const detail = [now.length > 0 ? `now: ${now.join(', ')}` : '', earlier.length > 0 ? `since boot: ${earlier.join(', ')}` : ''].filter(Boolean).join('; ');
  const power = flags.some((f) => f.condition === 'under-voltage');
  const heat = flags.some((f) => f.condition !== 'under-voltage');
  const advice = [power ? POWER_ADVICE : '', heat ? COOLING_ADVICE : ''].filter(Boolean).join('; ');
  const status = flags.some((f) => f.when === 'now' && f.condition === 'under-voltage') ? 'fail' : 'warn';
  return { status, detail: `${detail} (${hex})`, advice };
}
