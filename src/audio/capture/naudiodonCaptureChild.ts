/**
 * Child process entry: records from one PortAudio (naudiodon) input and streams the raw bytes to
 * the parent over fd 3. Run only by NaudiodonCapture.
 *
 * Why a child process: naudiodon installs a segfault handler, printf()s to stdout from C++, and
 * PortAudio can crash or hang in a driver. Here a crash costs one reopen, not the kiosk. The parent
 * discards this process's stdout (PortAudio and JACK write their noise there) and keeps stderr only
 * for a debug log, so audio goes over a dedicated pipe (fd 3) and status over the IPC channel.
 *
 * argv[2] is a JSON {@link NaudiodonChildOptions}. Messages to the parent are
 * {@link NaudiodonChildMessage}s. Exit code 0: stopped by the parent; 1: a reported error.
 */
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { matchDevice, type PortAudioDevice } from '../devices/matchDevice.js';
import { KioskVoiceError } from '../../errors.js';

export interface NaudiodonChildOptions {
  device: string;
  sampleRate: number;
  channels: number;
  chunkMs: number;
}

export type NaudiodonChildMessage =
  | { type: 'ready'; device: string; deviceId: number; hostApi: string | undefined }
  | { type: 'xrun'; reason: 'overflow' | 'backlog' }
  | { type: 'error'; message: string; hint: string | undefined };

/** The subset of naudiodon's API used here (its own typings declare it as an ES module, it is CJS). */
interface Naudiodon {
  getDevices(): (PortAudioDevice & { hostAPIName: string })[];
  getHostAPIs(): { defaultHostAPI: number; HostAPIs: { defaultInput: number }[] };
  AudioIO(options: { inOptions: Record<string, number | boolean> }): NaudiodonStream;
}
interface NaudiodonStream {
  on(event: 'data', listener: (chunk: Buffer) => void): NaudiodonStream;
  on(event: 'error', listener: (error: Error) => void): NaudiodonStream;
  start(): void;
  abort(callback?: () => void): void;
  removeAllListeners(): void;
}

/** Audio the pipe to the parent may hold before chunks are dropped (and counted as xruns). */
const MAX_BACKLOG_MS = 1000;

const send = (message: NaudiodonChildMessage): void => {
  if (process.connected) process.send!(message);
};

let failed = false;

/** Reports the error and exits once the message has left (IPC sends are asynchronous). */
function fail(message: string, hint?: string): void {
  if (failed) return;
  failed = true;
  if (!process.connected) process.exit(1);
  process.send!({ type: 'error', message, hint } satisfies NaudiodonChildMessage, () => process.exit(1));
}

