import { DateTime } from 'luxon';
import type { ServiceConfig } from '../../config/siteSchema.js';
import type { Appointment } from '../../storage/records.js';
import type { FrontDesk } from '../FrontDesk.js';
import type { FrontDeskEvent } from '../FrontDeskEvent.js';
import type { IntentMatch } from '../IntentMatcher.js';
import { capitalise, lowerFirst, onDay, speakList, speakNotice, speakRanges, spellReference, withArticle } from '../replies.js';
import { classifyAnswer, type AnswerKind } from '../text/classifyAnswer.js';
import { extractName } from '../text/extractName.js';
import { extractReference } from '../text/extractReference.js';
import { findService } from '../text/findService.js';
import { normaliseUtterance } from '../text/normaliseUtterance.js';
import type { PartOfDay } from '../time/partOfDay.js';
import { resolveWhen, type WhenRequest } from '../time/resolveWhen.js';
import { normaliseTimeText } from '../time/timeWords.js';
import { withoutSpelledRuns } from '../text/withoutSpelledRuns.js';
import type { BookingRefusal, Slot } from '../time/Slot.js';
import { speakSlot, speakTime } from '../time/speak.js';
import type { Flow, FlowTurn } from './Flow.js';
import { handOff } from './handOff.js';
import { pickOrdinal } from './pickOrdinal.js';

/** What the visitor came to do with an appointment. */
export type BookingMode = 'book' | 'reschedule' | 'cancel';

/** The question the flow is waiting on. */
type Pending =
  | { kind: 'service' }
  | { kind: 'when' }
  | { kind: 'day' }
  | { kind: 'ampm'; options: number[] }
  | { kind: 'choice'; slots: Slot[] }
  | { kind: 'confirm'; slot: Slot }
  | { kind: 'confirmCancel' }
  | { kind: 'reference' }
  | { kind: 'offerHandoff' };

/** Alternatives offered at most (the issue: "up to 3"). */
const MAX_OFFERED = 3;
/** Wrong references (or name + time that match nothing) before the kiosk offers a person instead. */
const MAX_FAILED_LOOKUPS = 2;

/**
 * A lone hour (and minutes) in normalised words: "make it 11", "11 30 please"; not "in 3 days",
 * "the 25", "2 of us" (a unit or "of" after it, "the"/"in" before it).
 */
const BARE_HOUR = /(?<!\b(?:the|in) )(?<!\d )\b([1-9]|1\d|2[0-3])(?: ([0-5]\d))?\b(?! (?:days?|weeks?|months?|years?|minutes?|hours?|of|people|staff|th|st|nd|rd|pm|am|p m|a m|o clock))/;

const ASK_WHEN = 'What day and time would suit you?';
const ASK_WHEN_INSTEAD = 'What day and time would suit you instead?';
const ASK_NEW_WHEN = 'What day and time would you like instead?';
const ASK_DAY = 'And which day would suit you?';
const ASK_REFERENCE = "What's your booking reference?";
const ASK_REFERENCE_OR_NAME = "What's your booking reference? If you don't have it, tell me the name the booking is under and its day and time.";

/**
 * Books, reschedules and cancels appointments by slot filling: the service, the day and the time
 * are taken from whatever the visitor says, in any order and over any number of turns; missing ones
 * are asked for one at a time. Nothing is written before the visitor says yes to an explicit
 * confirmation. A booking to change is found only by its reference, or by the name it is under
 * together with its exact time; nothing about any other booking is ever said.
 */
export class BookingFlow implements Flow {
  readonly name = 'booking';
  private serviceId: string | undefined;
  private date: DateTime | undefined;
  private minutes: number | undefined;
  private ambiguous: number[] | undefined;
  private partOfDay: PartOfDay | undefined;
  private visitorName: string | undefined;
  /** The visitor's own booking (reschedule, cancel), once found. */
  private booking: Appointment | undefined;
  private heardReference: string | undefined;
  /** A day and time said while the booking to change is still being looked for: its start. */
  private lookupStart: DateTime | undefined;
  private failedLookups = 0;
  private pending: Pending = { kind: 'when' };
  private question = ASK_WHEN;

  private constructor(
    private readonly frontDesk: FrontDesk,
    readonly mode: BookingMode,
  ) {}

