/** A loose part of the day a visitor may ask for ("friday afternoon", "tomorrow morning"). */
export type PartOfDay = 'morning' | 'afternoon' | 'evening';

/**
 * Where each part of the day starts and ends, in minutes after midnight (wall clock). Afternoon
 * starts at noon; evening at 17:00, the usual end of a working day.
 */
export const PART_OF_DAY_MINUTES: Record<PartOfDay, { from: number; to: number }> = {
  morning: { from: 0, to: 12 * 60 },
  afternoon: { from: 12 * 60, to: 17 * 60 },
  evening: { from: 17 * 60, to: 24 * 60 },
};

/** Whether a wall-clock time (minutes after midnight) falls in the part of the day. */
export function inPartOfDay(minutes: number, part: PartOfDay): boolean {
  const { from, to } = PART_OF_DAY_MINUTES[part];
  return minutes >= from && minutes < to;
}
