import { IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * The front desk's own facts: what the kiosk knows about the place it stands in (hours, services,
 * FAQ, guides) and how it behaves there. Everything here is operator-written; nothing a visitor
 * says ever reaches it.
 */

const LIMIT = {
  text: 1000,
  longText: 4000,
  phrase: 200,
  id: 64,
} as const;

const text = z.string().trim().min(1).max(LIMIT.text);
const longText = z.string().trim().min(1).max(LIMIT.longText);
const phrase = z.string().trim().min(1).max(LIMIT.phrase);
/** Ways a visitor may say it; matched tolerantly (see src/dialog/). */
const phrasings = z.array(phrase).max(50);
/** Lower-case letters, digits, `-` and `_`: referenced from other entries and stored in the database. */
const id = z
  .string()
  .min(1)
  .max(LIMIT.id)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_" (e.g. "consultation")');

/** `HH:MM`, 24-hour clock. */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour time as HH:MM, e.g. "09:00" or "17:30"');

const minutesOfDay = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/** One stretch of open time in a day, e.g. 09:00–12:30. */
export const openRangeSchema = z
  .strictObject({ open: clockTime, close: clockTime })
  .refine((range) => minutesOfDay(range.open) < minutesOfDay(range.close), { message: 'close must be after open on the same day (e.g. open "09:00", close "17:30")' });

/** A day's open ranges, in order and not overlapping; empty means closed. */
const dayHours = z
  .array(openRangeSchema)
  .max(6)
  .refine((ranges) => ranges.every((range, i) => i === 0 || minutesOfDay(ranges[i - 1]!.close) <= minutesOfDay(range.open)), {
    message: 'ranges must be in order and not overlap (e.g. [{open: "09:00", close: "12:30"}, {open: "13:30", close: "17:30"}])',
  });

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Opening hours per weekday; a day left out is closed. */
export const weeklyHoursSchema = z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, dayHours.default([])])) as Record<Weekday, z.ZodDefault<typeof dayHours>>);

/** A calendar date as `YYYY-MM-DD` (in the site's timezone). */
const calendarDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date as YYYY-MM-DD, e.g. "2026-12-25"');

/** A date with other hours than its weekday's: a holiday (closed) or a short day. */
export const hoursExceptionSchema = z.strictObject({
  date: calendarDate,
  /** Said in answers: "we are closed today for Christmas Day". */
  name: phrase.optional(),
  /** The day's hours; empty (the default) means closed all day. */
  hours: dayHours.default([]),
});

export const faqEntrySchema = z.strictObject({
  id,
  /** What visitors ask, e.g. "where can I park", "is there parking". */
  phrasings: phrasings.min(1),
  answer: text,
});

export const serviceSchema = z.strictObject({
  id,
  /** Spoken: "a consultation". */
  name: phrase,
  /** Other names visitors use for it ("check up", "checkup"). */
  phrasings: phrasings.default([]),
  durationMinutes: z.number().int().min(5).max(480),
  /** Kept free after each appointment (cleaning, notes); the next booking cannot start in it. */
  bufferMinutes: z.number().int().min(0).max(240).default(0),
  /** Which resources can serve it; empty means any resource. */
  resources: z.array(id).max(50).default([]),
});

export const resourceSchema = z.strictObject({
  id,
  /** Spoken when it matters: "with Dr Patel", "in room 2". */
  name: phrase,
  /** Its own working hours; the site's opening hours when absent. Always within them. */
  hours: weeklyHoursSchema.optional(),
});

export const troubleshootingGuideSchema = z.strictObject({
  id,
  /** Spoken: "the printer". */
  title: phrase,
  /** What a visitor says when this is the problem ("the printer shows an error", "printer is jammed"). */
  phrasings: phrasings.min(1),
  /** Spoken one at a time; after each the kiosk asks whether it helped. */
  steps: z.array(text).min(1).max(20),
});

/** Points a lead earns when an answer contains one of `phrasings`. */
export const leadScoreRuleSchema = z.strictObject({
  phrasings: phrasings.min(1),
  points: z.number().int().min(-100).max(100),
  /** Why, in a few words: shown to staff ("wants to start this month"). */
  reason: phrase,
});

export const leadQuestionSchema = z.strictObject({
  /** `contact` answers are read back for confirmation; `name` is how staff address the visitor. */
  id: id,
  kind: z.enum(['text', 'name', 'contact']).default('text'),
  ask: text,
  score: z.array(leadScoreRuleSchema).max(20).default([]),
});

export const leadsSchema = z.strictObject({
  /** What starts the qualification ("I'm interested in", "how much does it cost for a company"). */
  phrasings: phrasings.default([]),
  /** One question per turn, in order. */
  questions: z.array(leadQuestionSchema).max(10).default([]),
  /** From this score a lead is hot: handed to a person now (or a call booked when nobody is free). */
  hotScore: z.number().int().min(0).max(1000).default(60),
  /** From this score a call is offered; below it the details are kept for follow-up. */
  warmScore: z.number().int().min(0).max(1000).default(30),
  /** The service booked for a call-back (one of `services`); none means details are kept for follow-up. */
  callServiceId: id.optional(),
});

