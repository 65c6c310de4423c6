import { writeFileSync } from 'node:fs';
import { KioskVoiceError } from '../errors.js';

/** Writes a report file and says where on stderr; an unwritable path is the user's to fix, in one line. */
export function writeReportFile(path: string, text: string, what: string, command: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new KioskVoiceError(`cannot write the ${what} to ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'choose a path in a folder you can write to');
  }
  process.stderr.write(`${command}: ${what} written to ${path}\n`);
}
