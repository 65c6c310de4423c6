import { DateTime } from 'luxon';
import type { SiteConfig } from '../config/siteSchema.js';
import { AppointmentNotFoundError } from '../storage/AppointmentNotFoundError.js';
import type { FrontDeskDatabase } from '../storage/FrontDeskDatabase.js';
import type { Appointment, LeadRecord, MessageRecord, NewAppointment } from '../storage/records.js';
import { SlotTakenError } from '../storage/SlotTakenError.js';
import type { FrontDeskEvent, HandoffReason, Urgency } from './FrontDeskEvent.js';
import type { PartOfDay } from './time/partOfDay.js';
import { SiteCalendar } from './time/SiteCalendar.js';
import type { BookingCheck, BookingRefusal, Slot } from './time/Slot.js';
import { type BusyPeriod, SlotFinder } from './time/SlotFinder.js';

export type { BookingCheck, BookingRefusal, Slot } from './time/Slot.js';
export type { PartOfDay } from './time/partOfDay.js';

type Refused = Extract<BookingCheck, { ok: false }>;

/** Tries at booking a time whose resource another writer took between the check and the write. */
const BOOKING_ATTEMPTS = 3;

/**
 * The front desk's business, for the flows and the LLM tools alike: hours, free slots, bookings,
 * messages, leads, handoffs and knowledge gaps. Every write goes through the database, which has
 * the last word on double bookings. Times in the database are UTC; everything here is in the
 * site's zone.
 */
export class FrontDesk {
  readonly site: SiteConfig;
  readonly calendar: SiteCalendar;
  private readonly db: FrontDeskDatabase;
  private readonly clock: () => DateTime;
  private readonly slots: SlotFinder;

  constructor(options: { site: SiteConfig; db: FrontDeskDatabase; now?: () => DateTime }) {
    this.site = options.site;
    this.db = options.db;
    this.calendar = new SiteCalendar(options.site);
    this.clock = options.now ?? (() => DateTime.now());
    this.slots = new SlotFinder({ site: this.site, calendar: this.calendar, busy: (ids, from, to) => this.db.appointments.busy(ids, from, to) });
  }

  /** The current time in the site's zone. */
  now(): DateTime {
    return this.clock().setZone(this.site.timezone);
  }

  /**
   * Whether `start` can be booked for the service (writes nothing); the slot names a free resource.
   * `moving`: the reference of a booking being rescheduled to `start`, whose own current time then
   * does not count against it (10:00 → 10:15 overlaps only itself), as in reschedule. A reference
   * with no booked appointment is ignored.
   */
  check(serviceId: string, start: DateTime, options: { moving?: string } = {}): BookingCheck {
    const moving = options.moving === undefined ? undefined : this.findBooking(options.moving);
    return this.slots.check(serviceId, start, this.now(), moving === undefined ? {} : { ignore: heldBy(moving) });
  }

  /** Free slots from `from` on, in time order (default 3); none for an unknown service. */
  freeSlots(serviceId: string, from: DateTime, limit = 3, options: { partOfDay?: PartOfDay; sameDayOnly?: boolean } = {}): Slot[] {
    return this.slots.freeSlots(serviceId, from, this.now(), limit, options);
  }

  /**
   * Books the service at `start` for the visitor. Checked first; the database then re-checks inside
   * its transaction, so a slot taken meanwhile (another kiosk, another process) is refused as
   * 'taken' with alternatives rather than booked twice.
   */
  book(serviceId: string, start: DateTime, visitor: { name?: string; contact?: string }): { ok: true; appointment: Appointment; slot: Slot } | Refused {
    // A resource taken meanwhile may leave another free at the same time: check again, a few times.
    for (let attempt = 0; attempt < BOOKING_ATTEMPTS; attempt += 1) {
      const check = this.check(serviceId, start);
      if (!check.ok) return check;
      try {
        const appointment = this.db.appointments.book(this.newAppointment(check.slot, visitor));
        return { ok: true, appointment, slot: check.slot };
      } catch (error) {
        if (!(error instanceof SlotTakenError)) throw error;
      }
    }
    return { ok: false, reason: 'taken', alternatives: this.freeSlots(serviceId, start) };
  }