export const handoffSchema = z.strictObject({
  /** Who is told, as the kiosk says it: "the team", "reception". */
  contact: phrase.default('the team'),
  /** When someone can come to the desk; the site's opening hours when absent. */
  staffedHours: weeklyHoursSchema.optional(),
  /** How long the LEDs show that staff were called (the pattern plays while the kiosk is idle). */
  ledMinutes: z.number().min(0).max(240).default(5),
});

export const wifiSchema = z.strictObject({
  network: phrase,
  password: phrase.optional(),
  /** Say the password to anyone who asks. Off: the kiosk gives the network name and sends visitors to the desk. */
  passwordPublic: z.boolean().default(false),
});

export const bookingSchema = z.strictObject({
  /** The earliest a booking may start, from now. */
  minNoticeMinutes: z.number().int().min(0).max(10_080).default(60),
  /** How far ahead appointments may be booked. */
  maxDaysAhead: z.number().int().min(1).max(366).default(60),
  /** Appointments start on this grid (e.g. every 15 minutes from opening). */
  slotStepMinutes: z.number().int().min(5).max(120).default(15),
});

export const siteSchema = z
  .strictObject({
    name: phrase.default('the front desk'),
    /** IANA zone name ("Europe/London"); every time the kiosk says or books is in it. */
    timezone: z
      .string()
      .default('UTC')
      .refine((zone) => IANAZone.isValidZone(zone), { message: 'an IANA timezone name, e.g. "Europe/London" or "America/New_York"' }),
    /**
     * Said at the start of every visitor session, before anything else: a visitor must know early
     * that this is an automated assistant.
     */
    disclosure: text.default("Hello, I'm the automated assistant at the front desk."),
    /** Who the kiosk is for the language model: added to llm.systemPrompt with the site's name. */
    persona: longText.optional(),
    hours: weeklyHoursSchema.prefault({}),
    exceptions: z.array(hoursExceptionSchema).max(400).default([]),
    address: text.optional(),
    directions: text.optional(),
    wifi: wifiSchema.optional(),
    faq: z.array(faqEntrySchema).max(500).default([]),
    services: z.array(serviceSchema).max(100).default([]),
    resources: z.array(resourceSchema).max(100).default([]),
    booking: bookingSchema.prefault({}),
    handoff: handoffSchema.prefault({}),
    troubleshooting: z.array(troubleshootingGuideSchema).max(100).default([]),
    leads: leadsSchema.prefault({}),
  })
  .superRefine((site, ctx) => {
    const unique = (entries: { id: string }[], where: string) => {
      const seen = new Set<string>();
      entries.forEach((entry, index) => {
        if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: [where, index, 'id'], message: `"${entry.id}" is used twice in site.${where}; give each entry its own id` });
        seen.add(entry.id);
      });
    };
    unique(site.faq, 'faq');
    unique(site.services, 'services');
    unique(site.resources, 'resources');
    unique(site.troubleshooting, 'troubleshooting');
    unique(site.leads.questions, 'leadQuestions');
    const resourceIds = new Set(site.resources.map((resource) => resource.id));
    site.services.forEach((service, index) => {
      service.resources.forEach((resource, r) => {
        if (!resourceIds.has(resource)) {
          ctx.addIssue({ code: 'custom', path: ['services', index, 'resources', r], message: `"${resource}" is not one of site.resources (${[...resourceIds].join(', ') || 'none defined'})` });
        }
      });
    });
    const { callServiceId } = site.leads;
    if (callServiceId !== undefined && !site.services.some((service) => service.id === callServiceId)) {
      ctx.addIssue({ code: 'custom', path: ['leads', 'callServiceId'], message: `"${callServiceId}" is not one of site.services` });
    }
    if (site.leads.warmScore > site.leads.hotScore) {
      ctx.addIssue({ code: 'custom', path: ['leads', 'warmScore'], message: `${site.leads.warmScore} must not be above site.leads.hotScore (${site.leads.hotScore})` });
    }
  });

export const storageSchema = z.strictObject({
  /**
   * The SQLite database of appointments, leads, messages, handoffs and knowledge gaps. Relative
   * paths are resolved against the state directory ($STATE_DIRECTORY under systemd). `:memory:`
   * keeps nothing (the demo's default).
   */
  path: z.string().min(1).max(4096).optional(),
});

export type SiteConfig = z.infer<typeof siteSchema>;
export type WeeklyHours = z.infer<typeof weeklyHoursSchema>;
export type OpenRange = z.infer<typeof openRangeSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ResourceConfig = z.infer<typeof resourceSchema>;
export type TroubleshootingGuide = z.infer<typeof troubleshootingGuideSchema>;
export type LeadQuestion = z.infer<typeof leadQuestionSchema>;
