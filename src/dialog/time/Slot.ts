import type { DateTime } from 'luxon';

/** A bookable (or booked) time for one service on one resource, in the site's zone. */
export interface Slot {
  serviceId: string;
  resourceId: string;
  start: DateTime;
  /** End of the appointment itself; the resource's buffer comes after it. */
  end: DateTime;
}

/** Why a requested time cannot be booked. */
export type BookingRefusal = 'taken' | 'closed-day' | 'outside-hours' | 'too-soon' | 'too-far' | 'past' | 'unknown-service';

/** The answer to "can this be booked?": the slot, or the reason with up to 3 alternatives, nearest first. */
export type BookingCheck = { ok: true; slot: Slot } | { ok: false; reason: BookingRefusal; alternatives: Slot[] };
