import type { LeadQuestion } from '../../config/siteSchema.js';
import type { LeadRecord } from '../../storage/records.js';
import type { FrontDesk } from '../FrontDesk.js';
import type { FrontDeskEvent } from '../FrontDeskEvent.js';
import type { IntentId, IntentMatch } from '../IntentMatcher.js';
import { leadSummary, scoreLead, type LeadScore } from '../scoreLead.js';
import { lowerFirst, readBack, spellReference } from '../replies.js';
import { classifyAnswer } from '../text/classifyAnswer.js';
import { extractContact } from '../text/extractContact.js';
import { extractName } from '../text/extractName.js';
import type { Slot } from '../time/Slot.js';
import { speakSlot } from '../time/speak.js';
import { bareName } from './bareName.js';
import type { Flow, FlowTurn } from './Flow.js';

/**
 * Intents that mean the visitor changed the subject even while a free-text question is open. A
 * lead's answers are free text, so only a clear request for something else interrupts: not `lead`
 * or `thanks`, and not `book` either, since answers name services ("health checks for the staff").
 */
const INTERRUPTING: ReadonlySet<IntentId> = new Set(['rule', 'faq', 'openingHours', 'openNow', 'address', 'directions', 'wifi', 'goodbye', 'human', 'message', 'reschedule', 'cancel', 'troubleshoot']);

type Pending = { kind: 'question' } | { kind: 'confirmContact'; contact: { value: string; spoken: string } } | { kind: 'offerCall'; slot: Slot };

/**
 * Qualifies a sales enquiry with the site's lead questions, one per turn, scoring each answer by the
 * configured rules (with the reasons, for staff). The outcome: a hot lead goes to a person now (or
 * gets a call booked when nobody is free), a warm one is offered a call, any other is kept for
 * follow-up. Contact details are read back before they are kept.
 */
export class LeadFlow implements Flow {
  readonly name = 'lead';
  private index = 0;
  private readonly answers: Record<string, string> = {};
  /** The visitor's words per scored question: a name answer is kept as the name but scored as said. */
  private readonly said: Record<string, string> = {};
  private visitorName: string | undefined;
  private contact: string | undefined;
  private pending: Pending = { kind: 'question' };

  private constructor(private readonly frontDesk: FrontDesk) {}

  /** Starts the questions; the site must have at least one (the dialog manager checks). */
  static start(frontDesk: FrontDesk): FlowTurn {
    const flow = new LeadFlow(frontDesk);
    return { text: `I can help with that. ${flow.question().ask}`, events: [], next: flow };
  }

  handle(text: string, match: IntentMatch | undefined): FlowTurn | undefined {
    const answer = classifyAnswer(text);
    if (answer === 'repeat') return this.ask(this.reprompt());
    if (answer === 'stop') return this.stop();
    if (answer === undefined && match !== undefined && this.interrupts(match)) return undefined;
    const pending = this.pending;
    switch (pending.kind) {
      case 'offerCall':
        if (answer === 'yes') return this.bookCall(pending.slot);
        if (answer === 'no' || answer === 'skip') return this.save('follow-up', [], "All right, the team will be in touch.");
        return undefined;
      case 'confirmContact':
        if (answer === 'yes') {
          this.contact = pending.contact.value;
          this.answers[this.question().id] = pending.contact.value;
          return this.next();
        }
        if (answer === 'no') {
          this.pending = { kind: 'question' };
          return this.ask('Sorry, could you say it again?');
        }
        return extractContact(text) ? this.answerContact(text) : undefined;
      case 'question':
        if (answer === 'skip' || answer === 'dontKnow') return this.next('No problem. ');
        return this.answer(text);
    }
  }

  reprompt(): string {
    if (this.pending.kind === 'confirmContact') return readBack(this.pending.contact.spoken);
    if (this.pending.kind === 'offerCall') return `Shall I book a call back ${speakSlot(this.pending.slot.start, this.frontDesk.now())}?`;
    return this.question().ask;
  }

  resume(): string {
    return `So, ${lowerFirst(this.reprompt())}`;
  }

  private interrupts(match: IntentMatch): boolean {
    // Yes/no questions have no free text: anything else the matcher is sure of is a new topic.
    if (this.pending.kind !== 'question') return match.intent !== 'lead';
    return INTERRUPTING.has(match.intent);
  }

  private question(): LeadQuestion {
    return this.frontDesk.site.leads.questions[this.index]!;
  }

