import { createTtsEngine } from '../engines/tts/createTtsEngine.js';
import { monotonicMs } from '../system/clock.js';
import { failpoint } from '../system/failpoints.js';
import type { MouthEvent, MouthInit, MouthReadyInfo, MouthRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

interface Job {
  speechId: number;
  text: string;
}

/**
 * The mouth: synthesises phrases one at a time, in the order asked, streaming each one's audio
 * back. A failure is reported with the phrase's speech id (as the error's `turnId`).
 */
runWorker<MouthInit, MouthRequest, MouthEvent, MouthReadyInfo>('mouth', async (init, send, logger) => {
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
          send({ type: 'audio', speechId: job.speechId, samples, at: monotonicMs() }, [samples.buffer as ArrayBuffer]);
        }
      } catch (error) {
        logger.error({ err: error, speechId: job.speechId }, 'speech synthesis failed');
        send(toWorkerError(error, job.speechId));
      }
      send({ type: 'phraseDone', speechId: job.speechId, startedAt, firstAudioAt, doneAt: monotonicMs(), aborted: controller.signal.aborted });
      current = undefined;
    }
  }

  return {
    readyInfo: { sampleRate: tts.sampleRate },
    handle(request) {
      if (request.type === 'speak') {
        failpoint('mouth.speak');
        jobs.push({ speechId: request.speechId, text: request.text });
        return drain();
      }
      const queued = jobs.findIndex((job) => job.speechId === request.speechId);
      if (queued >= 0) jobs.splice(queued, 1);
      if (current?.job.speechId === request.speechId) current.controller.abort();
    },
    dispose: () => tts.dispose(),
  };
});
