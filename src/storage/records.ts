/**
 * What the database holds, as the rest of the code sees it. Times are ISO-8601 UTC strings
 * (`2026-12-08T10:00:00.000Z`); the site's zone is stored beside them so that a report made
 * elsewhere still says the local time the visitor was told.
 */

export type AppointmentStatus = 'booked' | 'cancelled';

/** Which resource an appointment takes, for what, and when. */
export interface AppointmentSlot {
  serviceId: string;
  resourceId: string;
  /** Start and end of the appointment itself; the resource is also blocked until `blockedUntilUtc` (end + buffer). */
  startUtc: string;
  endUtc: string;
  blockedUntilUtc: string;
  timezone: string;
}

export interface Appointment extends AppointmentSlot {
  id: number;
  /** Short, spoken to the visitor ("K 4 7"); unique; the key to reschedule or cancel. */
  reference: string;
  visitorName: string | null;
  contact: string | null;
  status: AppointmentStatus;
  createdAt: string;
  /** Set when it was cancelled; cancelled rows stay (history). */
  cancelledAt: string | null;
  /** The appointment this one replaced when it was rescheduled. */
  rescheduledFrom: number | null;
}

/** One step in an appointment's life, kept forever (the `appointment_events` table). */
export interface AppointmentEvent {
  id: number;
  appointmentId: number;
  /** `rescheduled`: this appointment was cancelled and replaced by `replacedBy` in one transaction. */
  kind: 'booked' | 'cancelled' | 'rescheduled';
  at: string;
  replacedBy: number | null;
}

export interface NewAppointment extends AppointmentSlot {
  visitorName?: string | null;
  contact?: string | null;
}

export interface LeadRecord {
  id: number;
  /** Answers by lead question id. */
  answers: Record<string, string>;
  score: number;
  reasons: string[];
  outcome: 'handoff' | 'call-booked' | 'follow-up';
  visitorName: string | null;
  contact: string | null;
  createdAt: string;
}

export interface MessageRecord {
  id: number;
  visitorName: string | null;
  contact: string | null;
  text: string;
  createdAt: string;
}

export interface HandoffRecord {
  id: number;
  reason: string;
  urgency: 'low' | 'normal' | 'high';
  summary: string;
  staffAvailable: boolean;
  createdAt: string;
}

export interface KnowledgeGapRecord {
  id: number;
  question: string;
  /** How many times it was asked (the same normalised question is counted, not repeated). */
  count: number;
  firstAskedAt: string;
  lastAskedAt: string;
}
