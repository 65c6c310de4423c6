import { KioskVoiceError } from '../errors.js';

/**
 * The front-desk database cannot be opened, upgraded or written: a path that is not a directory,
 * a file that is not a database, a schema from a newer kiosk-voice, a lock held too long. The hint
 * says what the operator can change (usually `storage.path`).
 */
export class StorageError extends KioskVoiceError {}
