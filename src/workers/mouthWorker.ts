import { createTtsEngine } from '../engines/tts/createTtsEngine.js';
import { monotonicMs } from '../system/clock.js';
import type { MouthEvent, MouthInit, MouthRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

interface Job {
  turnId: number;
  phraseIndex: number;
  text: string;
}

runWorker<MouthInit, MouthRequest, MouthEvent>('mouth', async (init, send, logger) => {
  const tts = await createTtsEngine(init.tts, init.modelsDir);
  const jobs: Job[] = [];
  let current: { job: Job; controller: AbortController } | undefined;

  async function drain(): Promise<void> {
    while (!current && jobs.length > 0) {
      const job = jobs.shift()!;
      const controller = new AbortController();
      current = { job, controller };
      const startedAt = monotonicMs();
      let firstAudioAt: number | undefined;
      try {
        for await (const samples of tts.speak(job.text, controller.signal)) {
          firstAudioAt ??= monotonicMs();
          send({ type: 'audio', turnId: job.turnId, phraseIndex: job.phraseIndex, samples, at: monotonicMs() }, [samples.buffer as ArrayBuffer]);
        }
      } catch (error) {
        logger.error({ err: error, turnId: job.turnId }, 'speech synthesis failed');
        send(toWorkerError(error, job.turnId));
      }
      const { turnId, phraseIndex } = job;
      send({ type: 'phraseDone', turnId, phraseIndex, startedAt, firstAudioAt, doneAt: monotonicMs(), aborted: controller.signal.aborted });
      current = undefined;
    }
  }

  return {
    readyInfo: { sampleRate: tts.sampleRate },
    handle(request) {
      if (request.type === 'speak') {
        jobs.push({ turnId: request.turnId, phraseIndex: request.phraseIndex, text: request.text });
        return drain();
      }
      // Queued phrases of the turn are dropped but still answered, so the main thread's count closes.
      for (let i = jobs.length - 1; i >= 0; i--) {
        const job = jobs[i]!;
        if (job.turnId !== request.turnId) continue;
        jobs.splice(i, 1);
        const now = monotonicMs();
        send({ type: 'phraseDone', turnId: job.turnId, phraseIndex: job.phraseIndex, startedAt: now, firstAudioAt: undefined, doneAt: now, aborted: true });
      }
      if (current?.job.turnId === request.turnId) current.controller.abort();
    },
  };
});