function main(): void {
  const options = JSON.parse(process.argv[2] ?? '{}') as NaudiodonChildOptions;
  const { device, sampleRate, channels, chunkMs } = options;
  // The parent went away (crashed, was killed): nobody would read the audio.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));

  let naudiodon: Naudiodon;
  try {
    naudiodon = createRequire(import.meta.url)('naudiodon') as Naudiodon;
  } catch (error) {
    return fail(
      `naudiodon cannot be loaded: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`,
      process.arch === 'arm64' ? 'run scripts/relink-portaudio.sh (naudiodon ships an x86 PortAudio), or set audio.capture.backend: arecord' : 'reinstall naudiodon, or set audio.capture.backend: arecord',
    );
  }

  const devices = naudiodon.getDevices();
  let chosen: PortAudioDevice & { hostAPIName?: string };
  try {
    chosen = pickDevice(naudiodon, devices, device);
  } catch (error) {
    if (error instanceof KioskVoiceError) return fail(error.message, error.hint);
    throw error;
  }
  if (channels > chosen.maxInputChannels) {
    return fail(`capture device "${chosen.name}" has ${chosen.maxInputChannels} input channels, ${channels} were asked for`, 'lower audio.capture.channels');
  }

  const audio = new Socket({ fd: 3, readable: false, writable: true });
  audio.on('error', () => process.exit(0));
  const bytesPerMs = (sampleRate * channels * 2) / 1000;
  const chunkFrames = Math.round((sampleRate * chunkMs) / 1000);
  const chunkBytes = chunkFrames * channels * 2;
  let backlogged = false;

  const open = (): NaudiodonStream | undefined => {
    let io: NaudiodonStream;
    try {
      io = naudiodon.AudioIO({
        inOptions: {
          deviceId: chosen.id,
          sampleRate,
          channelCount: channels,
          // The default is 8-bit.
          sampleFormat: 16,
          framesPerBuffer: chunkFrames,
          // naudiodon's read() waits for exactly highwaterMark bytes, so this is the latency a read
          // adds: one chunk. Its default (16 KiB) would be half a second at 16 kHz mono.
          highwaterMark: chunkBytes,
          // PortAudio callback buffers queued for us before the callback blocks (an overflow).
          maxQueue: Math.max(8, Math.ceil(200 / chunkMs)),
          // Report overflows as errors (we count them) instead of printf()ing them to stdout.
          closeOnError: true,
        },
      });
    } catch (error) {
      return void fail(`capture device "${chosen.name}" cannot be opened: ${(error as Error).message}`, `check audio.capture.sampleRate (${sampleRate}) and channels (${channels}) against what the device supports (\`kiosk-voice devices\`)`);
    }
    io.on('data', (chunk: Buffer) => {
      // Never buffer without bound if the parent stops reading: drop, and say so once per episode.
      if (audio.writableLength > MAX_BACKLOG_MS * bytesPerMs) {
        if (!backlogged) send({ type: 'xrun', reason: 'backlog' });
        backlogged = true;
        return;
      }
      backlogged = false;
      audio.write(chunk);
    });
    io.on('error', (error: Error) => {
      if (/overflow/i.test(error.message)) {
        // The stream is destroyed after an error: report the lost audio and open it again here,
        // which is far quicker than a new process.
        send({ type: 'xrun', reason: 'overflow' });
        io.removeAllListeners();
        io.abort();
        start();
        return;
      }
      fail(`capture device "${chosen.name}" failed: ${error.message}`, 'the mic was unplugged or its driver failed; it is reopened automatically');
    });
    return io;
  };

  const start = (): boolean => {
    const io = open();
    if (!io) return false;
    try {
      io.start();
    } catch (error) {
      fail(`capture device "${chosen.name}" cannot be started: ${(error as Error).message}`, 'check that no other program holds the device (or share it with dsnoop, see README)');
      return false;
    }
    return true;
  };

  if (start()) send({ type: 'ready', device: chosen.name, deviceId: chosen.id, hostApi: chosen.hostAPIName });
}

/**
 * `default` means a device literally called so if PortAudio lists one (ALSA does when a card
 * exists), else PortAudio's default input; any other name goes through matchDevice.
 */
function pickDevice(naudiodon: Naudiodon, devices: (PortAudioDevice & { hostAPIName?: string })[], query: string): PortAudioDevice & { hostAPIName?: string } {
  if (query === 'default' && !devices.some((d) => d.name === 'default' && d.maxInputChannels > 0)) {
    const apis = naudiodon.getHostAPIs();
    const id = apis.HostAPIs[apis.defaultHostAPI]?.defaultInput;
    const found = devices.find((d) => d.id === id && d.maxInputChannels > 0);
    if (!found) {
      const names = devices.filter((d) => d.maxInputChannels > 0).map((d) => `"${d.name}"`).join(', ') || 'none';
      throw new KioskVoiceError(`PortAudio has no default input device (inputs: ${names})`, 'set audio.capture.device to one of the inputs `kiosk-voice devices` lists, and check that the mic is plugged in');
    }
    return found;
  }
  return matchDevice(devices, query, 'input');
}

try {
  main();
} catch (error) {
  fail(`naudiodon capture failed: ${(error as Error).message}`);
}
