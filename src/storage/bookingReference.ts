import { randomInt } from 'node:crypto';

/**
 * Booking references: three characters the kiosk speaks ("K 4 7") and the visitor says back.
 * The alphabet leaves out what is easily confused when read or heard: the letters I, L and O
 * (one, zero), the digits 0 and 1 themselves, and A, which a recogniser cannot tell from the
 * article ("it's a b a"). 30 symbols give 27 000 references; uniqueness
 * across every row ever written (cancelled ones too, so an old reference never finds someone
 * else's booking) is kept by a UNIQUE constraint and a retry (see AppointmentRepository).
 */
export const REFERENCE_ALPHABET = 'BCDEFGHJKMNPQRSTUVWXYZ23456789';

/** Every reference has exactly this many characters from REFERENCE_ALPHABET. */
export const REFERENCE_LENGTH = 3;

const REFERENCE_PATTERN = new RegExp(`^[${REFERENCE_ALPHABET}]{${REFERENCE_LENGTH}}$`);

/** Spoken, these sound like a time ("9 P M" is "9 pm"), so none is ever issued. */
const SOUNDS_LIKE_A_TIME = /\dPM/;

/** A random reference, upper case (cryptographically random so that references cannot be guessed in order). */
export function newReference(): string {
  for (;;) {
    let reference = '';
    for (let i = 0; i < REFERENCE_LENGTH; i++) reference += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
    if (isIssuable(reference)) return reference;
  }
}

/** Whether the kiosk would ever issue `reference` (upper case): the right shape, and not heard as a time. */
export function isIssuable(reference: string): boolean {
  return REFERENCE_PATTERN.test(reference) && !SOUNDS_LIKE_A_TIME.test(reference);
}

/** Whether `text` (any case, no spaces) has the shape of a reference: "k47" and "K47" yes, "K4" and "KO7" no. */
export function isReference(text: string): boolean {
  return REFERENCE_PATTERN.test(text.toUpperCase());
}
