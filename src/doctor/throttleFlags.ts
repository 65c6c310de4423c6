import type { CheckOutcome } from './DoctorCheck.js';

/** One condition the Raspberry Pi firmware reports in `vcgencmd get_throttled`. */
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

/** `throttled=0x50005` → 0x50005; undefined for anything else. */
export function parseThrottled(output: string): number | undefined {
  const match = /throttled=(0x[0-9a-f]+|\d+)\b/i.exec(output.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The flags set in a get_throttled value, current ones first. */
export function decodeThrottled(value: number): ThrottleFlag[] {
  // The bits above 16 do not fit a 32-bit signed shift test once bit 31 is set; divide instead.
  return FLAGS.filter((flag) => Math.floor(value / 2 ** flag.bit) % 2 === 1);
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