  /** Starts the flow with the utterance that asked for it ("i'd like to book a consultation tomorrow at ten"). */
  static start(frontDesk: FrontDesk, mode: BookingMode, text: string, match?: IntentMatch): FlowTurn {
    const flow = new BookingFlow(frontDesk, mode);
    if (mode === 'book' && match?.entityId && frontDesk.site.services.some((service) => service.id === match.entityId)) flow.serviceId = match.entityId;
    flow.absorb(text);
    return flow.advance();
  }

  handle(text: string, match: IntentMatch | undefined): FlowTurn | undefined {
    const answer = classifyAnswer(text);
    if (answer === 'repeat') return this.ask(this.question);
    if (answer === 'stop') return this.end(this.mode === 'book' ? "All right, I haven't booked anything." : 'All right, your booking stays as it is.');
    // Words that answer nothing here and match another topic: the dialog manager takes them.
    if (answer === undefined && match !== undefined && !this.owns(match)) return undefined;
    switch (this.pending.kind) {
      case 'confirm':
        return this.onConfirm(text, answer, this.pending.slot);
      case 'confirmCancel':
        if (answer === 'yes') return this.commitCancel();
        if (answer === 'no') return this.end('All right, your booking stays as it is.');
        return undefined;
      case 'offerHandoff':
        if (answer === 'yes') {
          const what = this.mode === 'cancel' ? 'cancel' : 'change';
          return handOff(this.frontDesk, { reason: 'asked', urgency: 'normal', summary: `Visitor wants to ${what} a booking but it could not be found by reference or name and time` });
        }
        if (answer === 'no') return this.end('All right. You can also ask at the desk.');
        return this.onLookupWords(text, answer);
      case 'reference':
        return this.onLookupWords(text, answer);
      case 'choice':
        return this.onChoice(text, answer, this.pending.slots);
      case 'ampm':
        return this.onAmPm(text, this.pending.options);
      case 'service':
        return this.onService(text);
      case 'when':
      case 'day':
        if (answer === 'dontKnow') return this.offerEarliest();
        return this.absorb(text) ? this.advance() : undefined;
    }
  }

  reprompt(): string {
    return this.question;
  }

  resume(): string {
    return `So, ${lowerFirst(this.question)}`;
  }

  /** Booking words are this flow's own; a request to cancel while booking (or the reverse) starts over. */
  private owns(match: IntentMatch): boolean {
    return match.intent === this.mode || (match.intent === 'book' && this.mode === 'reschedule' && this.booking !== undefined);
  }

  // ── reading the visitor's words ────────────────────────────────────────────────────────────

  /** Takes every slot the words fill; whether any was filled. */
  private absorb(text: string): boolean {
    let filled = false;
    const name = extractName(text);
    if (name) {
      this.visitorName = name;
      filled = true;
    }
    if (this.mode === 'book') {
      const service = findService(text, this.frontDesk.site.services);
      if (service) {
        this.serviceId = service.id;
        filled = true;
      }
    }
    const looking = this.mode !== 'book' && this.booking === undefined;
    let timeText = text;
    if (looking) {
      const reference = extractReference(text);
      if (reference) {
        this.heardReference = reference;
        filled = true;
        // A spelled reference is no time: "it's 9 p b" must not become 21:00.
        timeText = withoutSpelledRuns(normaliseTimeText(text));
      }
    }
    const when = looking ? this.when(timeText) : this.when(timeText, { bareHour: true });
    if (when === undefined) return filled;
    if (looking && !this.heardReference) {
      // Without a reference a day and time can only identify the booking (with its name).
      if (when.date && when.minutes !== undefined) this.lookupStart = atMinutes(when.date, when.minutes);
      return true;
    }
    if (when.date) this.date = when.date;
    if (when.minutes !== undefined) {
      this.minutes = when.minutes;
      this.ambiguous = undefined;
    } else if (when.ambiguousMinutes?.length) {
      this.minutes = undefined;
      this.ambiguous = when.ambiguousMinutes;
    }
    if (when.partOfDay) this.partOfDay = when.partOfDay;
    return true;
  }

