import { KioskVoiceError } from '../errors.js';

/** Collapses line breaks so a message always prints as one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
}

/**
 * The configuration could not be read or has a bad value. The message names where the value came
 * from (config file, environment variable, model set, command line) and the setting's path; it is
 * always one line.
 */
export class ConfigError extends KioskVoiceError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(oneLine(message), hint === undefined ? undefined : oneLine(hint), options);
  }
}

/** A short, quoted, one-line rendering of a value for a message (long values are cut). */
export function preview(value: unknown, max = 40): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
