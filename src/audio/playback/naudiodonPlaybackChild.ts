/**
 * Child process entry: plays audio through PortAudio (naudiodon) on one output device.
 *
 * naudiodon runs here, not in the agent, because it prints to stdout, installs a segfault handler
 * and can crash; a crash costs the agent one error and a respawn. The parent sends audio and
 * control as frames on fd 3 (stdout is not ours: PortAudio and naudiodon print to it) and gets
 * reports over the IPC channel (see naudiodonPlaybackProtocol.ts).
 */
import { Socket } from 'node:net';
import type { IoStreamWrite } from 'naudiodon';
import { KioskVoiceError } from '../../errors.js';
import { matchDevice } from '../devices/matchDevice.js';
import { FRAME_HEADER_BYTES, FrameKind, type PlaybackChildInit, type PlaybackChildReport } from './naudiodonPlaybackProtocol.js';

// Blocks of 10 ms with a queue of two: what a stop cannot take back (queued + in flight) stays
// around 30 ms, while a child that does nothing else easily refills within 20 ms.
const BLOCK_MS = 10;
const MAX_QUEUE = 2;

function report(message: PlaybackChildReport, then?: () => void): void {
  if (process.send) process.send(message, undefined, {}, () => then?.());
  else then?.();
}

function failAndExit(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof KioskVoiceError ? error.hint : undefined;
  report({ type: 'failed', message, ...(hint ? { hint } : {}) }, () => process.exit(2));
}

async function main(): Promise<void> {
  const init = JSON.parse(process.argv[2] ?? '{}') as PlaybackChildInit;
  const naudiodon = (await import('naudiodon')).default;
  const device = matchDevice(naudiodon.getDevices(), init.device, 'output');
  const blockFrames = Math.max(1, Math.round((init.sampleRate * BLOCK_MS) / 1000));
  const stream: IoStreamWrite = naudiodon.AudioIO({
    outOptions: {
      deviceId: device.id,
      sampleRate: init.sampleRate,
      channelCount: 1,
      // naudiodon's default is 8-bit.
      sampleFormat: naudiodon.SampleFormat16Bit,
      // One block per PortAudio callback: the callback waits for a full buffer, so a larger one
      // would hold the end of an utterance back until the next utterance came.
      framesPerBuffer: blockFrames,
      maxQueue: MAX_QUEUE,
      highwaterMark: blockFrames * 2,
      // Underflows between utterances are expected; they must not close the stream.
      closeOnError: false,
    },
  });
  stream.start();

  const queue: { bytes: Buffer; real: number }[] = [];
  let writing = false;
  let epoch = 0;
  let accepted = 0;
  let reportDue = false;

  const reportSoon = () => {
    if (reportDue) return;
    reportDue = true;
    setImmediate(() => {
      reportDue = false;
      report({ type: 'played', epoch, frames: accepted });
    });
  };

  const pump = () => {
    if (writing) return;
    const block = queue.shift();
    if (!block) return;
    writing = true;
    const writtenIn = epoch;
    stream.write(block.bytes, (error?: Error | null) => {
      writing = false;
      if (error) return failAndExit(new KioskVoiceError(`PortAudio write failed on "${device.name}": ${error.message}`));
      if (writtenIn === epoch && block.real > 0) {
        accepted += block.real;
        reportSoon();
      }
      pump();
    });
  };

  const enqueue = (payload: Buffer, real: boolean) => {
    const blockBytes = blockFrames * 2;
    for (let offset = 0; offset < payload.length; offset += blockBytes) {
      // Copied: the payload is a view into a buffer the reader reuses.
      const bytes = Buffer.from(payload.subarray(offset, Math.min(payload.length, offset + blockBytes)));
      queue.push({ bytes, real: real ? bytes.length / 2 : 0 });
    }
    pump();
  };

  let pending: Buffer = Buffer.alloc(0);
  const input = new Socket({ fd: 3, readable: true, writable: false });
  input.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= FRAME_HEADER_BYTES) {
      const kind = pending.readUInt32LE(0);
      const length = pending.readUInt32LE(4);
      if (pending.length < FRAME_HEADER_BYTES + length) break;
      const payload = pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      pending = pending.subarray(FRAME_HEADER_BYTES + length);
      if (kind === FrameKind.audio || kind === FrameKind.padding) enqueue(payload, kind === FrameKind.audio);
      else if (kind === FrameKind.stop) {
        queue.length = 0;
        epoch += 1;
        accepted = 0;
        // PortAudio's callback waits for a full buffer: without silence behind it, the unplayed
        // rest of the cut audio would sit there and come out at the start of the next utterance.
        enqueue(Buffer.alloc((MAX_QUEUE + 1) * blockFrames * 2), false);
        reportSoon();
      }
    }
  });
  // The parent went away (or closed us): nothing more will come.
  input.on('close', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));

  report({ type: 'ready', device: { name: device.name, hostAPIName: device.hostAPIName, defaultSampleRate: device.defaultSampleRate } });
}

main().catch(failAndExit);
