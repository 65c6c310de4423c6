/**
 * What the naudiodon playback child and its parent say to each other. Kept apart from the child's
 * entry file, which starts playing as soon as it is imported.
 *
 *   fd 3, parent → child: frames of [u32le kind][u32le byteLength][payload], kinds in `FrameKind`.
 *   IPC, child → parent: `PlaybackChildReport`.
 */

/** What the parent passes as the one command-line argument (JSON). */
export interface PlaybackChildInit {
  /** Device name or substring, matched with `matchDevice`. */
  device: string;
  sampleRate: number;
}

export const FrameKind = {
  /** S16LE mono samples to play. */
  audio: 1,
  /** Silence that pushes the last audio through PortAudio's buffer; not counted as played. */
  padding: 2,
  /** Drop everything not yet handed to PortAudio; counting restarts in a new epoch. */
  stop: 3,
} as const;

export const FRAME_HEADER_BYTES = 8;

export type PlaybackChildReport =
  | { type: 'ready'; device: { name: string; hostAPIName?: string; defaultSampleRate: number } }
  | { type: 'failed'; message: string; hint?: string }
  /** Real frames PortAudio has accepted since the epoch began (the parent counts stops). */
  | { type: 'played'; epoch: number; frames: number };
