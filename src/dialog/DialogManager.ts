import type { KioskConfig } from '../config/schema.js';
import type { SiteConfig } from '../config/siteSchema.js';
import { BookingFlow } from './flows/BookingFlow.js';
import type { Flow, FlowName, FlowTurn } from './flows/Flow.js';
import { handOff } from './flows/handOff.js';
import { LeadFlow } from './flows/LeadFlow.js';
import { MessageFlow } from './flows/MessageFlow.js';
import { privacyGuard } from './flows/privacyGuard.js';
import { TroubleshootingFlow } from './flows/TroubleshootingFlow.js';
import type { FrontDesk } from './FrontDesk.js';
import type { FrontDeskEvent } from './FrontDeskEvent.js';
import { IntentMatcher, type IntentId, type IntentMatch } from './IntentMatcher.js';
import { capitalise, onDay, speakRanges, wifiAnswer } from './replies.js';
import { classifyAnswer } from './text/classifyAnswer.js';
import { extractContact } from './text/extractContact.js';
import { extractName } from './text/extractName.js';
import { extractReference } from './text/extractReference.js';
import { findService } from './text/findService.js';
import { isUpset } from './text/isUpset.js';
import { normaliseUtterance } from './text/normaliseUtterance.js';
import { resolveWhen } from './time/resolveWhen.js';
import { speakSlot, speakTime } from './time/speak.js';

/** What the dialog makes of one final transcript. */
export type DialogDecision =
  | { kind: 'answer'; text: string; events: FrontDeskEvent[]; intent?: IntentId; flow?: FlowName }
  /** Nothing confident: the LLM (with tools) answers. The question was logged as a knowledge gap. */
  | { kind: 'llm'; events: FrontDeskEvent[] };

/** What the dialog would do with some words, known without side effects (see `DialogManager.preview`). */
export type DialogPreview = { kind: 'answer'; text: string } | { kind: 'llm' } | { kind: 'unsafe' };

export interface DialogManagerOptions {
  site: SiteConfig;
  rules: KioskConfig['dialog']['rules'];
  frontDesk: FrontDesk;
  /** Said for an empty transcript (speech without words) when no flow has a question pending. */
  notUnderstoodReply: string;
}

const GOODBYE = 'Goodbye, and have a good day.';
const YOURE_WELCOME = "You're welcome.";
/**
 * What warmUp runs through the matcher, date resolution and entity extraction: one of each kind
 * of turn (a booking with a day and a spoken time, hours, a name and phone number, a reference and
 * a move, a yes), so every parser's first-use cost is paid before a visitor speaks.
 */
const WARM_UP_SENTENCES = [
  'can i book a check up tomorrow at ten thirty please',
  'are you open on saturday morning',
  'my name is anna smith and my number is zero seven seven zero zero nine zero zero one two three',
  'i need to move my booking k four seven to friday at half past two',
  'yes that is right',
];

/** Words that ask about today only: the hours answer then leaves out the week. */
const TODAY_ONLY = /\b(?:today|now|tonight|this (?:morning|afternoon|evening))\b/;

/**
 * The front desk's conversation for one visitor session, before the LLM. Per final transcript:
 * 1. requests that must reveal nothing (other visitors' bookings, the kiosk's instructions) get a
 *    fixed refusal;
 * 2. the active flow (booking, lead, troubleshooting, message) gets the words;
 * 3. if it cannot use them, or no flow is active, a confident intent is answered from site data —
 *    a new flow replaces the old one, while a simple question (hours, wifi, FAQ…) is answered and
 *    the flow's pending question asked again in the same reply;
 * 4. an upset visitor gets a person;
 * 5. anything else goes to the LLM, and is logged as a knowledge gap for the operator.
 *
 * `respond('')` (speech heard, no words) asks the pending question again, or says
 * `notUnderstoodReply` when there is none.
 */
export class DialogManager {
  private readonly site: SiteConfig;
  private readonly rules: KioskConfig['dialog']['rules'];
  private readonly frontDesk: FrontDesk;
  private readonly notUnderstoodReply: string;
  private readonly matcher: IntentMatcher;
  private flow: Flow | undefined;
  private prepared: { normal: string; match: IntentMatch | undefined } | undefined;

  constructor(options: DialogManagerOptions) {
    this.site = options.site;
    this.rules = options.rules;
    this.frontDesk = options.frontDesk;
    this.notUnderstoodReply = options.notUnderstoodReply;
    this.matcher = new IntentMatcher(options.site, options.rules);
  }