  private onConfirm(text: string, answer: AnswerKind | undefined, slot: Slot): FlowTurn | undefined {
    if (answer === 'yes') return this.mode === 'reschedule' ? this.commitReschedule(slot) : this.commitBooking(slot);
    if (answer === 'no' || answer === 'skip') {
      // "no, make it eleven" changes the time and keeps the day; a plain "no" asks again.
      const before = { date: this.date, minutes: this.minutes };
      this.clearWhen();
      if (this.absorb(text) && (this.date !== undefined || this.minutes !== undefined || this.ambiguous !== undefined)) {
        this.date ??= before.date;
        return this.advance();
      }
      return this.ask(ASK_WHEN_INSTEAD, { kind: 'when' });
    }
    // A new time or service said instead of yes or no.
    return this.absorb(text) ? this.advance() : undefined;
  }

  private onChoice(text: string, answer: AnswerKind | undefined, slots: Slot[]): FlowTurn | undefined {
    if (answer === 'no') {
      this.clearWhen();
      return this.ask(ASK_WHEN_INSTEAD, { kind: 'when' });
    }
    const index = pickOrdinal(text, slots.length) ?? (answer === 'yes' ? 0 : undefined);
    if (index !== undefined) return this.offerSlot(slots[index]!);
    const when = this.when(text, { bareHour: true });
    const readings = when?.minutes !== undefined ? [when.minutes] : (when?.ambiguousMinutes ?? []);
    const picked = slots.find((slot) => readings.includes(minutesOf(slot.start)) && (!when?.date || when.date.hasSame(slot.start, 'day')));
    if (picked) return this.offerSlot(picked);
    if (answer === 'dontKnow') return this.offerSlot(slots[0]!);
    // Something other than what was offered ("what about thursday?", "in the afternoon") is a new
    // request; the time asked for before stays unless a new one is said.
    return this.absorb(text) ? this.advance() : undefined;
  }

  private onAmPm(text: string, options: number[]): FlowTurn | undefined {
    const when = this.when(text, { bareHour: true });
    const normal = text.toLowerCase();
    let minutes: number | undefined;
    if (when?.minutes !== undefined) minutes = when.minutes;
    else if (/\b(?:morning|am|a m)\b/.test(normal)) minutes = options[0];
    else if (/\b(?:afternoon|evening|pm|p m|night)\b/.test(normal)) minutes = options[options.length - 1];
    else {
      const index = pickOrdinal(text, options.length);
      if (index !== undefined) minutes = options[index];
    }
    if (minutes === undefined) return undefined;
    this.minutes = minutes;
    this.ambiguous = undefined;
    if (when?.date) this.date = when.date;
    return this.advance();
  }

  private onService(text: string): FlowTurn | undefined {
    const services = this.frontDesk.site.services;
    const index = pickOrdinal(text, services.length);
    const absorbed = this.absorb(text);
    if (this.serviceId === undefined && index !== undefined) this.serviceId = services[index]!.id;
    return absorbed || this.serviceId !== undefined ? this.advance() : undefined;
  }

  private onLookupWords(text: string, answer: AnswerKind | undefined): FlowTurn | undefined {
    if (answer === 'no' || answer === 'dontKnow') return this.ask(ASK_REFERENCE_OR_NAME, { kind: 'reference' });
    return this.absorb(text) ? this.advance() : undefined;
  }

  /**
   * resolveWhen, and with `bareHour` a lone number taken as a clock time ("no, make it eleven",
   * "eleven please"): said in answer to a question about the time it can mean nothing else, though
   * in general speech it could ("two of us"). Not while a reference is being asked for (its digits).
   */
  private when(text: string, options: { bareHour?: boolean } = {}): WhenRequest | undefined {
    const now = this.frontDesk.now();
    const when = resolveWhen(text, now, this.frontDesk.calendar);
    if (!options.bareHour || when?.minutes !== undefined || when?.ambiguousMinutes) return when;
    const normal = normaliseUtterance(text);
    if (!BARE_HOUR.test(normal)) return when;
    const retried = resolveWhen(normal.replace(BARE_HOUR, (_, hour: string, minute?: string) => `at ${hour}${minute ? `:${minute}` : ''}`), now, this.frontDesk.calendar);
    return retried ?? when;
  }

  // ── deciding what to say next ──────────────────────────────────────────────────────────────

