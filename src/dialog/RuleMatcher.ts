import type { KioskConfig } from '../config/schema.js';

const normalise = (text: string) =>
  ` ${text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;

/**
 * The fast path: questions a kiosk hears all day ("what are your opening hours?") get the
 * operator's exact answer at once, without the model. A rule matches when the transcript contains
 * one of its phrases as whole words, ignoring case and punctuation.
 */
export class RuleMatcher {
  private readonly rules: { phrases: string[]; reply: string }[];

  constructor(rules: KioskConfig['dialog']['rules']) {
    this.rules = rules.map((rule) => ({ phrases: rule.match.map(normalise), reply: rule.reply }));
  }

  /** The reply of the first matching rule, or undefined. */
  match(transcript: string): string | undefined {
    const text = normalise(transcript);
    return this.rules.find((rule) => rule.phrases.some((phrase) => text.includes(phrase)))?.reply;
  }
}
