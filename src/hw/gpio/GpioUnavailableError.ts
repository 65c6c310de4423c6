import { KioskVoiceError } from '../../errors.js';

/** Why a GPIO line or chip could not be used. */
export type GpioUnavailableReason =
  /** The user may not open the chip (not in the `gpio` group). */
  | 'permission'
  /** Another program (or the kernel) holds the line. */
  | 'busy'
  /** The configured chip, or a header GPIO controller, does not exist here. */
  | 'noChip'
  /** The backend's tools or module are not installed. */
  | 'noTools'
  /** Anything else the tool or kernel reported. */
  | 'failed';

/**
 * A GPIO line, chip or backend cannot be used. The kiosk runs on without it (no button, no LED),
 * so this is reported once and never ends the daemon.
 */
export class GpioUnavailableError extends KioskVoiceError {
  constructor(
    readonly reason: GpioUnavailableReason,
    message: string,
    hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}
