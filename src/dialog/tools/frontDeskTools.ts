import { DateTime } from 'luxon';
import type { GbnfJsonObjectSchema } from 'node-llama-cpp';
import type { SiteConfig } from '../../config/siteSchema.js';
import type { FrontDeskEvent } from '../FrontDeskEvent.js';
import type { FrontDesk } from '../FrontDesk.js';
import { speakList, withArticle } from '../replies.js';
import { leadSummary, scoreLead } from '../scoreLead.js';
import type { Slot } from '../time/Slot.js';
import { speakDay, speakSlot, speakTime } from '../time/speak.js';
import { searchFaq } from './searchFaq.js';
import { describeIssues, param, paramsObject, type ToolParams } from './toolParams.js';
import { toolSpeech } from './toolSpeech.js';

export type ToolName =
  | 'find_free_slots'
  | 'book_appointment'
  | 'reschedule_appointment'
  | 'cancel_appointment'
  | 'take_message'
  | 'capture_lead'
  | 'request_human'
  | 'lookup_faq';

/** What a tool knows of the turn besides its arguments. */
export interface ToolContext {
  /** The visitor's own words; a question nobody could answer is logged as they asked it, not as the model rephrased it. */
  utterance?: string;
}

/**
 * What a tool did. `say` is spoken to the visitor (or given to the model as the function result,
 * with `data`); `events` go to the main thread. `error` is set when nothing was done because the
 * call itself was wrong (bad arguments, unknown tool) — the model can read it and correct itself.
 */
export interface ToolResult {
  say: string;
  events: FrontDeskEvent[];
  data?: unknown;
  error?: string;
}

/** One tool the language model may call. */
export interface FrontDeskTool {
  readonly name: ToolName;
  readonly description: string;
  /** The parameters as a JSON schema node-llama-cpp accepts (`GbnfJsonSchema`): for function calling and grammars. */
  readonly params: GbnfJsonObjectSchema;
  /**
   * Validates `args` strictly (unknown keys, wrong types and out-of-range values give an error
   * result, never an exception) and acts through the FrontDesk façade only.
   */
  execute(frontDesk: FrontDesk, args: unknown, ctx?: ToolContext): ToolResult;
}

/** Spoken when a call was refused for its arguments; the reason goes to the model in `error`. */
const CANNOT = "Sorry, I couldn't do that.";

function defineTool<T>(
  name: ToolName,
  description: string,
  params: ToolParams<T>,
  run: (frontDesk: FrontDesk, args: T, ctx: ToolContext) => ToolResult,
): FrontDeskTool {
  return {
    name,
    description,
    params: params.json,
    execute(frontDesk, args, ctx = {}) {
      const parsed = params.zod.safeParse(args ?? {});
      if (!parsed.success) return { say: CANNOT, events: [], error: `invalid parameters: ${describeIssues(parsed.error)}` };
      return run(frontDesk, parsed.data, ctx);
    },
  };
}

/** "a consultation", "an eye test". */
/** The form the tools take times in, so that a slot found can be passed straight to a booking. */
const LOCAL_FORMAT = "yyyy-MM-dd'T'HH:mm";

/** References are letters and digits; a model may pass "k-4 7". */
const referenceParam = param.text(16, 'the booking reference the visitor was given, e.g. "K47"');
const normaliseReference = (reference: string) => reference.replace(/[^\p{L}\p{N}]/gu, '').toUpperCase();

/**
 * The tools the language model can use at the front desk: find free times, book, reschedule and
 * cancel (the latter two only with the booking reference — no tool finds or lists someone's
 * booking otherwise), take a message, capture a lead, call a person and look up the FAQ. Tools see
 * the site only through the FrontDesk façade and never return configuration beyond the public
 * answers; a message or lead stores only what the call gave.
 */
export class FrontDeskTools {
  readonly tools: readonly FrontDeskTool[];

  constructor(site: SiteConfig) {
    this.tools = buildTools(site);
  }

  get(name: string): FrontDeskTool | undefined {
    return this.tools.find((tool) => tool.name === name);
  }

  /** Runs a tool by name; an unknown name is an error result like bad arguments. */
  execute(frontDesk: FrontDesk, name: string, args: unknown, ctx: ToolContext = {}): ToolResult {
    const tool = this.get(name);
    if (!tool) return { say: CANNOT, events: [], error: `unknown tool "${name}"; the tools are ${this.tools.map((t) => t.name).join(', ')}` };
    return tool.execute(frontDesk, args, ctx);
  }
}

