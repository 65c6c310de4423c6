/**
 * Child process entry: sends PortAudio's device list to the parent over IPC and exits.
 *
 * Listing devices initialises PortAudio, which probes every ALSA card and JACK and prints about it
 * on stdout and stderr, and naudiodon can crash doing so. In a child, the noise and any crash stay
 * out of `kiosk-voice devices` and the agent.
 */
import type { PortAudioDevice } from './matchDevice.js';

/** What the child reports. */
export type PortAudioListReport = { type: 'devices'; devices: PortAudioDevice[] } | { type: 'failed'; message: string };

function report(message: PortAudioListReport): void {
  if (process.send) process.send(message, undefined, {}, () => process.exit(message.type === 'devices' ? 0 : 2));
  else process.exit(3);
}

try {
  const naudiodon = (await import('naudiodon')).default;
  const devices = naudiodon.getDevices().map(
    (d): PortAudioDevice => ({
      id: d.id,
      name: d.name,
      maxInputChannels: d.maxInputChannels,
      maxOutputChannels: d.maxOutputChannels,
      defaultSampleRate: d.defaultSampleRate,
      hostAPIName: d.hostAPIName,
    }),
  );
  report({ type: 'devices', devices });
} catch (error) {
  report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
