import { EventEmitter } from 'node:events';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import type { Brain, ReplyChunk } from '../turn/ports.js';
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
 * The `Brain` port over the brain worker: each reply is a stream routed by turn id. Aborting the
 * signal asks the worker to stop generating; the stream then ends with its `done`. The dialog's
 * business events come out as `frontDesk` events.
 */
export class WorkerBrain extends EventEmitter<WorkerBrainEvents> implements Brain {
  private readonly replies = new Map<number, AsyncQueue<ReplyChunk>>();

  constructor(private readonly worker: EngineWorker<BrainInit, BrainRequest, BrainEvent, BrainReadyInfo>) {
    super();
    worker.on('event', (event) => this.onEvent(event));
    worker.on('crash', (error) => {
      for (const queue of this.replies.values()) queue.fail(new BrainLostError(`the brain stopped: ${error.message}`));
      this.replies.clear();
    });
  }

  reply(turnId: number, text: string, signal: AbortSignal): AsyncIterable<ReplyChunk> {
    const queue = new AsyncQueue<ReplyChunk>();
    this.replies.set(turnId, queue);
    signal.addEventListener('abort', () => this.worker.post({ type: 'abort', turnId }), { once: true });
    this.worker.post({ type: 'reply', turnId, text });
    return queue;
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
    if (event.type === 'frontDesk') {
      this.emit('frontDesk', { turnId: event.turnId, event: event.event });
      return;
    }
    if (event.turnId === undefined) return;
    const queue = this.replies.get(event.turnId);
    if (!queue) return;
    if (event.type === 'error') {
      this.replies.delete(event.turnId);
      queue.fail(new BrainLostError(event.message));
    } else if (event.type === 'text') {
      queue.push({ type: 'text', text: event.text, at: event.at });
    } else {
      this.replies.delete(event.turnId);
      queue.push({ type: 'done', path: event.path, receivedAt: event.receivedAt, doneAt: event.doneAt, aborted: event.aborted });
      queue.end();
    }
  }
}