  /** The next step once the slots changed: look up, ask, offer, check or confirm. */
  private advance(prefix = ''): FlowTurn {
    if (this.mode !== 'book' && this.booking === undefined) return this.lookup();
    if (this.mode === 'cancel') {
      return this.ask(`${prefix}Cancel your ${this.serviceName(this.booking!.serviceId)} ${this.onSlot(this.bookingStart())}?`, { kind: 'confirmCancel' });
    }
    const services = this.frontDesk.site.services;
    if (this.serviceId === undefined && services.length === 1) this.serviceId = services[0]!.id;
    if (this.serviceId === undefined) {
      return this.ask(`${prefix}Would you like ${speakList(services.map((service) => withArticle(service.name)))}?`, { kind: 'service' });
    }
    if (this.ambiguous) {
      return this.ask(`${prefix}Did you mean ${speakList(this.ambiguous.map(speakMinutes))}?`, { kind: 'ampm', options: this.ambiguous });
    }
    if (this.date === undefined && this.minutes === undefined) return this.ask(`${prefix}${this.mode === 'reschedule' ? ASK_NEW_WHEN : ASK_WHEN}`, { kind: 'when' });
    if (this.date === undefined) return this.ask(`${prefix}${ASK_DAY}`, { kind: 'day' });
    if (this.minutes === undefined) return this.offerDay(this.date, prefix);
    return this.offerStart(atMinutes(this.date, this.minutes), prefix);
  }

  /** A day without a time: the first free times that day (in the part of the day asked for). */
  private offerDay(day: DateTime, prefix: string): FlowTurn {
    const serviceId = this.serviceId!;
    const now = this.frontDesk.now();
    const calendar = this.frontDesk.calendar;
    const partText = this.partOfDay ? ` in the ${this.partOfDay}` : '';
    if (calendar.hoursOn(day).length === 0) {
      const holiday = calendar.exceptionOn(day)?.name;
      const alternatives = this.frontDesk.freeSlots(serviceId, day.endOf('day'), MAX_OFFERED);
      return this.offerAlternatives(`${prefix}Sorry, we're closed ${onDay(day, now)}${holiday ? ` for ${holiday}` : ''}.`, alternatives);
    }
    const from = DateTime.max(day.startOf('day'), now);
    const slots = this.frontDesk.freeSlots(serviceId, from, MAX_OFFERED, { sameDayOnly: true, ...(this.partOfDay ? { partOfDay: this.partOfDay } : {}) });
    if (slots.length === 0) {
      const later = this.frontDesk.freeSlots(serviceId, DateTime.max(day.endOf('day'), now), MAX_OFFERED);
      return this.offerAlternatives(`${prefix}Sorry, I have nothing free ${onDay(day, now)}${partText}.`, later);
    }
    const times = speakList(slots.map((slot) => speakTime(slot.start)));
    const question = slots.length === 1 ? 'Would that suit you?' : 'Which would you like?';
    return this.ask(`${prefix}${capitalise(onDay(day, now))}${partText} I have ${times}. ${question}`, { kind: 'choice', slots });
  }

  /** "I don't know" / "whenever": the first free times from now. */
  private offerEarliest(): FlowTurn {
    if (this.serviceId === undefined) return this.advance();
    const slots = this.frontDesk.freeSlots(this.serviceId, this.frontDesk.now(), MAX_OFFERED);
    if (slots.length === 0) return this.end(`Sorry, I have nothing free in the next ${this.frontDesk.site.booking.maxDaysAhead} days. Please ask at the desk.`);
    return this.ask(`The first free times are ${this.speakSlots(slots)}. Would one of those suit you?`, { kind: 'choice', slots });
  }

  /** A day and a time: checked (no write), then confirmed or refused with alternatives. */
  private offerStart(start: DateTime, prefix: string): FlowTurn {
    // A move may overlap the booking's own current time (10:00 → 10:15): that does not count.
    const moving = this.mode === 'reschedule' && this.booking !== undefined ? { moving: this.booking.reference } : {};
    const check = this.frontDesk.check(this.serviceId!, start, moving);
    if (check.ok) return this.confirm(check.slot, prefix);
    return this.offerAlternatives(`${prefix}${this.refusal(check.reason, start)}`, check.alternatives);
  }

  private offerSlot(slot: Slot): FlowTurn {
    // What was offered may have been taken since; check again before asking to confirm.
    return this.offerStart(slot.start, '');
  }