function buildTools(site: SiteConfig): FrontDeskTool[] {
  const zone = site.timezone;
  const serviceName = (id: string) => site.services.find((service) => service.id === id)?.name ?? id;
  const localStart = (startUtc: string) => DateTime.fromISO(startUtc, { zone: 'utc' }).setZone(zone);
  const tools: FrontDeskTool[] = [];

  const serviceIds = site.services.map((service) => service.id);
  const [firstService, ...otherServices] = serviceIds;
  if (firstService !== undefined) {
    const serviceParam = param.oneOf([firstService, ...otherServices], `the service: ${site.services.map((s) => `${s.id} (${s.name}, ${s.durationMinutes} minutes)`).join(', ')}`);

    tools.push(
      defineTool(
        'find_free_slots',
        'Find the next free appointment times for a service, optionally on a given day and part of the day.',
        paramsObject({
          service: serviceParam,
          date: param.optional(param.date(zone, 'the day asked for, YYYY-MM-DD')),
          partOfDay: param.optional(param.oneOf(['morning', 'afternoon', 'evening'], 'the part of the day asked for')),
        }),
        (frontDesk, args) => {
          const now = frontDesk.now();
          const options = args.partOfDay === undefined ? {} : { partOfDay: args.partOfDay };
          const what = withArticle(serviceName(args.service));
          const data = (slots: Slot[]) => ({ slots: slots.map((slot) => ({ service: slot.serviceId, start: slot.start.toFormat(LOCAL_FORMAT) })) });
          if (args.date === undefined) {
            const slots = frontDesk.freeSlots(args.service, now, 3, options);
            if (slots.length === 0) return { say: `I have no free times for ${what} at the moment.`, events: [], data: data(slots) };
            return { say: `The next free times for ${what} are ${sayGrouped(slots, now)}.`, events: [], data: data(slots) };
          }
          if (args.date.endOf('day') < now) return { say: 'That day has already passed.', events: [], data: data([]) };
          const day = speakDay(args.date, now);
          const sameDay = frontDesk.freeSlots(args.service, args.date < now ? now : args.date, 3, { ...options, sameDayOnly: true });
          if (sameDay.length > 0) return { say: `For ${what} ${day} I have ${speakList(sameDay.map((slot) => speakTime(slot.start)))}.`, events: [], data: data(sameDay) };
          const later = frontDesk.freeSlots(args.service, args.date.plus({ days: 1 }), 3, options);
          if (later.length === 0) return { say: `I have nothing free for ${what} ${day} or after it.`, events: [], data: data(later) };
          return { say: `I have nothing free for ${what} ${day}. The next free times are ${sayGrouped(later, now)}.`, events: [], data: data(later) };
        },
      ),
      defineTool(
        'book_appointment',
        'Book an appointment once the visitor has agreed to the service, day and time. Gives the visitor a booking reference.',
        paramsObject({
          service: serviceParam,
          start: param.localDateTime(zone, 'when it starts'),
          name: param.optional(param.text(80, "the visitor's name")),
          contact: param.optional(param.text(120, "the visitor's phone number or email")),
        }),
        (frontDesk, args) => {
          const result = frontDesk.book(args.service, args.start, { name: args.name, contact: args.contact });
          const now = frontDesk.now();
          if (!result.ok) return { say: toolSpeech.refusalWithAlternatives(result.reason, result.alternatives, site, now), events: [], data: { booked: false, reason: result.reason } };
          const { appointment } = result;
          return {
            say: `Booked: ${withArticle(serviceName(appointment.serviceId))} ${speakSlot(result.slot.start, now)}. Your reference is ${toolSpeech.reference(appointment.reference)}.`,
            events: [{ type: 'appointment', action: 'booked', reference: appointment.reference, serviceId: appointment.serviceId, startUtc: appointment.startUtc }],
            data: { booked: true, reference: appointment.reference, start: result.slot.start.toFormat(LOCAL_FORMAT) },
          };
        },
      ),
    );
  }

  tools.push(
    defineTool(
      'reschedule_appointment',
      'Move a booking to another time. Needs the booking reference the visitor was given; without it, nothing can be changed.',
      paramsObject({ reference: referenceParam, start: param.localDateTime(zone, 'the new start') }),
      (frontDesk, args) => {
        const result = frontDesk.reschedule(normaliseReference(args.reference), args.start);
        const now = frontDesk.now();
        if (!result.ok) return { say: toolSpeech.refusalWithAlternatives(result.reason, result.alternatives, site, now), events: [], data: { rescheduled: false, reason: result.reason } };
        const { appointment, previous } = result;
        return {
          say: `Done: your ${serviceName(appointment.serviceId)} has moved from ${speakSlot(localStart(previous.startUtc), now)} to ${speakSlot(result.slot.start, now)}. Your new reference is ${toolSpeech.reference(appointment.reference)}.`,
          events: [{ type: 'appointment', action: 'rescheduled', reference: appointment.reference, serviceId: appointment.serviceId, startUtc: appointment.startUtc }],
          data: { rescheduled: true, reference: appointment.reference, start: result.slot.start.toFormat(LOCAL_FORMAT) },
        };
      },
    ),
    defineTool(
      'cancel_appointment',
      'Cancel a booking. Needs the booking reference the visitor was given; without it, nothing can be cancelled.',
      paramsObject({ reference: referenceParam }),
      (frontDesk, args) => {
        const result = frontDesk.cancel(normaliseReference(args.reference));
        if (!result.ok) return { say: toolSpeech.refusal(result.reason, site), events: [], data: { cancelled: false, reason: result.reason } };
        const { appointment } = result;
        return {
          say: `Cancelled: your ${serviceName(appointment.serviceId)} for ${speakSlot(localStart(appointment.startUtc), frontDesk.now())}.`,
          events: [{ type: 'appointment', action: 'cancelled', reference: appointment.reference, serviceId: appointment.serviceId, startUtc: appointment.startUtc }],
          data: { cancelled: true },
        };
      },
    ),
    defineTool(
      'take_message',
      `Take a message for ${site.handoff.contact}.`,
      paramsObject({
        text: param.text(500, 'the message, in the visitor\u2019s words'),
        name: param.optional(param.text(80, "the visitor's name")),
        contact: param.optional(param.text(120, "the visitor's phone number or email")),
      }),
      (frontDesk, args) => {
        const message = frontDesk.takeMessage({ text: args.text, visitorName: args.name, contact: args.contact });
        return { say: `I've taken your message for ${site.handoff.contact}.`, events: [{ type: 'message', id: message.id }], data: { stored: true } };
      },
    ),
    leadTool(site),
    defineTool(
      'request_human',
      `Ask ${site.handoff.contact} to come to the desk: when the visitor asks for a person, or is upset.`,
      paramsObject({
        reason: param.oneOf(['asked', 'upset'], 'asked: the visitor wants a person; upset: the visitor is angry or distressed'),
        urgency: param.oneOf(['low', 'normal', 'high'], 'how soon someone is needed'),
        summary: param.text(200, 'one line for staff: what the visitor needs'),
      }),
      (frontDesk, args) => {
        const event = frontDesk.requestHandoff({ reason: args.reason, urgency: args.urgency, summary: args.summary });
        const say = event.staffAvailable
          ? `I've let ${site.handoff.contact} know; someone will come to the desk.`
          : `Nobody from ${site.handoff.contact} is available right now. I've passed your request on, and I can also take a message with your name and number.`;
        return { say, events: [event], data: { staffAvailable: event.staffAvailable } };
      },
    ),
    defineTool(
      'lookup_faq',
      'Look up the answer to a question about this place: opening hours, address, directions, wifi, and the frequently asked questions.',
      paramsObject({ question: param.text(200, 'the question, in a few words') }),
      (frontDesk, args, ctx) => {
        const found = searchFaq(frontDesk, args.question);
        if (found) return { say: found.answer, events: [], data: { found: true, id: found.id } };
        const question = ctx.utterance?.trim() || args.question;
        frontDesk.recordGap(question);
        return { say: "I'm sorry, I don't know that. I've noted the question for the team.", events: [{ type: 'knowledgeGap', question }], data: { found: false } };
      },
    ),
  );
  return tools;
}

