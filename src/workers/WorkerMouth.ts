import type { Mouth, SpeechAudio } from '../turn/ports.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import type { EngineWorker } from './EngineWorker.js';
import type { MouthEvent, MouthInit, MouthReadyInfo, MouthRequest } from './protocol.js';

/** The mouth worker died or failed while it was speaking. */
export class MouthLostError extends Error {}

/**
 * The `Mouth` port over the mouth worker. Every phrase gets an id issued here; the worker's audio
 * comes back under it. Aborting drops the phrase in the worker, queued or being synthesised.
 */
export class WorkerMouth implements Mouth {
  private readonly phrases = new Map<number, AsyncQueue<SpeechAudio>>();
  private seq = 0;

  constructor(private readonly worker: EngineWorker<MouthInit, MouthRequest, MouthEvent, MouthReadyInfo>) {
    worker.on('event', (event) => this.onEvent(event));
    worker.on('crash', (error) => {
      for (const queue of this.phrases.values()) queue.fail(new MouthLostError(`the synthesiser stopped: ${error.message}`));
      this.phrases.clear();
    });
  }

  get sampleRate(): number {
    return this.worker.ready.sampleRate;
  }

  speak(text: string, signal: AbortSignal): AsyncIterable<SpeechAudio> {
    const speechId = ++this.seq;
    const queue = new AsyncQueue<SpeechAudio>();
    this.phrases.set(speechId, queue);
    signal.addEventListener(
      'abort',
      () => {
        this.worker.post({ type: 'stop', speechId });
        this.phrases.delete(speechId);
        queue.end();
      },
      { once: true },
    );
    this.worker.post({ type: 'speak', speechId, text });
    return queue;
  }

  private onEvent(event: MouthEvent | { type: 'error'; message: string; turnId?: number | undefined }): void {
    const id = event.type === 'error' ? event.turnId : event.speechId;
    if (id === undefined) return;
    const queue = this.phrases.get(id);
    if (!queue) return;
    if (event.type === 'audio') {
      queue.push({ samples: event.samples, at: event.at });
      return;
    }
    this.phrases.delete(id);
    if (event.type === 'error') queue.fail(new MouthLostError(event.message));
    else queue.end();
  }
}
