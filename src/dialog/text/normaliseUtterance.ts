import { repairAsr } from './asrRepairs.js';
import { expandContractions } from './contractions.js';
import { numberWordsToDigits } from './numberWords.js';

/**
 * The one form every matcher compares: lower case, contractions written out ("what's" → "what
 * is"), punctuation replaced by spaces (so "10:30" and "ten thirty" both become "10 30", and
 * "check-in" is "check in"), number words as digits ("twenty five" → "25"; see numberWords.ts for
 * what is combined), and known ASR mis-hearings repaired ("opening ours" → "opening hours", "a point
 * meant" → "an appointment", "why fi" → "wifi"; see asrRepairs.ts). Words are separated by single
 * spaces; the result may be empty.
 */
export function normaliseUtterance(text: string): string {
  const expanded = expandContractions(text.toLowerCase())
    .replace(/(\d),(\d{3})\b/g, '$1$2') // "1,000"
    .replace(/'/g, '') // "o'brien" → "obrien"
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (expanded === '') return '';
  return repairAsr(numberWordsToDigits(expanded.split(' ')).join(' '));
}

