import { KioskVoiceError } from '../errors.js';

/** The command we suggest whenever a file cannot be used as it is. */
export const SOX_CONVERT_HINT = 'convert it with `sox in.wav -r 16000 -c 1 -b 16 out.wav`';

/**
 * A file given as audio input is not a WAV file we can decode, or cannot be read at all. The
 * message is one line naming the file and what is wrong with it; the hint says how to fix it.
 */
export class WavFormatError extends KioskVoiceError {
  constructor(message: string, hint: string = SOX_CONVERT_HINT, options?: { cause?: unknown }) {
    super(oneLine(message), oneLine(hint), options);
  }
}

/** A WAV file could not be written (missing directory, no permission, disk full). */
export class WavWriteError extends KioskVoiceError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(oneLine(message), hint === undefined ? undefined : oneLine(hint), options);
  }
}

/**
 * Escapes control characters so a file name with a newline in it cannot break the promise that
 * every error is exactly one terminal line.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
