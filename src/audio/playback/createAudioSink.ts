import type { KioskConfig } from '../../config/schema.js';
import type { Logger } from '../../logging/createLogger.js';
import type { AudioSink } from '../AudioSink.js';
import { listAlsaDevices, matchAlsaPcm, type AlsaPcm } from '../devices/listAudioDevices.js';
import { AplaySink } from './AplaySink.js';
import { NaudiodonSink } from './NaudiodonSink.js';
import { PlaybackDeviceError } from './PlaybackDeviceError.js';
import type { PlaybackObserver } from './PlaybackObserver.js';

/**
 * A speaker as the agent holds it: an `AudioSink` that knows its backend, survives its player and
 * can be closed. The contract:
 *
 * - `write()` never fails for the device's sake: audio is queued and played by the current player,
 *   or by a new one if the last one failed.
 * - When a player fails (dies, cannot open the device, or stops taking audio), what it had not
 *   played is played by a new player, started at once. If that one fails too before playing
 *   anything, that audio is given up: the observer's `lost()` is called, and the `drain()` waiting
 *   then (or else the next one, once) rejects with the `PlaybackDeviceError`. A failure that cost
 *   no audio (a player that died between replies) rejects no drain; it is logged.
 * - After failures in a row, new players start with a growing, bounded delay; the first one that
 *   plays is logged once as "speaker back".
 * - `drain()` resolves once everything written has been played, by the clock and, where the device
 *   reports it, by the device; `position()` counts real samples played, never the lost ones. At a
 *   player failure it steps back to what the dead player surely played (not what it was handed in
 *   its last 50 ms): that part is played again rather than skipped.
 * - `stop()` cuts at once (within the lead, ~50 ms) and is never reported as a failure.
 */
export interface PlaybackSink extends AudioSink {
  readonly backend: 'naudiodon' | 'aplay';
  /** The device as the backend was asked to open it (an ALSA PCM for aplay, the configured name for naudiodon). */
  readonly device: string;
  /** The one observer of when audio starts playing and what is lost (the turn's `PlaybackLedger`). */
  observe(observer: PlaybackObserver): void;
  /** The volume factor (0–2) applied to audio written from now on. */
  readonly volume: number;
  /** Changes the volume for audio written from now on (an operator's command). */
  setVolume(volume: number): void;
  /** Cuts playback and ends the player process. */
  close(): Promise<void>;
}

export interface CreateAudioSinkOptions {
  /** Environment for the player processes (ALSA reads `$HOME/.asoundrc`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens the speaker as `audio.playback` says: naudiodon (PortAudio in a child process), aplay, or
 * `auto` — naudiodon, and aplay when naudiodon cannot open the device (one warning line). The
 * device is open when this resolves, so a wrong name fails here with the reason.
 */
export async function createAudioSink(
  config: KioskConfig['audio']['playback'],
  sampleRate: number,
  logger: Logger,
  options: CreateAudioSinkOptions = {},
): Promise<PlaybackSink> {
  const common = { sampleRate, volume: config.volume, leadMs: config.leadMs, logger, env: options.env };
  if (config.backend === 'naudiodon') return NaudiodonSink.open({ ...common, device: config.device });
  if (config.backend === 'auto') {
    try {
      return await NaudiodonSink.open({ ...common, device: config.device });
    } catch (error) {
      if (!(error instanceof PlaybackDeviceError)) throw error;
      logger.warn({ device: config.device, reason: error.message }, 'naudiodon cannot open the playback device; using aplay');
    }
  }
  const device = await aplayDeviceFor(config.device, options.env);
  const sink = new AplaySink({ ...common, device });
  await sink.start();
  if (device !== config.device) logger.info({ device: config.device, pcm: device }, 'playback device matched an ALSA PCM');
  return sink;
}

/**
 * The ALSA PCM aplay should open for a configured name. A PCM name or spec (`default`,
 * `plughw:CARD=…`, anything `aplay -L` lists) is used as it is; otherwise the name is taken as part
 * of a listed PCM name or description (see `matchAlsaPcm`). Never an index.
 */
export async function aplayDeviceFor(device: string, env?: NodeJS.ProcessEnv): Promise<string> {
  if (device.includes(':') || device === 'default') return device;
  let pcms: AlsaPcm[];
  try {
    pcms = (await listAlsaDevices('playback', { env })).pcms;
  } catch {
    return device;
  }
  // Nothing or too much matched: aplay gets the name as written and says what is wrong with it.
  return matchAlsaPcm(pcms, device) ?? device;
}