  private confirm(slot: Slot, prefix: string): FlowTurn {
    const now = this.frontDesk.now();
    const service = this.serviceName(slot.serviceId);
    if (this.mode === 'reschedule') {
      return this.ask(`${prefix}Move your ${service} from ${speakSlot(this.bookingStart(), now)} to ${speakSlot(slot.start, now)} — shall I do that?`, { kind: 'confirm', slot });
    }
    return this.ask(`${prefix}${capitalise(speakSlot(slot.start, now))} for ${withArticle(service)} — shall I book it?`, { kind: 'confirm', slot });
  }

  private offerAlternatives(reason: string, alternatives: Slot[]): FlowTurn {
    const slots = alternatives.slice(0, MAX_OFFERED);
    if (slots.length === 0) {
      this.clearWhen();
      return this.ask(`${reason} What other day and time would suit you?`, { kind: 'when' });
    }
    const question = slots.length === 1 ? 'Would that suit you?' : 'Would one of those suit you?';
    return this.ask(`${reason} I could offer ${this.speakSlots(slots)}. ${question}`, { kind: 'choice', slots });
  }

  /** Why a time cannot be booked, in words (never anything about who has it). */
  private refusal(reason: BookingRefusal, start: DateTime): string {
    const now = this.frontDesk.now();
    const calendar = this.frontDesk.calendar;
    const booking = this.frontDesk.site.booking;
    switch (reason) {
      case 'taken':
        return `Sorry, ${speakSlot(start, now)} is already taken.`;
      case 'closed-day': {
        const holiday = calendar.exceptionOn(start)?.name;
        return `Sorry, we're closed ${onDay(start, now)}${holiday ? ` for ${holiday}` : ''}.`;
      }
      case 'outside-hours': {
        const hours = calendar.hoursOn(start);
        // The site is open but this service's room or person is not (or it would run past closing).
        if (calendar.isOpenAt(start)) return `Sorry, I can't book ${withArticle(this.serviceName(this.serviceId!))} at ${speakTime(start)} ${onDay(start, now)}.`;
        return `Sorry, ${speakTime(start)} is outside our opening hours; ${onDay(start, now)} we're open ${speakRanges(hours)}.`;
      }
      case 'too-soon':
        return `Sorry, I need at least ${speakNotice(booking.minNoticeMinutes)} notice for a booking.`;
      case 'too-far':
        return `Sorry, I can only book up to ${booking.maxDaysAhead} days ahead.`;
      case 'past':
        return 'Sorry, that time has already passed.';
      case 'unknown-service':
        return "Sorry, I can't book that here.";
    }
  }

  // ── finding the visitor's own booking ──────────────────────────────────────────────────────

  private lookup(): FlowTurn {
    let notFound: string;
    if (this.heardReference) {
      const found = this.frontDesk.findBooking(this.heardReference);
      if (found) return this.found(found);
      notFound = `I can't find a booking with reference ${spellReference(this.heardReference)}.`;
      this.heardReference = undefined;
      // A time said with the wrong reference was meant as the new time; it is asked again later.
      this.clearWhen();
    } else if (this.visitorName && this.lookupStart) {
      const found = this.frontDesk.findBookingByNameAndStart(this.visitorName, this.lookupStart);
      if (found) return this.found(found);
      notFound = "I can't find a booking under that name at that time.";
      this.lookupStart = undefined;
    } else {
      return this.ask(this.visitorName || this.lookupStart ? ASK_REFERENCE_OR_NAME : ASK_REFERENCE, { kind: 'reference' });
    }
    this.failedLookups += 1;
    if (this.failedLookups >= MAX_FAILED_LOOKUPS) {
      return this.ask(`${notFound} Would you like me to ask ${this.frontDesk.site.handoff.contact} to help?`, { kind: 'offerHandoff' });
    }
    return this.ask(`${notFound} Could you say the reference again?`, { kind: 'reference' });
  }

  private found(appointment: Appointment): FlowTurn {
    this.booking = appointment;
    this.serviceId = appointment.serviceId;
    this.failedLookups = 0;
    if (this.mode === 'cancel') return this.advance();
    return this.advance(`I've found your ${this.serviceName(appointment.serviceId)} ${this.onSlot(this.bookingStart())}. `);
  }

  // ── writing, after a yes ───────────────────────────────────────────────────────────────────

