import { KioskVoiceError } from '../../errors.js';

/** What PortAudio (naudiodon's getDevices) says about a device. */
export interface PortAudioDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName?: string;
}

/** No device matches the configured name. */
export class AudioDeviceNotFoundError extends KioskVoiceError {}

/**
 * Finds the device a config names, by exact name first, then by case-insensitive substring, among
 * the devices that can capture (input) or play (output). Indices are never accepted: they change
 * when devices are plugged in another order.
 */
export function matchDevice(devices: PortAudioDevice[], query: string, direction: 'input' | 'output'): PortAudioDevice {
  const usable = devices.filter((d) => (direction === 'input' ? d.maxInputChannels : d.maxOutputChannels) > 0);
  const exact = usable.find((d) => d.name === query);
  if (exact) return exact;
  const needle = query.toLowerCase();
  const matches = usable.filter((d) => d.name.toLowerCase().includes(needle));
  if (matches.length === 1) return matches[0]!;
  const names = usable.map((d) => `"${d.name}"`).join(', ') || 'none';
  if (matches.length > 1) {
    throw new AudioDeviceNotFoundError(
      `"${query}" matches ${matches.length} ${direction} devices: ${matches.map((d) => `"${d.name}"`).join(', ')}`,
      'use a longer part of the name (see `kiosk-voice devices`)',
    );
  }
  throw new AudioDeviceNotFoundError(`no ${direction} device matches "${query}" (available: ${names})`, 'check the device name with `kiosk-voice devices`, or that the device is plugged in');
}
