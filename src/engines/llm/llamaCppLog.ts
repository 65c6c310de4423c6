import { LlamaLogLevel } from 'node-llama-cpp';

/** Where llama.cpp's log lines go (pino's Logger fits; bind `engine: 'llama.cpp'` on it). */
export interface LlamaLog {
  error(message: string): void;
  warn(message: string): void;
}

/**
 * The least severe llama.cpp level passed on. Not `warn`: node-llama-cpp 3.22.1's addon keeps its
 * log callback behind one process-wide flag, which the finalizer of a replaced callback clears
 * some time later (when a restarted brain worker or a second Llama sets a new one). From then on
 * the addon prints each line itself, errors to stderr but everything else to STDOUT, which must
 * stay clean (`demo --json`). At `error`, such a line can only ever land on stderr.
 */
export const LLAMA_LOG_LEVEL = LlamaLogLevel.error;

/** Error lines kept for the load error's message; the first ones are the cause, the rest follow from it. */
const KEPT_ERRORS = 8;

/**
 * node-llama-cpp's `logger` option for getLlama: each of llama.cpp's lines becomes one line of our
 * log, instead of a raw `[node-llama-cpp] …` line on the console beside the JSON log. The error
 * lines are also kept, because a failed load only throws "Failed to load model" and llama.cpp
 * says why in its log ("tensor … data is not within the file bounds").
 */
export class LlamaCppLog {
  private readonly errors: string[] = [];

  constructor(private readonly log: LlamaLog) {}

  /** For getLlama's `logger`; it calls it with one or more lines at a time. */
  readonly receive = (level: LlamaLogLevel, message: string): void => {
    for (const raw of message.split('\n')) {
      const line = raw.trimEnd();
      if (line.trim() === '') continue;
      if (level === LlamaLogLevel.fatal || level === LlamaLogLevel.error) {
        this.log.error(line);
        if (this.errors.length < KEPT_ERRORS) this.errors.push(line);
      } else this.log.warn(line);
    }
  };

  /** Forgets the error lines so far (a load succeeded; later ones belong to something else). */
  clearErrors(): void {
    this.errors.length = 0;
  }

  /**
   * Why llama.cpp failed, from its first error line since the last clear, without the name of the
   * C function that printed it: `error loading model: tensor 'x' data is not within the file bounds, …`.
   * Undefined when it logged no error.
   */
  async reason(): Promise<string | undefined> {
    // The addon hands log lines over from its own threads; let the ones already queued arrive.
    await new Promise((resolve) => setImmediate(resolve));
    const first = this.errors[0];
    return first?.replace(/^[a-z_][a-z0-9_]*: /, '');
  }
}