  /** The flow holding the conversation ('booking', 'lead', 'troubleshooting', 'message'), if any. */
  get activeFlow(): FlowName | undefined {
    return this.flow?.name;
  }

  /**
   * Matches a stable partial transcript ahead of the endpoint, with no side effects; `respond`
   * reuses the match when the final transcript normalises to the same words.
   */
  prepare(partialTranscript: string): void {
    const normal = normaliseUtterance(partialTranscript);
    this.prepared = normal === '' ? undefined : { normal, match: this.matcher.match(partialTranscript) };
  }

  /**
   * What `respond` would say to these words, when that can be known without changing anything: a
   * simple answer from site data with no flow in progress (`answer`), or a question for the model
   * (`llm`; `respond` would also log it as a knowledge gap). Anything that would start or move a
   * flow, refuse, or call a person is `unsafe`: a speculative reply must wait for the final words.
   */
  preview(transcript: string): DialogPreview {
    const text = transcript.trim();
    if (normaliseUtterance(text) === '' || this.flow || privacyGuard(text) !== undefined) return { kind: 'unsafe' };
    const match = this.matcher.match(text);
    if (match) {
      const simple = this.simpleAnswer(match, text);
      return simple === undefined ? { kind: 'unsafe' } : { kind: 'answer', text: simple };
    }
    return isUpset(text) ? { kind: 'unsafe' } : { kind: 'llm' };
  }

  /** The reply to a final transcript (see the class comment for the order). */
  respond(finalTranscript: string): DialogDecision {
    const text = finalTranscript.trim();
    const normal = normaliseUtterance(text);
    const prepared = this.prepared;
    this.prepared = undefined;
    if (normal === '') {
      return this.flow ? this.answer(this.flow.reprompt(), [], { flow: this.flow.name }) : this.answer(this.notUnderstoodReply, []);
    }
    const refusal = privacyGuard(text);
    if (refusal !== undefined) return this.answer(this.withResume(refusal), [], this.flow ? { flow: this.flow.name } : {});

    const match = prepared?.normal === normal ? prepared.match : this.matcher.match(text);
    if (this.flow) {
      const name = this.flow.name;
      const turn = this.flow.handle(text, match);
      if (turn) return this.take(turn, { flow: name });
    }
    if (match) {
      const decision = this.answerIntent(match, text);
      if (decision) return decision;
    }
    if (isUpset(text)) return this.take(this.callPerson(text, true), {});
    this.frontDesk.recordGap(text);
    return { kind: 'llm', events: [{ type: 'knowledgeGap', question: text }] };
  }


  /**
   * Pays the first-turn cost ahead of time: the first answer after start-up is otherwise ~80 ms
   * (first use, and JIT, of the intent matcher, chrono-node and luxon) against ~5 ms later. Runs the
   * matcher, date resolution, entity extraction, the calendar and a free-slot search on fixed
   * sentences and throws the results away. No side effects: nothing is written to the database
   * (no gap, no booking), no flow starts and the session state (flow, prepared match) is
   * untouched. The brain worker calls it once at start, before the first transcript.
   */
  warmUp(): void {
    const now = this.frontDesk.now();
    const calendar = this.frontDesk.calendar;
    for (const sentence of WARM_UP_SENTENCES) {
      this.matcher.match(sentence);
      resolveWhen(sentence, now, calendar);
      findService(sentence, this.site.services);
      classifyAnswer(sentence);
      extractName(sentence);
      extractContact(sentence);
      extractReference(sentence);
      privacyGuard(sentence);
      isUpset(sentence);
    }
    calendar.describeToday(now);
    calendar.describeWeek();
    // Reads the database (prepared statements, the slot search); writes nothing.
    const service = this.site.services[0];
    if (service !== undefined) for (const slot of this.frontDesk.freeSlots(service.id, now, 3)) speakSlot(slot.start, now);
  }

  /** Forgets the session: the flow and any pending confirmation (nothing unconfirmed was written). */
  reset(): void {
    this.flow = undefined;
    this.prepared = undefined;
  }

