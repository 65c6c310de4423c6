import { normaliseUtterance } from './normaliseUtterance.js';

/** A phone number or email address the visitor said, as stored and as read back. */
export interface SpokenContact {
  kind: 'phone' | 'email';
  /** Stored: "07700900123", "+447700900123", "anna@example.com". */
  value: string;
  /** Read back for confirmation: "0 7 7 0 0, 9 0 0, 1 2 3" or "anna at example dot com". */
  spoken: string;
}

/** Words that end the part of an email address before "at" ("my email is anna at …"). */
const NOT_LOCAL = new Set(['is', 'my', 'email', 'e', 'mail', 'address', 'it', 'its', 'me', 'on', 'at', 'to', 'the', 'and', 'or', 'contact', 'reach', 'use', 'try', 'am', 'i', 'you', 'can', 'please', 'thats', 'that', 'number', 'write', 'send']);
const SEPARATORS: Readonly<Record<string, string>> = { dot: '.', point: '.', underscore: '_', dash: '-', hyphen: '-' };

/** "anna at example dot com" (or "anna@example.com" as written) in lower-case raw text. */
function findEmail(text: string): SpokenContact | undefined {
  const written = /([a-z0-9][a-z0-9._%+-]*)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)/.exec(text);
  if (written) return email(written[1]!, written[2]!);
  const words = normaliseUtterance(text.replace(/@/g, ' at ')).split(' ');
  for (let at = words.lastIndexOf('at'); at > 0; at = words.lastIndexOf('at', at - 1)) {
    // Domain: word (dot word)+
    const domain: string[] = [];
    let i = at + 1;
    while (i < words.length && /^[a-z0-9-]+$/.test(words[i]!) && !(words[i]! in SEPARATORS)) {
      domain.push(words[i]!);
      if (words[i + 1] !== 'dot' && words[i + 1] !== 'point') break;
      i += 2;
    }
    if (domain.length < 2 || !/^[a-z]{2,}$/.test(domain.at(-1)!)) continue;
    // Local part, backwards: words joined by "dot"/"underscore"/"dash", digits glued to a word.
    const local: string[] = [];
    let j = at - 1;
    while (j >= 0) {
      const word = words[j]!;
      if (NOT_LOCAL.has(word) || !/^[a-z0-9]+$/.test(word)) break;
      local.unshift(word);
      const before = words[j - 1];
      if (before !== undefined && before in SEPARATORS && j - 2 >= 0 && !NOT_LOCAL.has(words[j - 2]!)) {
        local.unshift(SEPARATORS[before]!);
        j -= 2;
      } else if (word.length === 1 && before !== undefined && before.length === 1 && !NOT_LOCAL.has(before)) {
        j -= 1; // spelled: "a n n a at" → "anna"
      } else if (/^\d+$/.test(word) && before !== undefined && /^[a-z0-9]+$/.test(before) && !NOT_LOCAL.has(before) && !(before in SEPARATORS)) {
        j -= 1; // "anna 26 at" → "anna26"
      } else {
        break;
      }
    }
    if (local.length === 0) continue;
    return email(local.join(''), domain.join('.'));
  }
  return undefined;
}

function email(local: string, domain: string): SpokenContact {
  const say = (part: string) => part.replace(/\./g, ' dot ').replace(/_/g, ' underscore ').replace(/-/g, ' dash ').replace(/\s+/g, ' ').trim();
  return { kind: 'email', value: `${local}@${domain}`, spoken: `${say(local)} at ${say(domain)}` };
}

/** Digit words for phone numbers; "oh" is a zero here (it is not in normaliseUtterance). */
const DIGIT_WORDS: Readonly<Record<string, string>> = { oh: '0', o: '0', nought: '0', zero: '0' };

/** Spoken digit groups: UK mobiles 5-3-3 ("07700 900 123"), London 3-4-4, US 3-3-4; otherwise threes. */
function groups(digits: string, international: boolean): number[] {
  if (international) return digits.startsWith('44') && digits.length === 12 ? [2, 4, 3, 3] : digits.startsWith('1') && digits.length === 11 ? [1, 3, 3, 4] : [];
  if (digits.length === 11 && digits.startsWith('02')) return [3, 4, 4];
  if (digits.length === 11 && digits.startsWith('0')) return [5, 3, 3];
  if (digits.length === 10 && digits.startsWith('0')) return [5, 5];
  if (digits.length === 10) return [3, 3, 4];
  if (digits.length === 11 && digits.startsWith('1')) return [1, 3, 3, 4];
  return [];
}

function readBack(digits: string, international: boolean): string {
  const sizes = groups(digits, international);
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < digits.length) parts.push(...(digits.slice(at).match(/.{1,3}/g) ?? []));
  return `${international ? 'plus ' : ''}${parts.map((part) => [...part].join(' ')).join(', ')}`;
}

/** The longest run of spoken digits: "oh seven seven double oh …", "0 7 700 900 1 2 3". */
function findPhone(text: string): SpokenContact | undefined {
  const words = normaliseUtterance(text.replace(/\+/g, ' plus ')).split(' ');
  let best = { digits: '', international: false };
  let digits = '';
  let international = false;
  const close = () => {
    if (digits.length > best.digits.length) best = { digits, international };
    digits = '';
    international = false;
  };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    const times = word === 'double' ? 2 : word === 'triple' ? 3 : 1;
    const target = times > 1 ? words[i + 1] : word;
    const digit = target === undefined ? undefined : /^\d+$/.test(target) ? target : DIGIT_WORDS[target];
    if (digit !== undefined && (times === 1 || digit.length === 1)) {
      digits += digit.repeat(times);
      if (times > 1) i += 1;
    } else if (word === 'plus' && digits === '') {
      international = true;
    } else if (!(digits !== '' && (word === 'dash' || word === 'hyphen'))) {
      close();
    }
  }
  close();
  const { digits: number, international: plus } = best;
  const valid = plus
    ? number.length >= 10 && number.length <= 13 && !number.startsWith('0')
    : (number.startsWith('0') && (number.length === 10 || number.length === 11)) || (number.length === 10 && /^[2-9]/.test(number)) || (number.length === 11 && number.startsWith('1'));
  if (!valid) return undefined;
  return { kind: 'phone', value: `${plus ? '+' : ''}${number}`, spoken: readBack(number, plus) };
}

/**
 * A phone number (UK or US, digits spoken one by one or in groups, "oh" for zero, "double
 * seven") or an email address ("anna at example dot com") in what the visitor said. An email is
 * looked for first: it can contain digits. Undefined when neither has a plausible shape (a UK
 * number: 0 and 9–10 more digits; US: 10 digits, or 1 and 10; international: "plus" and 10–13).
 */
export function extractContact(text: string): SpokenContact | undefined {
  const lower = text.toLowerCase();
  return findEmail(lower) ?? findPhone(lower);
}