  private commitBooking(slot: Slot): FlowTurn {
    const visitor = this.visitorName ? { name: this.visitorName } : {};
    const result = this.frontDesk.book(slot.serviceId, slot.start, visitor);
    if (!result.ok) {
      // Lost a race (another kiosk, the LLM tool) or the clock moved past the notice.
      const reason = result.reason === 'taken' ? 'Sorry, that time has just been taken.' : this.refusal(result.reason, slot.start);
      return this.offerAlternatives(reason, result.alternatives);
    }
    const { appointment } = result;
    const text = `Done. You're booked for ${withArticle(this.serviceName(appointment.serviceId))} ${this.onSlot(result.slot.start)}. Your reference is ${spellReference(appointment.reference)}.`;
    return this.end(text, [appointmentEvent('booked', appointment)]);
  }

  private commitReschedule(slot: Slot): FlowTurn {
    const result = this.frontDesk.reschedule(this.booking!.reference, slot.start);
    if (!result.ok) {
      if (result.reason === 'not-found') return this.end("Sorry, I can't find that booking any more. Please ask at the desk.");
      const reason = result.reason === 'taken' ? 'Sorry, that time has just been taken.' : this.refusal(result.reason, slot.start);
      return this.offerAlternatives(reason, result.alternatives);
    }
    const { appointment } = result;
    const text = `Done. Your ${this.serviceName(appointment.serviceId)} is now ${this.onSlot(result.slot.start)}. Your reference is ${spellReference(appointment.reference)}.`;
    return this.end(text, [appointmentEvent('rescheduled', appointment)]);
  }

  private commitCancel(): FlowTurn {
    const booking = this.booking!;
    const result = this.frontDesk.cancel(booking.reference);
    if (!result.ok) return this.end("Sorry, I can't find that booking any more. Please ask at the desk.");
    const text = `Done. Your ${this.serviceName(booking.serviceId)} ${this.onSlot(this.bookingStart())} is cancelled.`;
    return this.end(text, [appointmentEvent('cancelled', result.appointment)]);
  }

  // ── small helpers ──────────────────────────────────────────────────────────────────────────

  private ask(question: string, pending?: Pending): FlowTurn {
    if (pending) this.pending = pending;
    this.question = stripLead(question);
    return { text: question, events: [], next: this };
  }

  private end(text: string, events: FrontDeskEvent[] = []): FlowTurn {
    return { text, events, next: undefined };
  }

  private clearWhen(): void {
    this.date = undefined;
    this.minutes = undefined;
    this.ambiguous = undefined;
    this.partOfDay = undefined;
  }

  private bookingStart(): DateTime {
    return DateTime.fromISO(this.booking!.startUtc, { zone: this.frontDesk.site.timezone });
  }

  private serviceName(serviceId: string): string {
    return this.frontDesk.site.services.find((service: ServiceConfig) => service.id === serviceId)?.name ?? 'appointment';
  }

  /** "tomorrow at 10:00", "on Tuesday the 9th at 10:00". */
  private onSlot(start: DateTime): string {
    const now = this.frontDesk.now();
    return `${onDay(start, now)} at ${speakTime(start)}`;
  }

  /** Slots as a list, the day said once per day: "Tuesday the 9th at 10:30, 11:00 or Wednesday the 10th at 09:00". */
  private speakSlots(slots: Slot[]): string {
    const now = this.frontDesk.now();
    return speakList(slots.map((slot, i) => (i > 0 && slots[i - 1]!.start.hasSame(slot.start, 'day') ? speakTime(slot.start) : speakSlot(slot.start, now))));
  }
}

function appointmentEvent(action: 'booked' | 'rescheduled' | 'cancelled', appointment: Appointment): FrontDeskEvent {
  return { type: 'appointment', action, reference: appointment.reference, serviceId: appointment.serviceId, startUtc: appointment.startUtc };
}

/** The day's start plus wall-clock minutes (luxon keeps 10:00 at 10:00 across a DST change). */
function atMinutes(day: DateTime, minutes: number): DateTime {
  return day.startOf('day').set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

function minutesOf(t: DateTime): number {
  return t.hour * 60 + t.minute;
}

function speakMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The question part of a reply, for asking it again: the apology or the found booking before it
 * was news once ("Sorry, 10:00 is taken. I could offer …?" is asked again as "I could offer …?").
 */
function stripLead(text: string): string {
  return text.replace(/^(?:(?:Sorry|I've found|I can't find)[^.?]*\.\s+)+/, '');
}

