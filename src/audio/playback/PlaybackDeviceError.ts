import { KioskVoiceError } from '../../errors.js';

/**
 * The speaker could not be opened, or stopped working while playing (the player process died,
 * the device vanished or stopped taking audio). As a `drain()` rejection: audio written before it
 * was lost, after a new player failed as well. The next write tries the device again.
 */
export class PlaybackDeviceError extends KioskVoiceError {}

/** The hint for a device that will not open: where to find a name that works. */
export const PLAYBACK_DEVICE_HINT = 'check audio.playback.device against `kiosk-voice devices` (or `aplay -L`), and that nothing else holds the device';
