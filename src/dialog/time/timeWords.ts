import { numberWordsToDigits } from '../text/numberWords.js';

/**
 * Speech-recogniser text made readable for a date parser: lower case, no punctuation, number words
 * as digits and spoken clock times as "H:MM". chrono-node drops clock times written as words
 * ("tomorrow at ten", "half past three", "nine thirty"), so they are rewritten before it sees them:
 *
 * - "ten" → "10", "twenty one" → "21", "ninth" → "9th", "twenty first" → "21st"
 * - "ten thirty" → "10:30", "nine oh five" → "9:05", "10 30" → "10:30" (an hour then two-digit minutes)
 * - "half past three" → "3:30", "quarter past 9" → "9:15", "quarter to five" → "4:45",
 *   "twenty past ten" → "10:20", "ten to five" is NOT rewritten (it reads as a range just as often)
 * - "half three" (British) → "3:30"; "ten o'clock" → "10:00"
 * - "noon", "midday" → "12:00 pm"; "p m" / "p.m." → "pm", "a m" → "am"
 */
export function normaliseTimeText(text: string): string {
  const cleaned = ` ${text
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9:]+/g, ' ')
    .trim()} `
    .replace(/ ([ap]) m /g, ' $1m ')
    .replace(/ ([ap]) m /g, ' $1m ')
    .replace(/ (?:noon|midday|mid day) /g, ' 12:00 pm ');
  const digits = numberWordsToDigits(cleaned.trim().split(' ').filter(Boolean), { ordinals: true }).join(' ');
  return ` ${digits} `
    // "nine oh five": numberWords leaves "oh" alone (it is a word elsewhere); after an hour it is a zero.
    .replace(/ (\d{1,2}) oh? ([1-9])(?= )/g, (m, h: string, mm: string) => (Number(h) <= 23 ? ` ${h}:0${mm}` : m))
    .replace(/ (\d{1,2}) oclock /g, ' $1:00 ')
    .replace(/ (\d{1,2}) o clock /g, ' $1:00 ')
    .replace(/ half past (\d{1,2}) /g, (_m, h: string) => ` ${clock(Number(h), 30)} `)
    .replace(/ (?:a )?quarter past (\d{1,2}) /g, (_m, h: string) => ` ${clock(Number(h), 15)} `)
    .replace(/ (?:a )?quarter to (\d{1,2}) /g, (_m, h: string) => ` ${clock(Number(h) - 1, 45)} `)
    .replace(/ (\d{1,2}) (?:minutes )?past (\d{1,2}) /g, (m, n: string, h: string) => (Number(n) < 60 ? ` ${clock(Number(h), Number(n))} ` : m))
    .replace(/ (\d{1,2}) minutes to (\d{1,2}) /g, (m, n: string, h: string) => (Number(n) < 60 ? ` ${clock(Number(h) - 1, 60 - Number(n))} ` : m))
    .replace(/ half (\d{1,2}) /g, (_m, h: string) => ` ${clock(Number(h), 30)} `)
    // An hour then two-digit minutes: numberWords keeps "ten thirty" as "10 30"; the lookahead lets
    // back-to-back times ("10 30 11 15") both convert.
    .replace(/ (\d{1,2}) (\d{2})(?= )/g, (m, h: string, mm: string) => (Number(h) <= 23 && Number(mm) <= 59 ? ` ${h}:${mm}` : m))
    // pocketsphinx often hears "monday at ten" as "monday and ten": a day, "and", then a clock time.
    .replace(new RegExp(` (${DAY_WORDS}) and (\\d{1,2}(?::\\d{2})?)(?= )`, 'g'), ' $1 at $2')
    .trim();
}

const DAY_WORDS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|morning|afternoon|evening';

/** "4:05"; hour 0 after "quarter to one" wraps to 12 (the am/pm reading is decided later). */
function clock(hour: number, minute: number): string {
  const h = hour <= 0 ? hour + 12 : hour;
  return `${h}:${String(minute).padStart(2, '0')}`;
}