  private answer(text: string): FlowTurn {
    const question = this.question();
    if (question.kind === 'contact') return this.answerContact(text);
    const value = question.kind === 'name' ? (extractName(text) ?? bareName(text) ?? text.trim()) : text.trim();
    if (question.kind === 'name') this.visitorName = value;
    this.answers[question.id] = value;
    this.said[question.id] = text;
    return this.next();
  }

  private answerContact(text: string): FlowTurn {
    const contact = extractContact(text);
    if (!contact) return this.ask(`Sorry, I didn't catch a phone number or email address. ${this.question().ask}`);
    this.pending = { kind: 'confirmContact', contact: { value: contact.value, spoken: contact.spoken } };
    return this.ask(readBack(contact.spoken));
  }

  private next(lead = ''): FlowTurn {
    this.pending = { kind: 'question' };
    this.index += 1;
    if (this.index < this.frontDesk.site.leads.questions.length) return this.ask(`${lead}${this.question().ask}`);
    return this.outcome();
  }

  /** After the last question: hand over, offer a call, or keep the details. */
  private outcome(): FlowTurn {
    const { hotScore, warmScore } = this.frontDesk.site.leads;
    const { score } = this.scored();
    if (score >= hotScore) {
      const handoff = this.frontDesk.requestHandoff({ reason: 'hot-lead', urgency: 'high', summary: this.summary() });
      if (handoff.staffAvailable) {
        return this.save('handoff', [handoff], `Thank you. I've let ${this.frontDesk.site.handoff.contact} know; someone will come to talk to you now.`);
      }
      return this.offerCall('busy', [handoff]);
    }
    if (score >= warmScore) return this.offerCall('warm', []);
    return this.save('follow-up', [], "Thanks, we'll be in touch.");
  }

  /** A call-back slot offered: `busy` when a hot lead found nobody on duty. */
  private offerCall(why: 'busy' | 'warm', events: FrontDeskEvent[]): FlowTurn {
    const serviceId = this.frontDesk.site.leads.callServiceId;
    const slot = serviceId === undefined ? undefined : this.frontDesk.freeSlots(serviceId, this.frontDesk.now(), 1)[0];
    const lead = why === 'busy' ? 'Thank you. Nobody from the team is free right now' : 'Thank you';
    if (slot === undefined) return this.save('follow-up', events, `${lead}; the team will be in touch.`);
    this.pending = { kind: 'offerCall', slot };
    return { text: `${lead}. The team can call you back ${speakSlot(slot.start, this.frontDesk.now())}. Shall I book that call?`, events, next: this };
  }

  private bookCall(slot: Slot): FlowTurn {
    const result = this.frontDesk.book(slot.serviceId, slot.start, {
      ...(this.visitorName ? { name: this.visitorName } : {}),
      ...(this.contact ? { contact: this.contact } : {}),
    });
    if (!result.ok) {
      const alternative = result.alternatives[0];
      if (alternative === undefined) return this.save('follow-up', [], 'Sorry, that time has just gone. The team will be in touch.');
      this.pending = { kind: 'offerCall', slot: alternative };
      return this.ask(`Sorry, that time has just gone. I can do ${speakSlot(alternative.start, this.frontDesk.now())} instead. Shall I book it?`);
    }
    const { appointment } = result;
    const booked: FrontDeskEvent = { type: 'appointment', action: 'booked', reference: appointment.reference, serviceId: appointment.serviceId, startUtc: appointment.startUtc };
    return this.save('call-booked', [booked], `Done. The team will call you ${speakSlot(result.slot.start, this.frontDesk.now())}. Your reference is ${spellReference(appointment.reference)}.`);
  }

  /** "stop" part-way: what was said so far is still worth a follow-up. */
  private stop(): FlowTurn {
    if (Object.keys(this.answers).length === 0) return { text: 'All right.', events: [], next: undefined };
    return this.save('follow-up', [], "All right. Thanks, we'll be in touch.");
  }

  private save(outcome: LeadRecord['outcome'], events: FrontDeskEvent[], text: string): FlowTurn {
    const { score, reasons } = this.scored();
    const lead = this.frontDesk.saveLead({
      answers: { ...this.answers },
      score,
      reasons,
      outcome,
      visitorName: this.visitorName ?? null,
      contact: this.contact ?? null,
    });
    return { text, events: [...events, { type: 'lead', id: lead.id, score, outcome }], next: undefined };
  }

  private scored(): LeadScore {
    return scoreLead(this.frontDesk.site.leads.questions, this.said);
  }

  /** The line for staff (see leadSummary): every answer so far, name and contact included. */
  private summary(): string {
    return leadSummary(this.scored(), Object.values(this.answers));
  }

  private ask(text: string): FlowTurn {
    return { text, events: [], next: this };
  }
}
