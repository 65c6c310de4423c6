import type { LedgerSpan } from './PlaybackLedger.js';

/** A phrase of a reply and where its audio went in the speaker's stream. */
export interface SpokenPhrase {
  text: string;
  span: LedgerSpan;
}

/**
 * The part of a reply the visitor actually heard before it was cut at `heard` samples: every
 * phrase that finished playing, and of the phrase being played the share of its words that
 * matches the share of its audio. Speech runs at a roughly even pace within a phrase, so the
 * proportion is a fair estimate; the model's history then holds what was said, not what was not.
 */
export function heardText(phrases: readonly SpokenPhrase[], heard: number): string {
  const parts: string[] = [];
  for (const { text, span } of phrases) {
    if (heard >= span.end) {
      parts.push(text);
      continue;
    }
    if (heard > span.start) {
      const words = text.trim().split(/\s+/);
      const share = (heard - span.start) / Math.max(1, span.end - span.start);
      const count = Math.floor(words.length * share);
      if (count > 0) parts.push(words.slice(0, count).join(' '));
    }
    break;
  }
  return parts.join(' ').trim();
}
