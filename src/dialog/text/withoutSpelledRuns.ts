/**
 * The text without runs of two or more single letters or digits ("9 p b", "k 4 7"): how a booking
 * reference is spelled. What is left can be read for a day and a time without "9 p b" becoming 21:00.
 */
export function withoutSpelledRuns(text: string): string {
  return text.replace(/(?:^|(?<=\s))(?:[a-z0-9][\s,.-]+)+[a-z0-9](?=$|[\s,.?!])/gi, ' ');
}
