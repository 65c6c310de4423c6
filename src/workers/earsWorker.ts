import { rms } from '../audio/pcm.js';
import { createIntentCompleteness } from '../dialog/intentCompleteness.js';
import { createAsrEngine } from '../engines/asr/createAsrEngine.js';
import { KeywordSpotterEngine } from '../engines/kws/KeywordSpotterEngine.js';
import type { VadEvent } from '../engines/vad/SileroVad.js';
import { SpeechDetector } from '../engines/vad/SpeechDetector.js';
import { monotonicMs } from '../system/clock.js';
import { failpoint } from '../system/failpoints.js';
import type { EndOfTurnVerdict } from '../turn/endpointing/EndOfTurnVerdict.js';
import { requiredSilenceMs, type EndpointDecision } from '../turn/endpointing/EndpointDecision.js';
import { judgeLexically } from '../turn/endpointing/lexicalEndOfTurn.js';
import type { EarsEvent, EarsInit, EarsReadyInfo, EarsRequest } from './protocol.js';
import { runWorker, toWorkerError } from './runWorker.js';

const SAMPLE_RATE = 16000;
const msOf = (samples: number) => (samples * 1000) / SAMPLE_RATE;
const samplesOf = (ms: number) => Math.round((ms * SAMPLE_RATE) / 1000);
/**
 * A frame this far above the pause's floor (and above -50 dBFS) may be speech starting again. The
 * VAD needs `vad.minSpeechSeconds` of voice to say so; until then the turn is not ended on it.
 */
const ONSET_OVER_FLOOR = 4;
const ONSET_MIN_RMS = 0.003;

interface Bounds {
  startSampleIndex: number;
  endSampleIndex: number;
}

/**
 * A pause in an utterance (`turn.endpointing.pauseMs` of silence): the words so far are recognised
 * and judged while the silence goes on; the turn ends once the silence reaches what the verdict asks.
 */
interface Pause {
  id: number;
  bounds: Bounds;
  /** The recognition of the utterance up to this pause: the final transcript if the turn ends here. */
  recognised: Promise<string>;
  text?: string;
  recognisedAt?: number;
  verdict?: EndOfTurnVerdict;
  decidedAt?: number;
  /** Silence the verdict asks for, in samples. */
  required?: number;
  /** The quietest frame of the pause so far (RMS, full scale 1): the room's floor. */
  floor: number;
  /** Where the last frame well above the floor began: maybe the visitor going on, before the VAD is sure. */
  onset?: number;
}

/** An utterance being recognised. */
interface Utterance {
  id: number;
  /** Set when the ears were armed mid-speech: the words before it belong to nobody's turn. */
  notBefore: number | undefined;
  /** The first voiced sample, once the first pause refined it: later pauses keep it. */
  start: number | undefined;
  pause: Pause | undefined;
  resumedPauses: number;
}

/**
 * The ears: VAD on every frame, the wake phrase when configured, and speech recognition only while
 * armed — disarmed, nobody's words are transcribed (the kiosk is waiting for a trigger). Arming
 * while the VAD already hears speech (the wake phrase is usually followed straight by the question)
 * opens the utterance at that point.
 *
 * End of turn (`turn.endpointing`): with `fixed`, the VAD's silence ends the utterance. Otherwise
 * the VAD reports pauses; at each one the utterance so far is recognised (that is its final
 * transcript if the turn ends there, so recognition is done before the endpoint) and judged, and
 * the turn ends when the silence reaches what the verdict asks for, or `maxSilenceMs`. If the
 * visitor speaks again first, the recogniser hears the whole utterance again from its start, so the
 * final transcript holds both halves.
 */
