/**
 * Number words to digits, token by token: "twenty five" → "25", "a hundred and twenty" → "120".
 *
 * Only what a number phrase means on its own is combined. A tens word takes one unit after it
 * ("twenty five"), "hundred" and "thousand" multiply; "hundred" adds a smaller number only after
 * "and" ("a hundred and twenty"; "nine hundred one two three" → "900 1 2 3", a phone number in
 * groups), "thousand" with or without it ("two thousand twenty six" → "2026").
 * Anything else stays separate: "ten thirty" → "10 30" (a clock time, left to the time parser),
 * "seven seven" → "7 7" (phone digits), "nineteen eighty" → "19 80". "oh" for zero is never
 * converted, and ordinals ("first", "the ninth") only with `{ ordinals: true }`: both are ordinary
 * words outside dates and phone numbers. The one implementation serves normaliseUtterance (no
 * ordinals) and the time parser's normaliseTimeText (ordinals on: "the twenty first" → "the 21st").
 */
const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000 };
const ORDINAL_UNITS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9 };
const ORDINAL_OTHERS: Record<string, number> = {
  tenth: 10, eleventh: 11, twelfth: 12, thirteenth: 13, fourteenth: 14, fifteenth: 15, sixteenth: 16, seventeenth: 17,
  eighteenth: 18, nineteenth: 19, twentieth: 20, thirtieth: 30,
};

/** What numberWordsToDigits converts besides cardinals. */
export interface NumberWordsOptions {
  /** "ninth" → "9th", "twenty first" → "21st" (dates); off by default ("the second one" keeps "second"). */
  ordinals?: boolean;
}

/** 21 → "21st", 12 → "12th". */
function suffixed(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** An ordinal of one or two tokens at `i` ("ninth", "twenty first"), as digits with its suffix. */
function ordinalAt(tokens: readonly string[], i: number): { text: string; next: number } | undefined {
  const word = tokens[i] ?? '';
  const single = ORDINAL_UNITS[word] ?? ORDINAL_OTHERS[word];
  if (single !== undefined) return { text: suffixed(single), next: i + 1 };
  const tens = TENS[word];
  const unit = ORDINAL_UNITS[tokens[i + 1] ?? ''];
  return tens !== undefined && unit !== undefined ? { text: suffixed(tens + unit), next: i + 2 } : undefined;
}

/** 0–99 from one or two tokens at `i`. */
function belowHundred(tokens: readonly string[], i: number): { value: number; next: number } | undefined {
  const word = tokens[i];
  if (word === undefined) return undefined;
  const unit = UNITS[word];
  if (unit !== undefined) return { value: unit, next: i + 1 };
  const tens = TENS[word];
  if (tens === undefined) return undefined;
  const after = UNITS[tokens[i + 1] ?? ''];
  return after !== undefined && after >= 1 && after <= 9 ? { value: tens + after, next: i + 2 } : { value: tens, next: i + 1 };
}

/** One whole number phrase at `i`, or undefined when the token is not a number word. */
function numberAt(tokens: readonly string[], i: number): { value: number; next: number } | undefined {
  // "a hundred", "a thousand"
  const lead = tokens[i] === 'a' && SCALES[tokens[i + 1] ?? ''] !== undefined ? { value: 1, next: i + 1 } : belowHundred(tokens, i);
  if (lead === undefined) return undefined;
  let { value, next } = lead;
  for (const scaleWord of ['hundred', 'thousand']) {
    if (tokens[next] !== scaleWord || value === 0) continue;
    value *= SCALES[scaleWord]!;
    next += 1;
    const withAnd = tokens[next] === 'and' ? next + 1 : next;
    // After "hundred" only with "and" ("nine hundred and one"): "nine hundred, one two three" is
    // a phone number read in groups.
    if (scaleWord === 'hundred' && withAnd === next) continue;
    const rest = scaleWord === 'thousand' ? numberAt(tokens, withAnd) : belowHundred(tokens, withAnd);
    if (rest !== undefined && rest.value > 0 && rest.value < SCALES[scaleWord]!) {
      value += rest.value;
      next = rest.next;
    }
    if (scaleWord === 'thousand') break;
  }
  return { value, next };
}

/** Tokens with every number phrase (and, when asked, ordinal) replaced by its digits; other tokens unchanged. */
export function numberWordsToDigits(tokens: readonly string[], options: NumberWordsOptions = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const ordinal = options.ordinals === true ? ordinalAt(tokens, i) : undefined;
    if (ordinal !== undefined) {
      out.push(ordinal.text);
      i = ordinal.next;
      continue;
    }
    const number = numberAt(tokens, i);
    if (number === undefined) {
      out.push(tokens[i]!);
      i += 1;
    } else {
      out.push(String(number.value));
      i = number.next;
    }
  }
  return out;
}
