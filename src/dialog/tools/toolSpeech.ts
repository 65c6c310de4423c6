import type { DateTime } from 'luxon';
import type { SiteConfig } from '../../config/siteSchema.js';
import type { BookingRefusal, Slot } from '../time/Slot.js';
import { speakList } from '../replies.js';
import { speakSlot } from '../time/speak.js';

/**
 * Sentences the tools speak. Tool results are read aloud (or handed to a model that reads them
 * out), so they are short, plain and say only what the visitor asked about.
 */
export const toolSpeech = {
  /** "K47" → "K 4 7": a TTS voice reads letters and digits one by one, not as a word. */
  reference(reference: string): string {
    return reference.split('').join(' ');
  },

  /** "Tuesday the 9th at 10:00, 10:30 or Wednesday the 10th at 09:00". */
  slots(slots: Slot[], now: DateTime): string {
    return speakList(slots.map((slot) => speakSlot(slot.start, now)));
  },

  /** Why a time cannot be booked, with the site's own limits. */
  refusal(reason: BookingRefusal | 'not-found', site: SiteConfig): string {
    switch (reason) {
      case 'taken':
        return 'That time is already taken.';
      case 'closed-day':
        return "We're closed that day.";
      case 'outside-hours':
        return "That's outside our opening hours.";
      case 'too-soon':
        return `That's too soon: bookings need at least ${site.booking.minNoticeMinutes} minutes' notice.`;
      case 'too-far':
        return `That's too far ahead: bookings can be made up to ${site.booking.maxDaysAhead} days ahead.`;
      case 'past':
        return 'That time has already passed.';
      case 'unknown-service':
        return "That isn't a service I can book.";
      case 'not-found':
        return "I can't find a booking with that reference. Please check the reference you were given when you booked.";
    }
  },

  /** The refusal and, when there are any, what could be booked instead. */
  refusalWithAlternatives(reason: BookingRefusal | 'not-found', alternatives: Slot[], site: SiteConfig, now: DateTime): string {
    const refusal = toolSpeech.refusal(reason, site);
    return alternatives.length > 0 ? `${refusal} I could offer ${toolSpeech.slots(alternatives, now)}.` : refusal;
  },
};
