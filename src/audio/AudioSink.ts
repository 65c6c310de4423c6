/** Where the agent's voice goes: a speaker, or a file in the demo. */
export interface AudioSink {
  readonly sampleRate: number;
  write(samples: Int16Array): void;
  /** Resolves once everything written so far has been played. */
  drain(): Promise<void>;
  /** Cuts playback now (barge-in). */
  stop(): void;
  /** Samples actually played so far. */
  position(): number;
  /** Cuts playback and releases the device (ends a player process); the sink is unusable afterwards. */
  close(): Promise<void>;
}
