import type { DateTime } from 'luxon';
import type { ServiceConfig, SiteConfig } from '../../config/siteSchema.js';
import { inPartOfDay, type PartOfDay } from './partOfDay.js';
import type { SiteCalendar } from './SiteCalendar.js';
import type { BookingCheck, Slot } from './Slot.js';

/** A stretch during which a resource is taken: a booked appointment and its buffer. UTC ISO. */
export interface BusyPeriod {
  resourceId: string;
  startUtc: string;
  blockedUntilUtc: string;
}

/** Booked periods of these resources overlapping [fromUtc, toUtc) — `db.appointments.busy`. */
export type BusyLookup = (resourceIds: string[], fromUtc: string, toUtc: string) => BusyPeriod[];

/** The resource id of a site that lists no resources: the front desk itself takes one appointment at a time. */
export const IMPLICIT_RESOURCE = 'desk';

/** Alternatives offered with a refusal. */
const MAX_ALTERNATIVES = 3;

export interface SlotSearch {
  partOfDay?: PartOfDay;
  /** Only slots on the day `from` falls on. */
  sameDayOnly?: boolean;
  /** A booked period to treat as free: the appointment being rescheduled. */
  ignore?: BusyPeriod;
}

/**
 * Finds bookable times. The rules:
 * - Starts lie on a grid of site.booking.slotStepMinutes from the start of each open range of the
 *   resource (its own hours within the site's).
 * - The whole appointment [start, start + duration) lies inside one open range: it ends by closing
 *   time and does not run into a lunch break. The buffer after it may run past closing (tidying up
 *   after the last visitor is fine), but no other booking may start inside it.
 * - A start is at least site.booking.minNoticeMinutes after now, and on a day no later than
 *   site.booking.maxDaysAhead days after today.
 * - The service's resources (all the site's resources when it lists none; the implicit "desk"
 *   when the site has none) are tried in config order; the first one free is taken.
 */
export class SlotFinder {
  private readonly site: SiteConfig;
  private readonly calendar: SiteCalendar;
  private readonly busy: BusyLookup;

  constructor(options: { site: SiteConfig; calendar: SiteCalendar; busy: BusyLookup }) {
    this.site = options.site;
    this.calendar = options.calendar;
    this.busy = options.busy;
  }

  /** Whether `start` can be booked for the service now; if not, why, with up to 3 alternatives nearest first. */
  check(serviceId: string, start: DateTime, now: DateTime, search: Pick<SlotSearch, 'ignore'> = {}): BookingCheck {
    const service = this.service(serviceId);
    if (service === undefined) return { ok: false, reason: 'unknown-service', alternatives: [] };
    const asked = start.setZone(this.calendar.zone).startOf('minute');
    const here = now.setZone(this.calendar.zone);
    const refuse = (reason: Exclude<BookingCheck, { ok: true }>['reason']): BookingCheck => ({ ok: false, reason, alternatives: this.alternatives(service, asked, here, search.ignore) });
    if (asked < here) return refuse('past');
    if (asked.startOf('day') > this.lastDay(here)) return refuse('too-far');
    if (this.calendar.hoursOn(asked).length === 0) return refuse('closed-day');
    const end = asked.plus({ minutes: service.durationMinutes });
    const working = this.resourcesFor(service).filter((resourceId) => this.calendar.resourceHoursOn(resourceId, asked).some((range) => range.open <= asked && end <= range.close));
    if (working.length === 0) return refuse('outside-hours');
    if (asked < this.earliest(here)) return refuse('too-soon');
    const busy = this.busyOn(service, asked, search.ignore);
    const resourceId = working.find((id) => this.isFree(id, asked, service, busy));
    if (resourceId === undefined) return refuse('taken');
    return { ok: true, slot: { serviceId: service.id, resourceId, start: asked, end } };
  }

  /**
   * Free slots from `from` on (never before now plus the notice), in time order, one per start
   * time; an unknown service has none.
   */
  freeSlots(serviceId: string, from: DateTime, now: DateTime, limit = MAX_ALTERNATIVES, search: SlotSearch = {}): Slot[] {
    const service = this.service(serviceId);
    if (service === undefined || limit <= 0) return [];
    const here = now.setZone(this.calendar.zone);
    const start = from.setZone(this.calendar.zone);
    const lastDay = search.sameDayOnly ? start.startOf('day') : this.lastDay(here);
    const found: Slot[] = [];
    for (let day = start.startOf('day'); day <= lastDay && found.length < limit; day = day.plus({ days: 1 })) {
      for (const slot of this.slotsOn(service, day, here, search.ignore)) {
        if (slot.start < start) continue;
        if (search.partOfDay !== undefined && !inPartOfDay(slot.start.hour * 60 + slot.start.minute, search.partOfDay)) continue;
        found.push(slot);
        if (found.length === limit) break;
      }
    }
    return found;
  }

