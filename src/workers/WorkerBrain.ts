import { EventEmitter } from 'node:events';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import type { EndOfTurnVerdict } from '../turn/endpointing/EndOfTurnVerdict.js';
import type { Brain, ReplyChunk, ReplyOptions } from '../turn/ports.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import type { EngineWorker } from './EngineWorker.js';
import type { BrainEvent, BrainInit, BrainReadyInfo, BrainRequest } from './protocol.js';

/** The brain worker died or failed while a reply was being made. */
export class BrainLostError extends Error {}

interface WorkerBrainEvents {
  /** The dialog raised a business event (a handoff, a booking…) during turn `turnId`. */
  frontDesk: [{ turnId: number; event: FrontDeskEvent }];
}

/**
 * The `Brain` port over the brain worker: each reply is a stream routed by a request id issued
 * here (a turn may ask twice: a speculation, then its final words, and a late event of the first
 * must not end the second). Aborting the signal asks the worker to stop generating; the stream
 * then ends with its `done`. The dialog's business events come out as `frontDesk` events.
 */
export class WorkerBrain extends EventEmitter<WorkerBrainEvents> implements Brain {
  private readonly replies = new Map<number, AsyncQueue<ReplyChunk>>();
  private readonly verdicts = new Map<number, (verdict: EndOfTurnVerdict | undefined) => void>();
  private requestSeq = 0;
  private querySeq = 0;

  constructor(private readonly worker: EngineWorker<BrainInit, BrainRequest, BrainEvent, BrainReadyInfo>) {
    super();
    worker.on('event', (event) => this.onEvent(event));
    worker.on('crash', (error) => {
      for (const queue of this.replies.values()) queue.fail(new BrainLostError(`the brain stopped: ${error.message}`));
      this.replies.clear();
      for (const resolve of this.verdicts.values()) resolve(undefined);
      this.verdicts.clear();
    });
  }

  reply(turnId: number, text: string, signal: AbortSignal, options: ReplyOptions = {}): AsyncIterable<ReplyChunk> {
    const requestId = ++this.requestSeq;
    const queue = new AsyncQueue<ReplyChunk>();
    this.replies.set(requestId, queue);
    signal.addEventListener('abort', () => this.worker.post({ type: 'abort', requestId }), { once: true });
    this.worker.post({ type: 'reply', requestId, turnId, text, ...(options.speculative && { speculative: true }) });
    return queue;
  }

  settleSpeculation(turnId: number, keep: boolean): void {
    this.worker.post({ type: 'settleSpeculation', turnId, keep });
  }

  /** The brain model's verdict on whether `text` is a whole turn; undefined when it cannot say (no probe, a failure, a crash). */
  endOfTurn(text: string): Promise<EndOfTurnVerdict | undefined> {
    const queryId = ++this.querySeq;
    return new Promise((resolve) => {
      this.verdicts.set(queryId, resolve);
      this.worker.post({ type: 'endOfTurn', queryId, text });
    });
  }

  preload(text: string): void {
    this.worker.post({ type: 'preload', text });
  }

  truncateReply(turnId: number, heardText: string): void {
    this.worker.post({ type: 'truncateReply', turnId, heardText });
  }

  newConversation(): void {
    this.worker.post({ type: 'newConversation' });
  }

  private onEvent(event: BrainEvent | { type: 'error'; message: string; turnId?: number | undefined }): void {
    switch (event.type) {
      case 'frontDesk':
        this.emit('frontDesk', { turnId: event.turnId, event: event.event });
        return;
      case 'endOfTurn': {
        const resolve = this.verdicts.get(event.queryId);
        this.verdicts.delete(event.queryId);
        resolve?.(event.verdict);
        return;
      }
      case 'error': {
        // The control envelope's id is the request's (runWorker takes `requestId` first).
        const queue = event.turnId === undefined ? undefined : this.replies.get(event.turnId);
        if (!queue || event.turnId === undefined) return;
        this.replies.delete(event.turnId);
        queue.fail(new BrainLostError(event.message));
        return;
      }
      case 'text':
        this.replies.get(event.requestId)?.push({ type: 'text', text: event.text, at: event.at });
        return;
      case 'done': {
        const queue = this.replies.get(event.requestId);
        if (!queue) return;
        this.replies.delete(event.requestId);
        queue.push({ type: 'done', path: event.path, receivedAt: event.receivedAt, doneAt: event.doneAt, aborted: event.aborted, ...(event.declined && { declined: true }) });
        queue.end();
        return;
      }
    }
  }
}
