import type { PcmFrame } from '../pcm.js';

/** A frame from a live microphone: 16 kHz mono, after channel selection, gain and resampling. */
export interface CapturedFrame extends PcmFrame {
  /** When the frame's last sample was captured, on the shared monotonic clock (ms). */
  capturedAt: number;
}

export type MicState = 'starting' | 'running' | 'stalled' | 'reopening' | 'failed' | 'stopped';

/** What the capture supervisor reports for health checks and telemetry. */
export interface CaptureHealth {
  state: MicState;
  backend: 'naudiodon' | 'arecord' | undefined;
  /** The configured device name or ALSA PCM. */
  device: string;
  /** Frames delivered per second over the last few seconds (50 at 20 ms frames). */
  framesPerSecond: number;
  /** Overruns reported by the driver or backend (audio lost because we read too late). */
  xruns: number;
  /** Times the device was reopened after an error, a stall or an unplug. */
  restarts: number;
  lastError: string | undefined;
}

/**
 * A live microphone. Frames keep coming across device errors and reopens (`sampleIndex` stays
 * contiguous; audio lost while the device was away is not made up). Iterating ends after `close()`.
 */
export interface CaptureSource extends AsyncIterable<CapturedFrame> {
  /** Opens the device in the background; frames flow from then on. Idempotent. */
  start(): void;
  health(): CaptureHealth;
  close(): Promise<void>;
}
