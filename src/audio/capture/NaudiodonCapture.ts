import type { Readable } from 'node:stream';
import { KioskVoiceError } from '../../errors.js';
import { meaningfulStderr, spawnNodeChild } from '../spawnNodeChild.js';
import { CaptureProcess } from './CaptureProcess.js';
import type { NaudiodonChildMessage, NaudiodonChildOptions } from './naudiodonCaptureChild.js';

/** The naudiodon capture process could not open the device, lost it, or crashed. */
export class NaudiodonCaptureError extends KioskVoiceError {}

/** stderr kept for the debug log (PortAudio's ALSA probe alone writes ~100 lines). */
const STDERR_KEEP_CHARS = 16_384;

/**
 * One naudiodon (PortAudio) capture child process: opens one input and streams its bytes until it
 * is stopped or fails. Audio arrives over fd 3, status over the IPC channel; the child's stdout is
 * discarded (PortAudio and JACK print there) and its stderr is kept only for a debug log.
 */
export class NaudiodonCapture extends CaptureProcess {
  readonly backend = 'naudiodon' as const;
  private reported: NaudiodonChildMessage & { type: 'error' } | undefined;
  private stderr = '';

  start(): void {
    if (this.child) throw new Error('NaudiodonCapture.start() called twice');
    const { device, sampleRate, channels, chunkMs, env, logger } = this.options;
    const childOptions: NaudiodonChildOptions = { device, sampleRate, channels, chunkMs };
    // stdin, stdout (discarded: PortAudio's noise), stderr (debug log), fd 3 (audio), IPC (status).
    // The child runs the compiled .js beside this file, or the .ts through tsx from source.
    const child = spawnNodeChild(import.meta.url, 'naudiodonCaptureChild', [JSON.stringify(childOptions)], ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'], env);
    this.child = child;
    logger.debug({ pid: child.pid, device }, 'naudiodon capture child started');

    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => this.emit('data', chunk));
    // A read error on the audio pipe only means the child is gone; 'close' says why.
    (child.stdio[3] as Readable).on('error', () => {});
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    child.on('message', (message: NaudiodonChildMessage) => {
      if (message.type === 'ready') {
        logger.debug({ device: message.device, deviceId: message.deviceId, hostApi: message.hostApi }, 'naudiodon capture device open');
        this.emit('ready', { device: message.device });
      } else if (message.type === 'xrun') {
        this.emit('xrun');
      } else if (message.type === 'error') {
        this.reported ??= message;
      }
    });
    child.once('error', (error) => this.finish(new NaudiodonCaptureError(`cannot start the naudiodon capture process: ${error.message}`, 'check the Node.js installation')));
    child.once('close', (code, signal) => this.finish(this.stopping ? undefined : this.exitError(code, signal)));
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): NaudiodonCaptureError {
    const { device, logger } = this.options;
    const stderr = meaningfulStderr(this.stderr, 10);
    if (stderr) logger.debug({ stderr }, 'naudiodon capture child stderr');
    if (this.reported) return new NaudiodonCaptureError(this.reported.message, this.reported.hint);
    if (signal) {
      return new NaudiodonCaptureError(
        `the naudiodon capture process for "${device}" died (${signal})`,
        signal === 'SIGSEGV' || signal === 'SIGABRT' || signal === 'SIGBUS' ? 'PortAudio crashed; it is restarted, and if it keeps crashing set audio.capture.backend: arecord' : 'it is restarted automatically',
      );
    }
    return new NaudiodonCaptureError(`the naudiodon capture process for "${device}" exited with code ${code}`, 'run with --log-level debug to see its output');
  }
}
