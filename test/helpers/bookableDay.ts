import { DateTime } from 'luxon';
import type { SiteConfig } from '../../src/config/siteSchema.js';

/**
 * A weekday name a visitor could say today to book `serviceId` at 10:00 in the example clinic:
 * two to eight days ahead (so minimum notice and "is it today?" never matter), a day the service's
 * resource works at 10:00 and no holiday. Tests that run on the real clock speak it.
 */
export function bookableWeekdayAtTen(site: SiteConfig, serviceId: string, now = DateTime.now().setZone(site.timezone)): { weekday: string; start: DateTime } {
  const service = site.services.find((candidate) => candidate.id === serviceId)!;
  const resource = site.resources.find((candidate) => candidate.id === service.resources[0]);
  const hours = resource?.hours ?? site.hours;
  for (let ahead = 2; ahead <= 8; ahead++) {
    const day = now.plus({ days: ahead }).startOf('day');
    const weekday = day.setLocale('en').toFormat('cccc').toLowerCase() as keyof typeof hours;
    const holiday = site.exceptions.some((exception) => exception.date === day.toISODate());
    const openAtTen = (hours[weekday] ?? []).some((range) => range.open <= '10:00' && range.close >= '11:00');
    if (openAtTen && !holiday) return { weekday, start: day.set({ hour: 10 }) };
  }
  throw new Error(`no day in the next 8 bookable for ${serviceId} at 10:00: check the example site`);
}
