import { KioskVoiceError } from '../errors.js';

/**
 * The database refused a booking because the resource is already booked for part of the time
 * (the `slot taken` trigger on `appointments`). Raised from inside the transaction, so nothing was
 * written; the caller offers other times.
 */
export class SlotTakenError extends KioskVoiceError {
  readonly resourceId: string;
  readonly startUtc: string;

  constructor(resourceId: string, startUtc: string, options?: { cause?: unknown }) {
    super(`${resourceId} is already booked at ${startUtc}`, 'offer another time or another resource', options);
    this.resourceId = resourceId;
    this.startUtc = startUtc;
  }
}
