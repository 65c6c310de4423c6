/**
 * A speech recogniser as the ears worker drives it: one utterance at a time, audio pushed as it
 * arrives. Streaming engines decode as they go and report partials; segment engines (pocketsphinx,
 * sherpa offline models) only collect and recognise the whole segment when it ends.
 */
export interface AsrEngine {
  /** True when `acceptSpeech` yields partial transcripts while the visitor is still speaking. */
  readonly streaming: boolean;
  /** Resolves once the recogniser is loaded (at once for in-process engines); rejects if it cannot be. */
  ready(): Promise<void>;
  /** A new utterance starts; forget the previous one. */
  startUtterance(): void;
  /**
   * 16 kHz mono samples of the current utterance, in order, including the pre-roll before the VAD
   * fired. Returns the partial transcript when it changed, otherwise undefined.
   */
  acceptSpeech(samples: Int16Array): string | undefined;
  /**
   * The utterance ended. `segment` is the whole utterance with padding on both sides (engines that
   * streamed may ignore it). Resolves to the final transcript, '' when nothing was recognised.
   */
  finishUtterance(segment: Int16Array): Promise<string>;
  /** Frees native resources; the engine is unusable afterwards. */
  dispose(): void;
}
