import { KioskVoiceError } from '../errors.js';

/** The configuration could not be read or has a bad value. */
export class ConfigError extends KioskVoiceError {}
