/** A speech synthesiser: text in, 16-bit mono PCM out, chunk by chunk. */
export interface TtsEngine {
  /** Rate of the PCM that `speak` yields. */
  readonly sampleRate: number;
  /**
   * Synthesises one phrase. Chunks are yielded as soon as they exist so playback can start early.
   * Aborting `signal` stops synthesis and ends the iteration without an error.
   */
  speak(text: string, signal: AbortSignal): AsyncIterable<Int16Array>;
  /** Frees native resources or child processes; the engine is unusable afterwards. */
  dispose(): Promise<void>;
}