  /**
   * Moves a booked appointment to `start` (same service, visitor and contact), in one transaction:
   * the old time stays booked if the new one is refused. The appointment's own current time does
   * not count against the move (a shift by 15 minutes may overlap it).
   */
  reschedule(
    reference: string,
    start: DateTime,
  ): { ok: true; appointment: Appointment; previous: Appointment; slot: Slot } | { ok: false; reason: BookingRefusal | 'not-found'; alternatives: Slot[] } {
    const previous = this.findBooking(reference);
    if (previous === undefined) return { ok: false, reason: 'not-found', alternatives: [] };
    const ignore = heldBy(previous);
    const check = this.slots.check(previous.serviceId, start, this.now(), { ignore });
    if (!check.ok) return check;
    const visitor = { ...(previous.visitorName === null ? {} : { name: previous.visitorName }), ...(previous.contact === null ? {} : { contact: previous.contact }) };
    try {
      const appointment = this.db.appointments.reschedule(previous.reference, this.newAppointment(check.slot, visitor));
      return { ok: true, appointment, previous, slot: check.slot };
    } catch (error) {
      if (error instanceof SlotTakenError) {
        const again = this.slots.check(previous.serviceId, start, this.now(), { ignore });
        return { ok: false, reason: 'taken', alternatives: again.ok ? [again.slot] : again.alternatives };
      }
      if (error instanceof AppointmentNotFoundError) return { ok: false, reason: 'not-found', alternatives: [] };
      throw error;
    }
  }

  /** Cancels a booked appointment by its reference; the row stays as history. */
  cancel(reference: string): { ok: true; appointment: Appointment } | { ok: false; reason: 'not-found' } {
    try {
      return { ok: true, appointment: this.db.appointments.cancel(reference) };
    } catch (error) {
      if (error instanceof AppointmentNotFoundError) return { ok: false, reason: 'not-found' };
      throw error;
    }
  }

  /** The booked appointment with this reference (case-insensitive); cancelled ones are not found. */
  findBooking(reference: string): Appointment | undefined {
    const found = this.db.appointments.findByReference(reference);
    return found?.status === 'booked' ? found : undefined;
  }

  /** The booked appointment for this name starting at `start` (a visitor who lost the reference). */
  findBookingByNameAndStart(name: string, start: DateTime): Appointment | undefined {
    return this.db.appointments.findByNameAndStart(name, utc(start.startOf('minute')));
  }

  /** Stores a message for the team. */
  takeMessage(message: { visitorName?: string; contact?: string; text: string }): MessageRecord {
    return this.db.messages.add({ visitorName: message.visitorName ?? null, contact: message.contact ?? null, text: message.text });
  }

  /** Stores a qualified lead. */
  saveLead(lead: Omit<LeadRecord, 'id' | 'createdAt'>): LeadRecord {
    return this.db.leads.add(lead);
  }

  /**
   * Records that a person is wanted and returns the event for the main thread. `staffAvailable`
   * says whether anyone is on duty now, so the kiosk can promise a person or take a message honestly.
   */
  requestHandoff(handoff: { reason: HandoffReason; urgency: Urgency; summary: string }): Extract<FrontDeskEvent, { type: 'handoff' }> {
    const staffAvailable = this.staffAvailable();
    const row = this.db.handoffs.add({ reason: handoff.reason, urgency: handoff.urgency, summary: handoff.summary, staffAvailable });
    return { type: 'handoff', id: row.id, reason: handoff.reason, urgency: handoff.urgency, summary: handoff.summary, staffAvailable };
  }

  /** Logs a question the kiosk could not answer, for the operator to add to the FAQ. */
  recordGap(question: string): void {
    this.db.gaps.record(question);
  }

  /** Whether someone can come to the desk now (site.handoff.staffedHours, else the opening hours). */
  staffAvailable(): boolean {
    return this.calendar.isStaffedAt(this.now());
  }

  private newAppointment(slot: Slot, visitor: { name?: string; contact?: string }): NewAppointment {
    const service = this.site.services.find((candidate) => candidate.id === slot.serviceId)!;
    return {
      serviceId: slot.serviceId,
      resourceId: slot.resourceId,
      startUtc: utc(slot.start),
      endUtc: utc(slot.end),
      blockedUntilUtc: utc(slot.end.plus({ minutes: service.bufferMinutes })),
      timezone: this.site.timezone,
      visitorName: visitor.name ?? null,
      contact: visitor.contact ?? null,
    };
  }
}

const utc = (t: DateTime) => t.toUTC().toISO()!;

/** The time an appointment holds on its resource, buffer included. */
function heldBy(appointment: Appointment): BusyPeriod {
  return { resourceId: appointment.resourceId, startUtc: appointment.startUtc, blockedUntilUtc: appointment.blockedUntilUtc };
}
