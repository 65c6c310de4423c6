/**
 * Business events the dialog raises in the brain worker. They leave the worker as messages; the main
 * thread decides what they mean for the device (an LED pattern, an MQTT event, a log line). The
 * brain never touches GPIO or MQTT itself.
 */
export type HandoffReason = 'asked' | 'guide-failed' | 'hot-lead' | 'upset' | 'message';
export type Urgency = 'low' | 'normal' | 'high';

export type FrontDeskEvent =
  | {
      type: 'handoff';
      /** Stored row id in `handoffs`. */
      id: number;
      reason: HandoffReason;
      urgency: Urgency;
      /** One line for staff: "Lead (score 75): corporate health checks for 40 staff; call 07700 900123". */
      summary: string;
      /** Whether someone is on duty now (site.handoff.staffedHours); if not, a message was taken. */
      staffAvailable: boolean;
    }
  | { type: 'appointment'; action: 'booked' | 'rescheduled' | 'cancelled'; reference: string; serviceId: string; startUtc: string }
  | { type: 'lead'; id: number; score: number; outcome: 'handoff' | 'call-booked' | 'follow-up' }
  | { type: 'message'; id: number }
  | { type: 'knowledgeGap'; question: string };

export type FrontDeskEventType = FrontDeskEvent['type'];