  /** Which resources can serve the service, in the order they are tried. */
  resourcesFor(service: ServiceConfig): string[] {
    if (service.resources.length > 0) return service.resources;
    if (this.site.resources.length > 0) return this.site.resources.map((resource) => resource.id);
    return [IMPLICIT_RESOURCE];
  }

  /**
   * Up to 3 free slots near the asked time: the asked day's nearest first, then the following days
   * (each day's slots nearest to the asked time of day). Asked beyond the booking horizon: the
   * last bookable days, counting back.
   */
  private alternatives(service: ServiceConfig, asked: DateTime, now: DateTime, ignore: BusyPeriod | undefined): Slot[] {
    const today = now.startOf('day');
    const lastDay = this.lastDay(now);
    const askedMinutes = asked.hour * 60 + asked.minute;
    const beyond = asked.startOf('day') > lastDay;
    const found: Slot[] = [];
    let day = beyond ? lastDay : asked.startOf('day') < today ? today : asked.startOf('day');
    while (found.length < MAX_ALTERNATIVES && day >= today && day <= lastDay) {
      const slots = this.slotsOn(service, day, now, ignore);
      const distance = (slot: Slot) => (day.hasSame(asked, 'day') ? Math.abs(slot.start.diff(asked).toMillis()) : Math.abs(slot.start.hour * 60 + slot.start.minute - askedMinutes) * 60_000);
      slots.sort((a, b) => distance(a) - distance(b) || a.start.toMillis() - b.start.toMillis());
      found.push(...slots.slice(0, MAX_ALTERNATIVES - found.length));
      day = day.plus({ days: beyond ? -1 : 1 });
    }
    return found;
  }

  /** Every free slot of the day that can still be booked, in time order. */
  private slotsOn(service: ServiceConfig, day: DateTime, now: DateTime, ignore: BusyPeriod | undefined): Slot[] {
    if (day > this.lastDay(now)) return [];
    const earliest = this.earliest(now);
    const busy = this.busyOn(service, day, ignore);
    const byStart = new Map<number, Slot>();
    const step = this.site.booking.slotStepMinutes;
    for (const resourceId of this.resourcesFor(service)) {
      for (const range of this.calendar.resourceHoursOn(resourceId, day)) {
        for (let start = range.open; start.plus({ minutes: service.durationMinutes }) <= range.close; start = start.plus({ minutes: step })) {
          if (start < earliest || byStart.has(start.toMillis()) || !this.isFree(resourceId, start, service, busy)) continue;
          byStart.set(start.toMillis(), { serviceId: service.id, resourceId, start, end: start.plus({ minutes: service.durationMinutes }) });
        }
      }
    }
    return [...byStart.values()].sort((a, b) => a.start.toMillis() - b.start.toMillis());
  }

  /** The appointment with its buffer must not overlap any booked appointment with its buffer. */
  private isFree(resourceId: string, start: DateTime, service: ServiceConfig, busy: { resourceId: string; from: number; to: number }[]): boolean {
    const from = start.toMillis();
    const to = start.plus({ minutes: service.durationMinutes + service.bufferMinutes }).toMillis();
    return !busy.some((period) => period.resourceId === resourceId && period.from < to && period.to > from);
  }

  /** The booked periods that can touch a slot on the day `day` falls on. */
  private busyOn(service: ServiceConfig, day: DateTime, ignore: BusyPeriod | undefined): { resourceId: string; from: number; to: number }[] {
    const from = day.startOf('day');
    const to = from.plus({ days: 1 }).plus({ minutes: service.durationMinutes + service.bufferMinutes });
    return this.busy(this.resourcesFor(service), from.toUTC().toISO()!, to.toUTC().toISO()!)
      .filter((period) => !(ignore && period.resourceId === ignore.resourceId && Date.parse(period.startUtc) === Date.parse(ignore.startUtc)))
      .map((period) => ({ resourceId: period.resourceId, from: Date.parse(period.startUtc), to: Date.parse(period.blockedUntilUtc) }));
  }

  private earliest(now: DateTime): DateTime {
    return now.plus({ minutes: this.site.booking.minNoticeMinutes });
  }

  /** The last day on which a booking may start (today + maxDaysAhead), as its start. */
  private lastDay(now: DateTime): DateTime {
    return now.startOf('day').plus({ days: this.site.booking.maxDaysAhead });
  }

  private service(serviceId: string): ServiceConfig | undefined {
    return this.site.services.find((service) => service.id === serviceId);
  }
}
