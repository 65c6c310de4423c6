const STEP = 160; // 10 ms at 16 kHz
/** A run of this many quiet steps ends the search: short dips inside words are not the edge. */
const QUIET_STEPS_TO_STOP = 3;
/** Never below about -50 dBFS, so digital silence and hiss are not mistaken for speech. */
const MIN_THRESHOLD = 100;

function stepRms(audio: Int16Array, from: number): number {
  let sum = 0;
  const to = Math.min(audio.length, from + STEP);
  for (let i = Math.max(0, from); i < to; i++) sum += (audio[i] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, to - Math.max(0, from)));
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * Moves a VAD segment's edges out to where the signal really rises above the noise floor.
 * Silero reacts late to soft onsets ("w", "h", "f"): the first 100–200 ms of "what are…" can fall
 * before the segment it reports. The search only widens, by at most `maxShift` samples per side.
 *
 * `audio` holds the stream from stream index `audioStart`; `start`/`end` are stream indices.
 */
export function refineSpeechBounds(
  audio: Int16Array,
  audioStart: number,
  start: number,
  end: number,
  maxShift: number,
): { start: number; end: number } {
  const local = (index: number) => index - audioStart;
  const floorSteps: number[] = [];
  for (let i = Math.max(0, local(start) - 16000); i + STEP <= local(start) - maxShift; i += STEP) floorSteps.push(stepRms(audio, i));
  const threshold = Math.max(MIN_THRESHOLD, 3 * quantile(floorSteps, 0.2));

  let newStart = local(start);
  for (let i = local(start) - STEP, quiet = 0; i >= Math.max(0, local(start) - maxShift) && quiet < QUIET_STEPS_TO_STOP; i -= STEP) {
    if (stepRms(audio, i) > threshold) {
      newStart = i;
      quiet = 0;
    } else {
      quiet++;
    }
  }
  let newEnd = local(end);
  for (let i = local(end), quiet = 0; i + STEP <= Math.min(audio.length, local(end) + maxShift) && quiet < QUIET_STEPS_TO_STOP; i += STEP) {
    if (stepRms(audio, i) > threshold) {
      newEnd = i + STEP;
      quiet = 0;
    } else {
      quiet++;
    }
  }
  return { start: newStart + audioStart, end: newEnd + audioStart };
}