/** capture_lead: the answers to the site's lead questions, scored by its rules. */
function leadTool(site: SiteConfig): FrontDeskTool {
  const textQuestions = site.leads.questions.filter((question) => question.kind === 'text');
  const answerParams = Object.fromEntries(textQuestions.map((question) => [question.id, param.optional(param.text(300, `answer to "${question.ask}"`))]));
  return defineTool(
    'capture_lead',
    `Record a sales enquiry for ${site.handoff.contact} to follow up: the visitor's answers, name and how to reach them.`,
    paramsObject({
      ...answerParams,
      ...(textQuestions.length === 0 ? { need: param.optional(param.text(300, 'what the visitor is interested in')) } : {}),
      name: param.optional(param.text(80, "the visitor's name")),
      contact: param.text(120, "the visitor's phone number or email"),
    }),
    (frontDesk, args) => {
      const { name, contact, ...rest } = args as Record<string, string | undefined> & { contact: string };
      const answers = Object.fromEntries(Object.entries(rest).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const scored = scoreLead(site.leads.questions, answers);
      const { score, reasons } = scored;
      const hot = score >= site.leads.hotScore;
      const lead = frontDesk.saveLead({ answers, score, reasons, outcome: hot ? 'handoff' : 'follow-up', visitorName: name ?? null, contact });
      const events: FrontDeskEvent[] = [{ type: 'lead', id: lead.id, score, outcome: lead.outcome }];
      if (!hot) return { say: `Thank you. I've passed your details to ${site.handoff.contact}, who will get back to you.`, events, data: { stored: true } };
      const summary = leadSummary(scored, [...Object.values(answers), ...(name === undefined ? [] : [name]), contact]);
      const handoff = frontDesk.requestHandoff({ reason: 'hot-lead', urgency: 'high', summary });
      events.push(handoff);
      const say = handoff.staffAvailable
        ? `Thank you. I've let ${site.handoff.contact} know; someone will come and talk to you now.`
        : `Thank you. I've passed your details to ${site.handoff.contact}, who will call you as soon as they can.`;
      return { say, events, data: { stored: true, staffAvailable: handoff.staffAvailable } };
    },
  );
}

/** Slots on one day as "tomorrow at 10:00, 10:15 or 10:30"; across days each with its day. */
function sayGrouped(slots: Slot[], now: DateTime): string {
  const first = slots[0];
  if (first === undefined) return '';
  const oneDay = slots.every((slot) => slot.start.hasSame(first.start, 'day'));
  return oneDay ? `${speakDay(first.start, now)} at ${speakList(slots.map((slot) => speakTime(slot.start)))}` : toolSpeech.slots(slots, now);
}
