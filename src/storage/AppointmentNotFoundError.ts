import { KioskVoiceError } from '../errors.js';

/** No booked appointment has this reference (it never existed, or it was cancelled or moved). */
export class AppointmentNotFoundError extends KioskVoiceError {
  readonly reference: string;

  constructor(reference: string) {
    super(`no booked appointment has the reference ${JSON.stringify(reference)}`, 'check the reference the kiosk gave at booking, or look the booking up by name and time');
    this.reference = reference;
  }
}