  private answerIntent(match: IntentMatch, text: string): DialogDecision | undefined {
    const intent = match.intent;
    const simple = this.simpleAnswer(match, text);
    if (simple !== undefined) {
      // A question asked in the middle of a flow: answered, then the flow's question again.
      return this.answer(this.withResume(simple), [], { intent, ...(this.flow ? { flow: this.flow.name } : {}) });
    }
    const frontDesk = this.frontDesk;
    switch (intent) {
      case 'goodbye':
        this.flow = undefined;
        return this.answer(GOODBYE, [], { intent });
      case 'human':
        return this.take(this.callPerson(text, match.upset === true || isUpset(text)), { intent });
      case 'message':
        return this.take(MessageFlow.start(frontDesk), { intent });
      case 'troubleshoot': {
        const guide = this.site.troubleshooting.find((candidate) => candidate.id === match.entityId);
        return guide ? this.take(TroubleshootingFlow.start(frontDesk, guide), { intent }) : undefined;
      }
      case 'lead':
        return this.site.leads.questions.length > 0 ? this.take(LeadFlow.start(frontDesk), { intent }) : undefined;
      case 'book':
      case 'reschedule':
      case 'cancel':
        return this.site.services.length > 0 ? this.take(BookingFlow.start(frontDesk, intent, text, match), { intent }) : undefined;
      default:
        // A simple intent the site has no data for (no address configured…): the LLM says so.
        return undefined;
    }
  }

  /** Answers that need no flow, from site data; undefined when the intent is not one or the site lacks the data. */
  private simpleAnswer(match: IntentMatch, text: string): string | undefined {
    const site = this.site;
    switch (match.intent) {
      case 'openingHours':
      case 'openNow':
        // No hours configured: the fast path knows nothing to say, the model may.
        return this.frontDesk.calendar.hasHours() ? this.hoursAnswer(match.intent, text) : undefined;
      case 'address':
        return site.address ? `We're at ${site.address}.` : undefined;
      case 'directions':
        return site.directions;
      case 'wifi': {
        const wifi = site.wifi;
        return wifi ? wifiAnswer(wifi) : undefined;
      }
      case 'faq':
        return site.faq.find((entry) => entry.id === match.entityId)?.answer;
      case 'rule':
        return match.entityId === undefined ? undefined : this.rules[Number(match.entityId)]?.reply;
      case 'thanks':
        return YOURE_WELCOME;
      default:
        return undefined;
    }
  }

  /** Computed from the schedule and today's date: "We're open today until 17:30." */
  private hoursAnswer(intent: 'openingHours' | 'openNow', text: string): string {
    const now = this.frontDesk.now();
    const calendar = this.frontDesk.calendar;
    const when = resolveWhen(text, now, calendar);
    // "are you open on saturday": that day's hours.
    if (when?.date && !when.date.hasSame(now, 'day')) {
      const hours = calendar.hoursOn(when.date);
      if (hours.length === 0) {
        const holiday = calendar.exceptionOn(when.date)?.name;
        return `We're closed ${onDay(when.date, now)}${holiday ? ` for ${holiday}` : ''}.`;
      }
      return `${capitalise(onDay(when.date, now))} we're open ${speakRanges(hours)}.`;
    }
    if (intent === 'openNow') {
      const current = calendar.hoursOn(now).find((range) => range.open <= now && now < range.close);
      if (current) return `Yes, we're open until ${speakTime(current.close)}.`;
      const next = calendar.nextOpening(now);
      return next ? `No, we're closed now; we open ${onDay(next, now)} at ${speakTime(next)}.` : "No, we're closed now.";
    }
    const today = calendar.describeToday(now);
    return TODAY_ONLY.test(normaliseUtterance(text)) ? today : `${today} Our usual hours are ${calendar.describeWeek()}`;
  }

  /** A person is wanted ("can I talk to someone", or an upset visitor); the flow in progress gives way. */
  private callPerson(text: string, upset: boolean): FlowTurn {
    const during = this.flow ? ` (during ${this.flow.name})` : '';
    return handOff(this.frontDesk, {
      reason: upset ? 'upset' : 'asked',
      urgency: upset ? 'high' : 'normal',
      summary: upset ? `Upset visitor${during}: "${text}"` : `Visitor asked for a person${during}`,
    });
  }

  /** A flow's turn becomes the reply; the flow it names holds the conversation next. */
  private take(turn: FlowTurn, tags: { intent?: IntentId; flow?: FlowName }): DialogDecision {
    this.flow = turn.next;
    const flow = tags.flow ?? turn.next?.name;
    return this.answer(turn.text, turn.events, { ...(tags.intent ? { intent: tags.intent } : {}), ...(flow ? { flow } : {}) });
  }

  private withResume(text: string): string {
    return this.flow ? `${text} ${this.flow.resume()}` : text;
  }

  private answer(text: string, events: FrontDeskEvent[], tags: { intent?: IntentId; flow?: FlowName } = {}): DialogDecision {
    return { kind: 'answer', text, events, ...tags };
  }
}
