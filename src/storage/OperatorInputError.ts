import { KioskVoiceError } from '../errors.js';

/** An operator command was given something it cannot use: a date that is not YYYY-MM-DD, a range that ends before it starts, an output file it cannot write. */
export class OperatorInputError extends KioskVoiceError {}