runWorker<EarsInit, EarsRequest, EarsEvent, EarsReadyInfo>('ears', async (init, send, logger) => {
  const endpointing = init.endpointing;
  const judging = endpointing.backend !== 'fixed';
  const padding = Math.round(init.asr.segmentPaddingSeconds * SAMPLE_RATE);
  // Judging: the VAD reports every pause of `pauseMs`; the ears decide which one ends the turn.
  const vad = judging ? { ...init.vad, minSilenceSeconds: endpointing.pauseMs / 1000 } : init.vad;
  const detector = new SpeechDetector(vad, init.modelsDir, padding);
  /** How long after a possible onset the VAD has had time to confirm speech (its minimum speech plus a window). */
  const onsetHold = samplesOf(vad.minSpeechSeconds * 1000) + 512;
  const spotter = KeywordSpotterEngine.isConfigured(init.wake) ? KeywordSpotterEngine.create(init.wake, init.modelsDir) : undefined;
  const asr = createAsrEngine(init.asr, init.modelsDir, logger);
  // Also the `llm` backend's fallback, when the brain's model cannot say.
  const intent = judging ? createIntentCompleteness(init.site, init.rules) : undefined;
  await asr.ready();
  let armed = false;
  let utteranceId = 0;
  let pauseSeq = 0;
  let utterance: Utterance | undefined;
  /** Where the VAD's current speech began, while it hears speech (armed or not). */
  let vadSpeechStart: number | undefined;
  /** Finals leave in utterance order even when an engine recognises asynchronously. */
  let recognising: Promise<void> = Promise.resolve();
  /** Arrival time of the newest audio, and the stream index just past it: the audio clock's anchor. */
  let anchor = { at: monotonicMs(), sampleIndex: 0 };
  const capturedAt = (sampleIndex: number) => anchor.at - msOf(anchor.sampleIndex - sampleIndex);
  /**
   * A `consumed` report held back while a pause waits for its words or its verdict: a caller that
   * feeds faster than real time (the file demo) then waits for the decision as a live mic would,
   * instead of running the silence out before the recogniser has answered.
   */
  let heldConsumed: number | undefined;

  function reportConsumed(sampleIndex: number): void {
    if (utterance?.pause !== undefined && utterance.pause.required === undefined) heldConsumed = sampleIndex;
    else send({ type: 'consumed', sampleIndex });
  }

  function releaseConsumed(): void {
    if (heldConsumed === undefined) return;
    const sampleIndex = heldConsumed;
    heldConsumed = undefined;
    send({ type: 'consumed', sampleIndex });
  }

  function open(startSampleIndex: number, midSpeech: boolean): void {
    utterance = { id: ++utteranceId, notBefore: midSpeech ? startSampleIndex : undefined, start: undefined, pause: undefined, resumedPauses: 0 };
    asr.startUtterance();
    const preRoll = detector.audio(startSampleIndex - padding, detector.position);
    emitPartial(asr.acceptSpeech(preRoll));
    send({ type: 'speechStart', utteranceId: utterance.id, sampleIndex: startSampleIndex, at: monotonicMs() });
  }

  /** The VAD's refined start may lie before its speech-start event; keep it, unless armed mid-speech. */
  function startOf(current: Utterance, bounds: Bounds): number {
    return current.start ?? Math.max(bounds.startSampleIndex, current.notBefore ?? bounds.startSampleIndex);
  }

  function sendSpeechEnd(current: Utterance, bounds: Bounds, endpointAt: number, endpoint?: EndpointDecision): void {
    send({
      type: 'speechEnd',
      utteranceId: current.id,
      startSampleIndex: bounds.startSampleIndex,
      endSampleIndex: bounds.endSampleIndex,
      speechStartAt: capturedAt(bounds.startSampleIndex),
      speechEndAt: capturedAt(bounds.endSampleIndex),
      endpointAt,
      ...(endpoint && { endpoint }),
    });
  }

  /** Sends the final once `recognised` settles, after every earlier utterance's final. */
  function sendFinal(current: Utterance, recognised: Promise<string>, endpointAt: number): void {
    recognised.catch(() => undefined);
    recognising = recognising.then(async () => {
      try {
        const text = await recognised;
        const at = monotonicMs();
        send({ type: 'final', utteranceId: current.id, text, at, asrComputeMs: Math.max(0, at - endpointAt) });
      } catch (error) {
        logger.error({ err: error }, 'speech recognition failed');
        send(toWorkerError(error));
        send({ type: 'final', utteranceId: current.id, text: '', at: monotonicMs(), asrComputeMs: monotonicMs() - endpointAt });
      }
    });
  }

  /** Recognises the utterance from its start to `bounds`' end, with padding: this ends the recogniser's utterance. */
  function recognise(current: Utterance, bounds: Bounds): Promise<string> {
    return asr.finishUtterance(detector.audio(startOf(current, bounds) - padding, bounds.endSampleIndex + padding));
  }

  /** Ends the open utterance: with the VAD's bounds it is recognised; without (disarmed) it is dropped. */
  function close(bounds: Bounds | undefined): void {
    const current = utterance;
    if (!current) return;
    utterance = undefined;
    const started = monotonicMs();
    if (!bounds) {
      // A paused utterance's recogniser has already finished it.
      if (!current.pause) asr.finishUtterance(new Int16Array(0)).catch(() => undefined);
      recognising = recognising.then(() => send({ type: 'final', utteranceId: current.id, text: '', at: monotonicMs(), asrComputeMs: 0 }));
      return;
    }
    const whole = { startSampleIndex: startOf(current, bounds), endSampleIndex: bounds.endSampleIndex };
    sendSpeechEnd(current, whole, started);
    // Finish now, so a streaming engine closes this utterance before the next one can start;
    // only the finals wait for each other, to leave in order.
    sendFinal(current, recognise(current, bounds), started);
  }

  /** A pause in the open utterance: recognise what was said so far and ask for a verdict on it. */
  function pauseAt(bounds: Bounds): void {
    const current = utterance;
    if (!current) return;
    const whole = { startSampleIndex: startOf(current, bounds), endSampleIndex: bounds.endSampleIndex };
    current.start = whole.startSampleIndex;
    const pause: Pause = { id: ++pauseSeq, bounds: whole, recognised: recognise(current, bounds), floor: Number.POSITIVE_INFINITY };
    current.pause = pause;
    pause.recognised.then(
      (text) => recognisedAtPause(current, pause, text),
      () => recognisedAtPause(current, pause, ''),
    );
  }

  function recognisedAtPause(current: Utterance, pause: Pause, text: string): void {
    pause.text = text;
    pause.recognisedAt = monotonicMs();
    // The visitor went on, or the turn already ended (the longest silence, a release).
    if (current.pause !== pause || utterance !== current) return releaseConsumed();
    send({ type: 'pause', utteranceId: current.id, text, at: pause.recognisedAt });
    if (endpointing.backend === 'llm') send({ type: 'judge', pauseId: pause.id, text });
    else decide(pause, lexicalVerdict(text));
  }

  function lexicalVerdict(text: string): EndOfTurnVerdict {
    return judgeLexically(text, intent ? { intent } : {});
  }

  function decide(pause: Pause, verdict: EndOfTurnVerdict): void {
    pause.verdict = verdict;
    pause.decidedAt = monotonicMs();
    pause.required = samplesOf(requiredSilenceMs(verdict.completeness, endpointing));
    endIfSilentEnough();
    releaseConsumed();
  }

  /** Ends the turn when the silence since the pause reached what its verdict asks, or the longest allowed. */
  function endIfSilentEnough(): void {
    const current = utterance;
    const pause = current?.pause;
    if (!current || !pause) return;
    const silence = detector.position - pause.bounds.endSampleIndex;
    // Sound that may be the visitor going on holds the end until the VAD could have confirmed it.
    const mayBeSpeaking = pause.onset !== undefined && detector.position - pause.onset < onsetHold;
    if (silence >= samplesOf(endpointing.maxSilenceMs)) commit(current, pause, pause.verdict ? undefined : 'timeout');
    else if (pause.required !== undefined && silence >= pause.required && !mayBeSpeaking) commit(current, pause, undefined);
  }

  /** Tracks the pause's floor and any frame well above it. */
  function listenInPause(samples: Int16Array, sampleIndex: number): void {
    const pause = utterance?.pause;
    if (!pause) return;
    const level = rms(samples);
    if (level > Math.max(ONSET_MIN_RMS, ONSET_OVER_FLOOR * pause.floor)) pause.onset = sampleIndex;
    pause.floor = Math.min(pause.floor, level);
  }

  function commit(current: Utterance, pause: Pause, override: 'timeout' | 'released' | undefined): void {
    utterance = undefined;
    const endpointAt = monotonicMs();
    const { verdict } = pause;
    const decision: EndpointDecision = {
      backend: endpointing.backend,
      verdict: override ?? verdict?.completeness ?? 'timeout',
      reason: override === 'released' ? 'utterance closed (button released or end of input)' : (verdict?.reason ?? 'no verdict before the longest silence'),
      ...(verdict?.probability !== undefined && { probability: verdict.probability }),
      requiredSilenceMs: pause.required === undefined ? endpointing.maxSilenceMs : msOf(pause.required),
      silenceMs: msOf(detector.position - pause.bounds.endSampleIndex),
      resumedPauses: current.resumedPauses,
      ...(pause.decidedAt !== undefined && { decidedAt: pause.decidedAt }),
    };
    sendSpeechEnd(current, pause.bounds, endpointAt, decision);
    sendFinal(current, pause.recognised, endpointAt);
    releaseConsumed();
  }

  /** The visitor speaks again after a pause: the recogniser hears the utterance again from its start. */
  function resume(current: Utterance): void {
    current.pause = undefined;
    current.resumedPauses++;
    asr.startUtterance();
    emitPartial(asr.acceptSpeech(detector.audio((current.start ?? detector.position) - padding, detector.position)));
    send({ type: 'resume', utteranceId: current.id, at: monotonicMs() });
  }

  function onVadEvent(event: VadEvent): void {
    if (event.type === 'speechStart') {
      vadSpeechStart = event.sampleIndex;
      if (utterance?.pause) resume(utterance);
      else if (armed && !utterance) open(event.sampleIndex, false);
      return;
    }
    vadSpeechStart = undefined;
    const bounds = { startSampleIndex: event.startSampleIndex, endSampleIndex: event.endSampleIndex };
    if (judging) pauseAt(bounds);
    else close(bounds);
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
          releaseConsumed();
          return;
        case 'flush': {
          for (const event of detector.flush()) onVadEvent(event);
          vadSpeechStart = undefined;
          // Released or the input ended: a pause is the end, whatever the verdict would be.
          const pause = utterance?.pause;
          if (utterance && pause) commit(utterance, pause, 'released');
          void recognising.then(() => send({ type: 'flushed' }));
          return;
        }
        case 'verdict': {
          const pause = utterance?.pause;
          if (pause?.id === request.pauseId) decide(pause, request.verdict ?? lexicalVerdict(pause.text ?? ''));
          return;
        }
        case 'audio': {
          failpoint('ears.audio');
          const { samples, sampleIndex, arrivedAt } = request;
          anchor = { at: arrivedAt, sampleIndex: sampleIndex + samples.length };
          // Audio of an utterance under way goes to the recogniser as it comes (pre-roll is sent when
          // an utterance opens or resumes, which covers this frame). A pause's recogniser has finished.
          const listening = utterance !== undefined && utterance.pause === undefined;
          const events = detector.accept(samples, sampleIndex);
          if (listening) emitPartial(asr.acceptSpeech(samples));
          for (const event of events) onVadEvent(event);
          if (judging) {
            listenInPause(samples, sampleIndex);
            endIfSilentEnough();
          }
          const phrase = spotter?.accept(samples);
          if (phrase !== undefined) send({ type: 'wake', phrase, sampleIndex, at: monotonicMs() });
          if (request.reportConsumed) reportConsumed(detector.position);
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
