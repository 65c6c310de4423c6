import type { FrontDesk } from '../FrontDesk.js';
import type { HandoffReason, Urgency } from '../FrontDeskEvent.js';
import type { FlowTurn } from './Flow.js';
import { MessageFlow } from './MessageFlow.js';

/** Longest summary line staff get; a visitor's words can be long, the line stays one line. */
const MAX_SUMMARY = 200;

export interface HandoffRequest {
  reason: HandoffReason;
  urgency: Urgency;
  summary: string;
  /** Said before the outcome ("Sorry that didn't fix it."). */
  lead?: string;
  /** Said instead of the usual line when someone is on duty (a hot lead: "someone will come to talk to you now"). */
  staffedText?: string;
}

/**
 * Calls a person and says honestly what happens next: someone is coming when staff are on duty,
 * otherwise the kiosk takes a message (the handoff is stored either way, for staff to see later).
 */
export function handOff(frontDesk: FrontDesk, request: HandoffRequest): FlowTurn {
  const summary = request.summary.replace(/\s+/g, ' ').trim().slice(0, MAX_SUMMARY);
  const event = frontDesk.requestHandoff({ reason: request.reason, urgency: request.urgency, summary });
  const lead = request.lead ? `${request.lead} ` : '';
  if (event.staffAvailable) {
    const text = request.staffedText ?? `I've let ${frontDesk.site.handoff.contact} know; someone will come to the desk shortly.`;
    return { text: `${lead}${text}`, events: [event], next: undefined };
  }
  const message = MessageFlow.start(frontDesk, `${lead}Nobody is available right now, so I'll take a message.`);
  return { ...message, events: [event, ...message.events] };
}
