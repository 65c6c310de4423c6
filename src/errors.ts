/**
 * Base class for every error kiosk-voice reports to a person. The message says what is wrong;
 * `hint` says what to do about it. The CLI prints both on one line and exits non-zero.
 */
export class KioskVoiceError extends Error {
  /** What the user should do next, e.g. "run `kiosk-voice models fetch --set test`". */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }

  /** One line for a terminal: the problem, then what to do. */
  toUserLine(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}
