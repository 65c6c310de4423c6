import { createAsrEngine } from '../engines/asr/createAsrEngine.js';
import type { VadEvent } from '../engines/vad/SileroVad.js';
import { SpeechDetector } from '../engines/vad/SpeechDetector.js';
import { monotonicMs } from '../system/clock.js';
import type { EarsEvent, EarsInit, EarsRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

const SAMPLE_RATE = 16000;
const msOf = (samples: number) => (samples * 1000) / SAMPLE_RATE;

runWorker<EarsInit, EarsRequest, EarsEvent>('ears', async (init, send, logger) => {
  const padding = Math.round(init.asr.segmentPaddingSeconds * SAMPLE_RATE);
  const detector = new SpeechDetector(init.vad, init.modelsDir, padding);
  const asr = createAsrEngine(init.asr, init.modelsDir);
  await asr.ready();
  let utteranceId = 0;
  let inUtterance = false;
  /** Finals leave in utterance order even when an engine recognises asynchronously. */
  let recognising: Promise<void> = Promise.resolve();
  /** Arrival time of the newest audio, and the stream index just past it: the audio clock's anchor. */
  let anchor = { at: monotonicMs(), sampleIndex: 0 };
  const capturedAt = (sampleIndex: number) => anchor.at - msOf(anchor.sampleIndex - sampleIndex);

  function onVadEvent(event: VadEvent): void {
    if (event.type === 'speechStart') {
      utteranceId++;
      inUtterance = true;
      asr.startUtterance();
      const preRoll = detector.audio(event.sampleIndex - padding, detector.position);
      emitPartial(asr.acceptSpeech(preRoll));
      send({ type: 'speechStart', utteranceId, sampleIndex: event.sampleIndex, at: monotonicMs() });
      return;
    }
    inUtterance = false;
    const endpointAt = monotonicMs();
    const id = utteranceId;
    send({
      type: 'speechEnd',
      utteranceId: id,
      startSampleIndex: event.startSampleIndex,
      endSampleIndex: event.endSampleIndex,
      speechStartAt: capturedAt(event.startSampleIndex),
      speechEndAt: capturedAt(event.endSampleIndex),
      endpointAt,
    });
    const segment = detector.audio(event.startSampleIndex - padding, event.endSampleIndex + padding);
    // Finish now, so a streaming engine closes this utterance before the next one can start;
    // only the finals wait for each other, to leave in order.
    const started = monotonicMs();
    const result = asr.finishUtterance(segment);
    result.catch(() => undefined);
    recognising = recognising.then(async () => {
      try {
        const text = await result;
        const at = monotonicMs();
        send({ type: 'final', utteranceId: id, text, at, asrComputeMs: at - started });
      } catch (error) {
        logger.error({ err: error }, 'speech recognition failed');
        send(toWorkerError(error));
        send({ type: 'final', utteranceId: id, text: '', at: monotonicMs(), asrComputeMs: monotonicMs() - started });
      }
    });
  }

  function emitPartial(text: string | undefined): void {
    if (text !== undefined) send({ type: 'partial', utteranceId, text, at: monotonicMs() });
  }

  return {
    handle(request) {
      if (request.type === 'flush') {
        for (const event of detector.flush()) onVadEvent(event);
        void recognising.then(() => send({ type: 'flushed' }));
        return;
      }
      const { samples, sampleIndex, arrivedAt } = request;
      anchor = { at: arrivedAt, sampleIndex: sampleIndex + samples.length };
      const wasInUtterance = inUtterance;
      const events = detector.accept(samples, sampleIndex);
      // Audio of an utterance already under way goes to the recogniser as it comes (pre-roll is
      // sent on speechStart, which covers this frame for a new utterance).
      if (wasInUtterance) emitPartial(asr.acceptSpeech(samples));
      for (const event of events) onVadEvent(event);
      send({ type: 'consumed', sampleIndex: detector.position });
    },
  };
});
