import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KioskDaemon } from '../app/KioskDaemon.js';
import type { KioskConfig } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import type { Turn } from '../turn/Turn.js';
import type { BenchCorpus, CorpusEntry } from './benchCorpus.js';

export class BenchAlsaError extends KioskVoiceError {}

export interface ThroughAlsaOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  corpus: BenchCorpus;
  questions: CorpusEntry[];
  /** The ALSA PCM the questions are played on: the kiosk's speaker unless told otherwise. */
  questionDevice: string;
  /** Environment of the audio child processes (ALSA reads HOME's .asoundrc). */
  env?: NodeJS.ProcessEnv;
  onTurn?: (turn: Turn) => void;
}

/** The visitor steps up this long after the kiosk fell quiet. */
const GAP_MS = 1000;
/** A question that makes no turn in this long was not heard (it counts as all words deleted). */
const ANSWER_TIMEOUT_MS = 30_000;
const MIC_TIMEOUT_MS = 20_000;
const POLL_MS = 20;

/** Plays one WAV on an ALSA PCM with aplay; resolves when it has been played. */
function playQuestion(file: string, device: string, env: NodeJS.ProcessEnv | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('aplay', ['-q', '-D', device, file], { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => reject(new BenchAlsaError(`cannot run aplay to play the questions: ${error.message}`, 'install alsa-utils')));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const reason = stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
      reject(new BenchAlsaError(`could not play ${file} on ${device}: ${reason}`, 'pass --question-device with a PCM that takes a second stream (dmix, PipeWire) or the kiosk is not using'));
    });
  });
}

async function until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * The corpus asked aloud: the kiosk runs as `run` does (its capture and playback devices, every
 * utterance a turn), and each question is played on `questionDevice` — on a device the speaker,
 * heard by the mic across the room — once the kiosk is quiet again. A question's turns are those
 * that end before the next question is played.
 */
export async function askThroughAlsa(options: ThroughAlsaOptions): Promise<{ turns: Turn[]; questionOf: Map<Turn, number> }> {
  const { config, logger, questions } = options;
  const daemon = new KioskDaemon({
    // Every utterance a turn; no GPIO: the bench needs no button, and the LEDs may be the service's.
    config: { ...config, turn: { ...config.turn, trigger: 'open-mic' }, hw: { ...config.hw, gpio: { ...config.hw.gpio, backend: 'none' } } },
    modelsDir: options.modelsDir,
    storagePath: ':memory:',
    logger,
    ...(options.env && { env: options.env }),
  });
  const turns: Turn[] = [];
  const questionOf = new Map<Turn, number>();
  let asking = -1;
  daemon.on('turn', (turn) => {
    turns.push(turn);
    if (asking >= 0) questionOf.set(turn, asking);
    options.onTurn?.(turn);
  });
  let fatal: Error | undefined;
  daemon.on('fatal', (error) => (fatal = error));
  try {
    await daemon.start();
    if (!(await until(() => daemon.health().mic.state === 'running', MIC_TIMEOUT_MS))) {
      const mic = daemon.health().mic;
      throw new BenchAlsaError(`the capture device ${mic.device} did not start within ${MIC_TIMEOUT_MS / 1000} s (${mic.lastError ?? mic.state})`, 'stop the kiosk service first if it runs (sudo systemctl stop kiosk-voice): it holds the mic; otherwise check audio.capture.device with `kiosk-voice devices` and `kiosk-voice doctor`');
    }
    // Open mic: after an answer the kiosk waits for a follow-up, which is as ready for the next question as idle.
    const quiet = () => ['idle', 'followUp'].includes(daemon.health().state);
    for (const [index, question] of questions.entries()) {
      if (fatal) throw fatal;
      await until(quiet, ANSWER_TIMEOUT_MS);
      await sleep(GAP_MS);
      asking = index;
      const before = turns.length;
      await playQuestion(join(options.corpus.dir, question.file), options.questionDevice, options.env);
      const answered = await until(() => turns.length > before && quiet(), ANSWER_TIMEOUT_MS);
      if (!answered) logger.warn({ file: question.file }, 'bench: no turn for this question; it counts as not heard');
    }
    return { turns, questionOf };
  } finally {
    await daemon.stop();
  }
}
