import type { PcmFrame } from '../audio/pcm.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { EndOfTurnVerdict } from '../turn/endpointing/EndOfTurnVerdict.js';
import type { Ears, HeardEvent } from '../turn/ports.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import type { EngineWorker } from './EngineWorker.js';
import type { EarsEvent, EarsInit, EarsReadyInfo, EarsRequest } from './protocol.js';

/**
 * The `Ears` port over the ears worker. Utterance ids are issued here, not by the worker: a
 * restarted worker counts from 1 again, and a stale id must never be taken for a new utterance.
 * Utterances the worker was hearing when it died are closed with an empty final, so nobody waits
 * for them for ever.
 */
export class WorkerEars implements Ears {
  readonly events = new AsyncQueue<HeardEvent>();
  /** Worker utterance id → the id handed out here. */
  private ids = new Map<number, number>();
  private seq = 0;
  private armed: boolean | undefined;
  private consumed = 0;
  private consumedWaiters: { sampleIndex: number; resolve: () => void }[] = [];
  private flushWaiters: (() => void)[] = [];

  /**
   * @param judge The `llm` end-of-turn backend's verdict on the words at a pause (the brain's
   *   model); undefined lets the ears' lexical detector decide.
   */
  constructor(
    private readonly worker: EngineWorker<EarsInit, EarsRequest, EarsEvent, EarsReadyInfo>,
    private readonly logger: Logger,
    private readonly judge: (text: string) => Promise<EndOfTurnVerdict | undefined> = async () => undefined,
  ) {
    worker.on('event', (event) => this.onEvent(event));
    worker.on('crash', () => this.onLost());
    worker.on('restarted', () => {
      // The new worker starts disarmed; tell it what the controller last asked for.
      if (this.armed !== undefined) this.worker.post({ type: 'arm', armed: this.armed });
      // Frames fed while no worker was up were dropped: nobody will report them consumed.
      this.releaseConsumedWaiters();
    });
  }

  feed(frame: PcmFrame, capturedAt: number, reportConsumed = false): void {
    const { samples, sampleIndex } = frame;
    this.worker.post({ type: 'audio', samples, sampleIndex, arrivedAt: capturedAt, reportConsumed }, [samples.buffer as ArrayBuffer]);
  }

  arm(armed: boolean): void {
    if (armed === this.armed) return;
    this.armed = armed;
    this.worker.post({ type: 'arm', armed });
  }

  endUtterance(): Promise<void> {
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.worker.post({ type: 'flush' });
    });
  }

  /** Resolves once the ears have run every sample before `sampleIndex` (fed with `reportConsumed`) through the VAD. */
  whenConsumed(sampleIndex: number): Promise<void> {
    if (this.consumed >= sampleIndex) return Promise.resolve();
    return new Promise((resolve) => this.consumedWaiters.push({ sampleIndex, resolve }));
  }

  close(): void {
    this.events.end();
  }

  private onEvent(event: EarsEvent | { type: 'error'; message: string; hint?: string | undefined }): void {
    switch (event.type) {
      case 'consumed':
        this.consumed = event.sampleIndex;
        this.consumedWaiters = this.consumedWaiters.filter((w) => (w.sampleIndex <= this.consumed ? (w.resolve(), false) : true));
        return;
      case 'flushed': {
        const waiters = this.flushWaiters;
        this.flushWaiters = [];
        for (const resolve of waiters) resolve();
        return;
      }
      case 'error':
        this.logger.error({ hint: event.hint }, `ears: ${event.message}`);
        return;
      case 'wake':
        this.events.push({ type: 'wake', phrase: event.phrase, at: event.at });
        return;
      case 'speechStart': {
        const id = ++this.seq;
        this.ids.set(event.utteranceId, id);
        this.events.push({ type: 'speechStart', utteranceId: id, at: event.at });
        return;
      }
      case 'partial': {
        const id = this.ids.get(event.utteranceId);
        if (id !== undefined) this.events.push({ type: 'partial', utteranceId: id, text: event.text, at: event.at });
        return;
      }
      case 'pause': {
        const id = this.ids.get(event.utteranceId);
        if (id !== undefined) this.events.push({ type: 'pause', utteranceId: id, text: event.text, at: event.at });
        return;
      }
      case 'resume': {
        const id = this.ids.get(event.utteranceId);
        if (id !== undefined) this.events.push({ type: 'resume', utteranceId: id, at: event.at });
        return;
      }
      case 'judge': {
        const { pauseId } = event;
        this.judge(event.text).then(
          (verdict) => this.worker.post({ type: 'verdict', pauseId, verdict }),
          () => this.worker.post({ type: 'verdict', pauseId, verdict: undefined }),
        );
        return;
      }
      case 'speechEnd': {
        const id = this.ids.get(event.utteranceId);
        if (id === undefined) return;
        this.events.push({
          type: 'speechEnd',
          utteranceId: id,
          samples: [event.startSampleIndex, event.endSampleIndex],
          speechStartAt: event.speechStartAt,
          speechEndAt: event.speechEndAt,
          endpointAt: event.endpointAt,
          ...(event.endpoint && { endpoint: event.endpoint }),
        });
        return;
      }
      case 'final': {
        const id = this.ids.get(event.utteranceId);
        if (id === undefined) return;
        this.ids.delete(event.utteranceId);
        this.events.push({ type: 'final', utteranceId: id, text: event.text, at: event.at, asrComputeMs: event.asrComputeMs });
        return;
      }
    }
  }

  private onLost(): void {
    const at = monotonicMs();
    for (const id of this.ids.values()) this.events.push({ type: 'final', utteranceId: id, text: '', at, asrComputeMs: 0 });
    this.ids = new Map();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
    // The audio the lost worker had not run yet is gone with it; waiting for it would wait for ever.
    this.releaseConsumedWaiters();
  }

  private releaseConsumedWaiters(): void {
    const waiters = this.consumedWaiters;
    this.consumedWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }
}
