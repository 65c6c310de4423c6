/**
 * The built-in ways visitors ask for what every front desk does. Site-specific phrasings (FAQ,
 * troubleshooting guides, leads, service names) come from the site config; see IntentMatcher.
 * Written as people say them; they are normalised and matched tolerantly, so one spelling each is
 * enough ("what's" and "what is" are the same). Prefer phrasings that name the thing over bare
 * question shapes: "where is" alone would catch "where is the station".
 */
import type { IntentId } from './IntentMatcher.js';

/** Every combination of `heads` and `tails`: ["talk to", "speak to"] × ["a person", "someone"]. */
const combine = (heads: readonly string[], tails: readonly string[]) => heads.flatMap((head) => tails.map((tail) => `${head} ${tail}`));

const PLACES_INSIDE = ['the waiting room', 'reception', 'the lift', 'the lifts', 'the elevator', 'the stairs', 'the entrance', 'the exit', 'the way out'];
const PEOPLE = ['a person', 'a real person', 'a human', 'a real human', 'someone', 'somebody', 'a receptionist', 'the receptionist', 'reception', 'staff', 'a member of staff', 'the staff', 'a manager', 'anyone'];
const MY_APPOINTMENT = ['my appointment', 'my booking', 'the appointment', 'the booking'];

/** Built-in phrasings of the intents that do not come from site data. */
export const INTENT_PHRASINGS: Readonly<Partial<Record<IntentId, readonly string[]>>> = {
  openingHours: [
    'opening hours', 'opening times', 'what are your hours', 'what are the hours', 'business hours', 'when are you open',
    'what time do you open', 'what time do you close', 'when do you open', 'when do you close', 'what time are you open until',
    'what days are you open', 'are you open on saturday', 'are you open on sunday', 'are you open at the weekend',
    'are you open tomorrow', 'when do you open tomorrow', 'what time do you open tomorrow', 'how late are you open',
  ],
  openNow: [
    'are you open', 'are you open now', 'are you open today', 'is it open now', 'open today',
    'are you still open', 'what time do you close today', 'when do you close today', 'what time do you open today',
    'how late are you open today', 'when are you open today',
  ],
  address: [
    'what is your address', 'what is the address', 'address', 'where are you', 'where are you located',
    'what street are you on', 'what is your postcode', 'postcode', 'zip code', 'your location',
  ],
  directions: [
    'directions', 'how do i get there', 'where do i go', 'where should i go', 'which way do i go', 'where do i wait',
    'which floor', 'how do i find you',
    ...combine(['where is', 'how do i get to', 'how do i find', 'which way is'], PLACES_INSIDE),
  ],
  wifi: [
    'wifi', 'wifi password', 'what is the wifi', 'what is the wifi password', 'wifi network', 'internet', 'internet password',
    'wireless', 'wireless network', 'can i get online', 'is there wifi', 'network password', 'guest network',
  ],
  goodbye: ['goodbye', 'bye', 'bye bye', 'see you', 'see you later', 'that is all', 'that is everything', 'thanks bye', 'thank you goodbye', 'thank you very much goodbye', 'that is all thanks', 'that is all thank you', 'have a nice day', 'cheerio'],
  thanks: ['thanks', 'thank you', 'thank you very much', 'thanks a lot', 'cheers', 'much appreciated', 'that is great thanks', 'that is helpful'],
  human: [
    ...combine(['talk to', 'speak to', 'speak with', 'talk with', 'i want', 'i need', 'get me', 'can i see'], PEOPLE),
    'is anyone there', 'is there anyone here', 'human please', 'operator', 'call someone', 'fetch someone',
  ],
  message: [
    'leave a message', 'can i leave a message', 'take a message', 'pass on a message', 'give them a message',
    'leave a note', 'can you pass a message', 'leave a message for the doctor',
  ],
  book: [
    'book an appointment', 'make an appointment', 'i would like to book', 'i want to book', 'can i book', 'booking',
    'schedule an appointment', 'i need an appointment', 'get an appointment', 'arrange an appointment', 'new appointment',
    'i would like an appointment', 'can i have an appointment', 'is there an appointment available', 'free appointment',
    'available appointments', 'when can i come in', 'book in',
  ],
  reschedule: [
    'reschedule', 'reschedule my appointment',
    ...combine(['change', 'move', 'rearrange', 'rebook', 'postpone', 'change the time of', 'change the day of', 'a different time for'], MY_APPOINTMENT),
  ],
  cancel: [
    'i want to cancel', 'i need to cancel',
    ...combine(['cancel', 'i want to cancel', 'call off'], ['my appointment', 'my booking', 'the appointment', 'the booking', 'an appointment', 'a booking']),
  ],
};

/** Templates that name a service: `{s}` is each of its names. Matched as 'book' with the service's id. */
export const BOOK_SERVICE_TEMPLATES: readonly string[] = [
  'book a {s}', 'book {s}', 'i would like a {s}', 'i need a {s}', 'can i have a {s}', 'can i get a {s}', 'make a {s}', 'arrange a {s}',
  'schedule a {s}', '{s} appointment', 'appointment for a {s}',
];

/** Templates that name a troubleshooting guide: `{t}` is its title ("the printer"). */
export const TROUBLESHOOT_TEMPLATES: readonly string[] = [
  '{t} is not working', '{t} does not work', 'problem with {t}', '{t} is broken', 'help with {t}', 'something wrong with {t}', '{t} is stuck',
];

/** Phrasings that name the site: `{site}` is site.name ("where is Riverside Clinic"). */
export const SITE_TEMPLATES: Readonly<Partial<Record<IntentId, readonly string[]>>> = {
  address: ['where is {site}', 'how do i get to {site}', 'what is the address of {site}', 'where is {site} located'],
  openNow: ['is {site} open', 'is {site} open today', 'is {site} open now'],
  openingHours: ['when is {site} open', 'what are the opening hours of {site}'],
};
