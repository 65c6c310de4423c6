import { createAsrEngine } from '../engines/asr/createAsrEngine.js';
import { KeywordSpotterEngine } from '../engines/kws/KeywordSpotterEngine.js';
import type { VadEvent } from '../engines/vad/SileroVad.js';
import { SpeechDetector } from '../engines/vad/SpeechDetector.js';
import { monotonicMs } from '../system/clock.js';
import { failpoint } from '../system/failpoints.js';
import type { EarsEvent, EarsInit, EarsReadyInfo, EarsRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

const SAMPLE_RATE = 16000;
const msOf = (samples: number) => (samples * 1000) / SAMPLE_RATE;

/** An utterance being recognised. */
interface Utterance {
  id: number;
  /** Set when the ears were armed mid-speech: the words before it belong to nobody's turn. */
  notBefore: number | undefined;
}

/**
 * The ears: VAD on every frame, the wake phrase when configured, and speech recognition only while
 * armed — disarmed, nobody's words are transcribed (the kiosk is waiting for a trigger). Arming
 * while the VAD already hears speech (the wake phrase is usually followed straight by the question)
 * opens the utterance at that point.
 */
runWorker<EarsInit, EarsRequest, EarsEvent, EarsReadyInfo>('ears', async (init, send, logger) => {
  const padding = Math.round(init.asr.segmentPaddingSeconds * SAMPLE_RATE);
  const detector = new SpeechDetector(init.vad, init.modelsDir, padding);
  const spotter = KeywordSpotterEngine.isConfigured(init.wake) ? KeywordSpotterEngine.create(init.wake, init.modelsDir) : undefined;
  const asr = createAsrEngine(init.asr, init.modelsDir, logger);
  await asr.ready();
  let armed = false;
  let utteranceId = 0;
  let utterance: Utterance | undefined;
  /** Where the VAD's current speech began, while it hears speech (armed or not). */
  let vadSpeechStart: number | undefined;
  /** Finals leave in utterance order even when an engine recognises asynchronously. */
  let recognising: Promise<void> = Promise.resolve();
  /** Arrival time of the newest audio, and the stream index just past it: the audio clock's anchor. */
  let anchor = { at: monotonicMs(), sampleIndex: 0 };
  const capturedAt = (sampleIndex: number) => anchor.at - msOf(anchor.sampleIndex - sampleIndex);

  function open(startSampleIndex: number, midSpeech: boolean): void {
    utterance = { id: ++utteranceId, notBefore: midSpeech ? startSampleIndex : undefined };
    asr.startUtterance();
    const preRoll = detector.audio(startSampleIndex - padding, detector.position);
    emitPartial(asr.acceptSpeech(preRoll));
    send({ type: 'speechStart', utteranceId: utterance.id, sampleIndex: startSampleIndex, at: monotonicMs() });
  }

  /** Ends the open utterance: with the VAD's bounds it is recognised; without (disarmed) it is dropped. */
  function close(bounds: { startSampleIndex: number; endSampleIndex: number } | undefined): void {
    const current = utterance;
    if (!current) return;
    utterance = undefined;
    const started = monotonicMs();
    if (!bounds) {
      asr.finishUtterance(new Int16Array(0)).catch(() => undefined);
      recognising = recognising.then(() => send({ type: 'final', utteranceId: current.id, text: '', at: monotonicMs(), asrComputeMs: 0 }));
      return;
    }
    // The VAD's refined start may lie before its speech-start event; keep it, unless armed mid-speech.
    const startSampleIndex = Math.max(bounds.startSampleIndex, current.notBefore ?? bounds.startSampleIndex);
    const { endSampleIndex } = bounds;
    send({
      type: 'speechEnd',
      utteranceId: current.id,
      startSampleIndex,
      endSampleIndex,
      speechStartAt: capturedAt(startSampleIndex),
      speechEndAt: capturedAt(endSampleIndex),
      endpointAt: started,
    });
    const segment = detector.audio(startSampleIndex - padding, endSampleIndex + padding);
    // Finish now, so a streaming engine closes this utterance before the next one can start;
    // only the finals wait for each other, to leave in order.
    const result = asr.finishUtterance(segment);
    result.catch(() => undefined);
    recognising = recognising.then(async () => {
      try {
        const text = await result;
        const at = monotonicMs();
        send({ type: 'final', utteranceId: current.id, text, at, asrComputeMs: at - started });
      } catch (error) {
        logger.error({ err: error }, 'speech recognition failed');
        send(toWorkerError(error));
        send({ type: 'final', utteranceId: current.id, text: '', at: monotonicMs(), asrComputeMs: monotonicMs() - started });
      }
    });
  }

  function onVadEvent(event: VadEvent): void {
    if (event.type === 'speechStart') {
      vadSpeechStart = event.sampleIndex;
      if (armed) open(event.sampleIndex, false);
      return;
    }
    vadSpeechStart = undefined;
    close({ startSampleIndex: event.startSampleIndex, endSampleIndex: event.endSampleIndex });
  }

  function emitPartial(text: string | undefined): void {
    if (text !== undefined && utterance) send({ type: 'partial', utteranceId: utterance.id, text, at: monotonicMs() });
  }

  return {
    readyInfo: {},
    handle(request) {
      switch (request.type) {
        case 'arm':
          if (request.armed === armed) return;
          armed = request.armed;
          if (armed && vadSpeechStart !== undefined && !utterance) open(Math.max(vadSpeechStart, detector.position - padding), true);
          if (!armed) close(undefined);
          return;
        case 'flush':
          for (const event of detector.flush()) onVadEvent(event);
          vadSpeechStart = undefined;
          void recognising.then(() => send({ type: 'flushed' }));
          return;
        case 'audio': {
          failpoint('ears.audio');
          const { samples, sampleIndex, arrivedAt } = request;
          anchor = { at: arrivedAt, sampleIndex: sampleIndex + samples.length };
          const wasInUtterance = utterance !== undefined;
          const events = detector.accept(samples, sampleIndex);
          // Audio of an utterance already under way goes to the recogniser as it comes (pre-roll is
          // sent when an utterance opens, which covers this frame for a new one).
          if (wasInUtterance) emitPartial(asr.acceptSpeech(samples));
          for (const event of events) onVadEvent(event);
          const phrase = spotter?.accept(samples);
          if (phrase !== undefined) send({ type: 'wake', phrase, sampleIndex, at: monotonicMs() });
          if (request.reportConsumed) send({ type: 'consumed', sampleIndex: detector.position });
          return;
        }
      }
    },
    // The VAD has no dispose: sherpa frees it when collected. The ASR may hold a child process.
    async dispose() {
      spotter?.dispose();
      asr.dispose();
    },
  };
});
