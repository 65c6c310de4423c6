import { setTimeout as sleep } from 'node:timers/promises';
import { ArecordCapture } from '../audio/capture/ArecordCapture.js';
import type { RawCaptureOptions } from '../audio/capture/CaptureProcess.js';
import type { CaptureBackend, CaptureBackendName } from '../audio/capture/LiveCapture.js';
import { NaudiodonCapture } from '../audio/capture/NaudiodonCapture.js';
import { KioskVoiceError } from '../errors.js';
import { configured, type CheckOutcome, type DoctorCheck, type DoctorContext } from './DoctorCheck.js';
import { failureText, withBusyAdvice } from './audioFailures.js';
import { formatDbfs, pcmLevel } from './pcmLevel.js';

/** Audio read from the device: enough to see a level, short enough not to keep anyone waiting. */
const READ_MS = 200;
/** Like LiveCapture's open timeout: PortAudio probes every device before it opens one. */
const OPEN_TIMEOUT_MS = 5000;
/** What stopping a capture process may take (it gets SIGKILL after 1 s). */
const STOP_MS = 2000;

/** The device opened but delivered nothing (a held device, a FIFO with no writer, a wedged driver). */
export class CaptureNoAudioError extends KioskVoiceError {}

interface Capture {
  bytes: Buffer;
  /** The name the backend found the device under (naudiodon matches part of a name). */
  device: string;
}

/**
 * Opens the configured capture device with the configured backend (`auto`: naudiodon, then
 * arecord, as the daemon falls back) and reads 200 ms, then reports the level over the channels the
 * pipeline uses. Only the fallback working is a warning; digital silence is one too (a muted
 * capture control gives exact zeros, a real room never does).
 */
export const audioCaptureCheck: DoctorCheck = {
  name: 'audio capture',
  needsConfig: true,
  timeoutMs: (context) => backendsFor(context).length * (OPEN_TIMEOUT_MS + STOP_MS),
  timeoutAdvice: 'the capture device or its driver hangs: try `arecord -D <device> -d 1 /dev/null` by hand, replug the device',
  async run(context, signal) {
    const { config, logger, env } = configured(context);
    const capture = config.audio.capture;
    const options: RawCaptureOptions = {
      device: capture.device,
      sampleRate: capture.sampleRate,
      channels: capture.channels,
      chunkMs: capture.chunkMs,
      logger: logger.child({ component: 'doctor-capture' }),
      env,
    };
    const wantBytes = Math.round((capture.sampleRate * READ_MS) / 1000) * capture.channels * 2;
    const failures: string[] = [];
    let lastHint: string | undefined;
    for (const backend of backendsFor(context)) {
      let result: Capture;
      try {
        result = await readFrom(backend, options, wantBytes, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failures.push(failureText(backend, error));
        lastHint = error instanceof KioskVoiceError ? error.hint : undefined;
        continue;
      }
      return describeCapture(result, backend, failures, context);
    }
    return {
      status: 'fail',
      detail: `"${capture.device}" gives no audio — ${failures.join('; ')}`,
      advice: withBusyAdvice(lastHint ?? 'check `kiosk-voice devices` and that the mic is plugged in', failures),
    };
  },
};

function backendsFor(context: DoctorContext): CaptureBackendName[] {
  const { backend } = configured(context).config.audio.capture;
  return backend === 'auto' ? ['naudiodon', 'arecord'] : [backend];
}

function describeCapture(result: Capture, backend: CaptureBackendName, earlier: string[], context: DoctorContext): CheckOutcome {
  const capture = configured(context).config.audio.capture;
  const level = pcmLevel(result.bytes, capture.channels, capture.useChannels);
  const frames = Math.floor(level.frames / ((capture.sampleRate * capture.chunkMs) / 1000));
  const found = result.device === capture.device ? `"${capture.device}"` : `"${capture.device}" (${result.device})`;
  const what = `${found} via ${backend}: ${frames} frames of ${capture.chunkMs} ms at ${capture.sampleRate} Hz × ${capture.channels} ch`;
  if (!Number.isFinite(level.peakDbfs)) {
    return {
      status: 'warn',
      detail: `${what}, digital silence (every sample is 0)`,
      advice: 'a real microphone is never exactly silent: check the capture volume and mute switch (`alsamixer`, F4) and that audio.capture.device is the microphone',
    };
  }
  const detail = `${what}, RMS ${formatDbfs(level.rmsDbfs)}, peak ${formatDbfs(level.peakDbfs)}`;
  if (earlier.length > 0) {
    return {
      status: 'warn',
      detail: `${detail}; ${earlier.join('; ')}`,
      advice: `the daemon falls back to ${backend} after ${capture.naudiodonFailuresBeforeFallback} failed opens at every start: set audio.capture.backend: ${backend}`,
    };
  }
  return { status: 'ok', detail };
}

/** One open of one backend: resolves with the first `wantBytes` it delivers; always stops the process. */
function readFrom(name: CaptureBackendName, options: RawCaptureOptions, wantBytes: number, signal: AbortSignal): Promise<Capture> {
  const backend: CaptureBackend = name === 'naudiodon' ? new NaudiodonCapture(options) : new ArecordCapture(options);
  const ended = new Promise<void>((resolve) => backend.once('end', () => resolve()));
  return new Promise<Capture>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    let device = options.device;
    let settled = false;
    const finish = (outcome: { ok: true; value: Capture } | { ok: false; error: unknown }) => {
      if (settled) return;
      settled = true;
      clearTimeout(openTimer);
      signal.removeEventListener('abort', onAbort);
      backend.stop();
      // Settle only once the process is gone, so no capture child outlives the check.
      void Promise.race([ended, sleep(STOP_MS)]).then(() => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
    };
    const onAbort = () => finish({ ok: false, error: signal.reason });
    const openTimer = setTimeout(() => {
      const what = got === 0 ? 'no audio' : `only ${got} of ${wantBytes} bytes`;
      finish({
        ok: false,
        error: new CaptureNoAudioError(
          `capture device "${options.device}" delivered ${what} within ${OPEN_TIMEOUT_MS} ms of opening`,
          'check that no other program holds the device and that it records (`arecord -D <device> -d 1 /dev/null`)',
        ),
      });
    }, OPEN_TIMEOUT_MS);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    backend.on('ready', (info) => (device = info.device));
    backend.on('data', (chunk) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= wantBytes) finish({ ok: true, value: { bytes: Buffer.concat(chunks).subarray(0, wantBytes), device } });
    });
    backend.once('end', (error) => finish({ ok: false, error: error ?? new CaptureNoAudioError(`the ${name} capture of "${options.device}" ended before delivering audio`, 'run with --log-level debug to see its output') }));
    try {
      backend.start();
    } catch (error) {
      finish({ ok: false, error });
    }
  });
}
