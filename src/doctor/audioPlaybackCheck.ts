import { AplaySink } from '../audio/playback/AplaySink.js';
import { aplayDeviceFor } from '../audio/playback/createAudioSink.js';
import { NaudiodonSink } from '../audio/playback/NaudiodonSink.js';
import type { KioskConfig } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import { failureText, withBusyAdvice } from './audioFailures.js';
import { configured, type CheckOutcome, type DoctorCheck, type DoctorContext } from './DoctorCheck.js';

/** Silence written to the device: enough for the player to open it and play a period or two. */
const SILENCE_MS = 100;
/** The rate the check plays at; every voice here is 16–24 kHz and the players convert anyway. */
const SAMPLE_RATE = 16000;
/** PortAudio probes every device before it opens one; as long as the capture check gives it. */
const OPEN_TIMEOUT_MS = 5000;
/** Opening, playing the silence (and the player's padding) and closing, per backend. */
const ATTEMPT_MS = OPEN_TIMEOUT_MS + 2000;

type PlaybackBackendName = 'naudiodon' | 'aplay';
type PlaybackConfig = KioskConfig['audio']['playback'];

/**
 * Opens the configured playback device, plays 100 ms of silence and closes it. With `auto`
 * naudiodon is tried first and aplay after it, as the daemon does; only the fallback working is a
 * warning.
 */
export const audioPlaybackCheck: DoctorCheck = {
  name: 'audio playback',
  needsConfig: true,
  timeoutMs: (context) => backendsFor(context).length * ATTEMPT_MS,
  timeoutAdvice: 'the playback device or its driver hangs: try `aplay -D <device> /usr/share/sounds/alsa/Front_Center.wav` by hand, replug the device',
  async run(context, signal) {
    const { config, logger, env } = configured(context);
    const playback = config.audio.playback;
    const failures: string[] = [];
    let lastHint: string | undefined;
    for (const backend of backendsFor(context)) {
      let opened: string;
      try {
        opened = await playSilence(backend, playback, logger, env, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failures.push(failureText(backend, error));
        lastHint = error instanceof KioskVoiceError ? error.hint : undefined;
        continue;
      }
      return describePlayback(opened, backend, failures, context);
    }
    return {
      status: 'fail',
      detail: `"${playback.device}" cannot play — ${failures.join('; ')}`,
      advice: withBusyAdvice(lastHint ?? 'check `kiosk-voice devices`', failures),
    };
  },
};

function backendsFor(context: DoctorContext): PlaybackBackendName[] {
  const { backend } = configured(context).config.audio.playback;
  return backend === 'auto' ? ['naudiodon', 'aplay'] : [backend];
}

function describePlayback(openedAs: string, backend: PlaybackBackendName, earlier: string[], context: DoctorContext): CheckOutcome {
  const { device } = configured(context).config.audio.playback;
  const opened = openedAs === device ? `"${device}"` : `"${device}" (${openedAs})`;
  const detail = `${opened} via ${backend}: played ${SILENCE_MS} ms of silence at ${SAMPLE_RATE} Hz`;
  if (earlier.length === 0) return { status: 'ok', detail };
  return { status: 'warn', detail: `${detail}; ${earlier.join('; ')}`, advice: `the daemon falls back to ${backend} at every start: set audio.playback.backend: ${backend}` };
}

/**
 * Opens one backend, plays the silence to the end and closes the player; returns the name the
 * device was opened under (the PortAudio device a name matched, the ALSA PCM for aplay). These are the sinks createAudioSink opens, built here rather than through
 * it so that a hung open can be cut short: PortAudio gets {@link OPEN_TIMEOUT_MS} and an abort
 * closes the player at once, so no player process outlives the check.
 */
async function playSilence(backend: PlaybackBackendName, config: PlaybackConfig, logger: Logger, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  const common = { sampleRate: SAMPLE_RATE, volume: config.volume, leadMs: config.leadMs, logger: logger.child({ component: 'doctor-playback' }), env };
  const sink =
    backend === 'naudiodon'
      ? new NaudiodonSink({ ...common, device: config.device, openTimeoutMs: OPEN_TIMEOUT_MS })
      : new AplaySink({ ...common, device: await aplayDeviceFor(config.device, env) });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([sink.start(), aborted]);
    sink.write(new Int16Array((SAMPLE_RATE * SILENCE_MS) / 1000));
    await Promise.race([sink.drain(), aborted]);
    return sink instanceof NaudiodonSink ? (sink.deviceName ?? sink.device) : sink.device;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    await sink.close();
  }
}
