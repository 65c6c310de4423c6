import { floatToInt16, int16ToFloat } from '../audio/pcm.js';
import { resample } from '../audio/resample.js';
import { PIPELINE_SAMPLE_RATE } from '../audio/toPipelineAudio.js';
import { KioskVoiceError } from '../errors.js';
import type { Turn } from '../turn/Turn.js';
import type { TurnController } from '../turn/TurnController.js';
import type { Mouth } from '../turn/ports.js';

/** What the self-test says into its own ears: a front-desk question the rules path answers. */
export const SELFTEST_PHRASE = 'What are your opening hours?';

/** The self-test did not come back with an answered turn. */
export class SelfTestError extends KioskVoiceError {}

/**
 * Speech that stands in for the microphone while a self-test runs: each captured frame is replaced
 * by the next part of it, then by silence until the test ends, so the room cannot interfere.
 */
export class InjectedSpeech {
  private offset = 0;

  constructor(private readonly samples: Int16Array) {}

  /** Overwrites `frame` (16 kHz) with the next part of the speech, or silence after its end. */
  fill(frame: Int16Array): void {
    const part = this.samples.subarray(this.offset, this.offset + frame.length);
    frame.fill(0);
    frame.set(part);
    this.offset += part.length;
  }
}

export interface SelfTestParts {
  controller: TurnController;
  mouth: Mouth;
  /** Replaces the microphone by `speech` (undefined: the microphone again). */
  inject(speech: InjectedSpeech | undefined): void;
  timeoutMs: number;
}

/**
 * Speaks SELFTEST_PHRASE through the whole pipeline — the mouth synthesises it, it enters where the
 * microphone's frames do (VAD, ASR), the brain answers and the answer is played — and resolves with
 * that turn, marks and all. Only from rest, so no visitor is cut off.
 */
export async function runSelfTest({ controller, mouth, inject, timeoutMs }: SelfTestParts): Promise<Turn> {
  if (controller.state !== 'idle') throw new SelfTestError(`the kiosk is ${controller.state}`, 'run the self-test when its state is idle');
  const parts: Int16Array[] = [];
  for await (const audio of mouth.speak(SELFTEST_PHRASE, new AbortController().signal)) parts.push(audio.samples);
  const speech = toPipelineRate(parts, mouth.sampleRate);
  if (controller.state !== 'idle') throw new SelfTestError(`the kiosk became ${controller.state} while the phrase was made`, 'run the self-test when its state is idle');

  return new Promise<Turn>((resolve, reject) => {
    let startedTurn: number | undefined;
    const finish = (error: Error | undefined, turn?: Turn) => {
      clearTimeout(timer);
      controller.off('turn', onTurn);
      controller.off('stateChanged', onState);
      inject(undefined);
      if (error) reject(error);
      else resolve(turn!);
    };
    const onTurn = (turn: Turn) => {
      if (turn.id === startedTurn) finish(undefined, turn);
    };
    const onState = (change: { from: string; to: string; turnId: number | undefined; reason: string }) => {
      if (startedTurn === undefined && change.to === 'listening') startedTurn = change.turnId;
      else if (change.from === 'listening' && change.to === 'idle') {
        finish(new SelfTestError(`the ears did not hear the self-test phrase (${change.reason})`, 'check the VAD and ASR models with `kiosk-voice doctor`'));
      }
    };
    const timer = setTimeout(
      () => finish(new SelfTestError(`no answer to the self-test phrase within ${timeoutMs / 1000} s`, 'check the log and `kiosk-voice doctor`; is the microphone delivering frames?')),
      timeoutMs,
    );
    controller.on('turn', onTurn);
    controller.on('stateChanged', onState);
    inject(new InjectedSpeech(speech));
    controller.trigger('mqtt');
  });
}

function toPipelineRate(parts: Int16Array[], rate: number): Int16Array {
  const whole = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return floatToInt16(resample(int16ToFloat(whole), rate, PIPELINE_SAMPLE_RATE));
}
