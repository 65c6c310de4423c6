import { normaliseUtterance } from '../text/normaliseUtterance.js';

/**
 * Requests the kiosk refuses outright, whatever else they sound like: other visitors' bookings and
 * the kiosk's own instructions or secrets. Checked before every flow and intent, so "list all
 * bookings" never starts a booking and "who has an appointment at 10 tomorrow" never looks one up.
 * (The LLM could not reveal these either: it has no tool that lists bookings or reads config.)
 */
const OTHER_VISITORS = [
  /\b(?:list|show|read|tell me|give me|say)\b.*\b(?:bookings|appointments|booked|diary|schedule|calendar|patients|visitors)\b/,
  // "who is my appointment with" is the visitor's own: only questions about others are refused.
  /^(?!.*\bmy\b).*\bwho\b.*\b(?:has|have|got|is|was|else)\b.*\b(?:appointment|appointments|booking|bookings|booked|slot)\b/,
  /\bwhose\b.*\b(?:appointment|booking)\b/,
  /\b(?:all|every|everyone s|everybody s|other people s|other peoples|someone else s)\b.*\b(?:bookings|appointments)\b/,
];
const SECRETS = [
  /\bignore\b.*\b(?:instructions|rules|prompt|above|previous)\b/,
  /\b(?:system|your|the) (?:prompt|instructions)\b/,
  /\b(?:admin|administrator|root|staff|manager|master|database|server) password\b/,
  /\b(?:api key|secret key|configuration|config file|developer mode|jailbreak)\b/,
];

export const PRIVACY_REPLY = "I can't share anything about other people's bookings. If you have a booking, I can help with it when you tell me its reference.";
export const SECRETS_REPLY = "I can't help with that. I can tell you our opening hours, book an appointment or take a message.";

/** The refusal to say for `text`, or undefined when it asks for nothing off limits. */
export function privacyGuard(text: string): string | undefined {
  const normal = normaliseUtterance(text);
  if (SECRETS.some((pattern) => pattern.test(normal))) return SECRETS_REPLY;
  if (OTHER_VISITORS.some((pattern) => pattern.test(normal))) return PRIVACY_REPLY;
  return undefined;
}
