import { EventEmitter } from 'node:events';
import type { LevelWithSilent } from 'pino';
import type { CaptureHealth } from '../audio/capture/CaptureSource.js';
import { LiveCapture } from '../audio/capture/LiveCapture.js';
import { loadEarcons } from '../audio/earcons.js';
import { createAudioSink, type PlaybackSink } from '../audio/playback/createAudioSink.js';
import type { KioskConfig } from '../config/schema.js';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import { KioskVoiceError } from '../errors.js';
import type { ButtonGestureEvent } from '../hw/Button.js';
import { TurnHardware } from '../hw/TurnHardware.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { activeFailpoints, failpoint } from '../system/failpoints.js';
import { FixedPrompts } from '../turn/FixedPrompts.js';
import { PlaybackLedger } from '../turn/PlaybackLedger.js';
import { turnLatencies, type Turn } from '../turn/Turn.js';
import { TurnController, resolveTriggerMode, type TriggerMode } from '../turn/TurnController.js';
import type { TurnState } from '../turn/TurnState.js';
import { Engines, type LoadTimes } from '../workers/Engines.js';
import type { WorkerHealth } from '../workers/EngineWorker.js';
import { fixedPromptTexts } from './fixedPromptTexts.js';
import { runSelfTest, type InjectedSpeech } from './selfTest.js';

export interface KioskDaemonOptions {
  config: KioskConfig;
  /** Absolute models directory. */
  modelsDir: string;
  /** The front desk's database file (absolute), see resolveStoragePath. */
  storagePath: string;
  logger: Logger;
  /** Environment for the audio and GPIO child processes. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface DaemonHealth {
  state: TurnState;
  triggerMode: TriggerMode;
  mic: CaptureHealth;
  micOpen: boolean;
  workers: WorkerHealth[];
  gpio: string;
  turns: number;
  lastTurn: { path: Turn['path']; outcome: Turn['outcome']; endOfSpeechToFirstAudioMs: number | undefined } | undefined;
  uptimeSeconds: number;
}

interface KioskDaemonEvents {
  /** The daemon cannot go on (an engine keeps crashing); the service should exit and be restarted. */
  fatal: [Error];
  turn: [Turn];
  /** A business event of the front desk (a handoff, a booking…), for extensions such as MQTT. */
  frontDesk: [{ turnId: number; event: FrontDeskEvent }];
  /** A push-button gesture, as the button saw it (the controller acts on it as well). */
  button: [ButtonGestureEvent];
}

/** `stop()` was called before `start()` finished; what had started is stopped. */
export class StartInterruptedError extends KioskVoiceError {}

/** A command needs the running kiosk, but it has not started (or has stopped). */
export class DaemonNotRunningError extends KioskVoiceError {}

/** The self-test waits this long for its turn to be answered. */
const SELFTEST_TIMEOUT_MS = 30_000;

/** The wake phrase was asked for but no keyword-spotter model is configured. */
export class WakeModelMissingError extends KioskVoiceError {}

/**
 * The running kiosk: builds its parts and starts them in order — engines, speaker, fixed prompts
 * and earcons, GPIO, the turn controller, then the microphone — and stops them in reverse, so
 * engines dispose, LEDs end dark and no child process is left. Commands stay thin: `run` is a
 * `KioskDaemon` plus signal handling.
 */
export class KioskDaemon extends EventEmitter<KioskDaemonEvents> {
  private readonly engines: Engines;
  private readonly capture: LiveCapture;
  private sink: PlaybackSink | undefined;
  private controller: TurnController | undefined;
  private hardware: TurnHardware | undefined;
  private pump: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly startedAt = monotonicMs();
  private turns = 0;
  private lastTurn: DaemonHealth['lastTurn'];
  private micGate = false;
  private handoffLedTimer: NodeJS.Timeout | undefined;
  /** While a self-test runs, its speech replaces the microphone's frames. */
  private injected: InjectedSpeech | undefined;

  constructor(private readonly options: KioskDaemonOptions) {
    super();
    const { config, modelsDir, storagePath, logger } = options;
    this.engines = new Engines({ config, modelsDir, storagePath, logger });
    this.engines.on('fatal', (error) => this.emit('fatal', error));
    this.engines.brain.on('frontDesk', (raised) => this.onFrontDesk(raised.turnId, raised.event));
    this.capture = new LiveCapture(config.audio.capture, { logger, env: options.env });
    this.capture.on('health', (health) => logger.info(health, 'capture state'));
  }

  /**
   * Loads the engines, opens the speaker and GPIO, then the microphone (no audio piles up while
   * models load). If any part fails, the parts already started are stopped before the error is
   * passed on, so no worker or child process outlives a failed start.
   */
  async start(): Promise<LoadTimes> {
    try {
      return await this.startParts();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async startParts(): Promise<LoadTimes> {
    const { config, logger, env } = this.options;
    const faults = activeFailpoints();
    if (faults.length > 0) logger.warn({ failpoints: faults }, 'fault injection is on (KIOSK_VOICE_FAILPOINTS): this kiosk will fail on purpose');
    const loadMs = await this.engines.start();
    await this.abortIfStopping();
    const { mouth } = this.engines;
    this.sink = await createAudioSink(config.audio.playback, mouth.sampleRate, logger, { env });
    await this.abortIfStopping();
    const speaker = new PlaybackLedger(this.sink);
    const prompts = await FixedPrompts.synthesize(mouth, fixedPromptTexts(config));
    const earcons = await loadEarcons(config.turn.earcons, mouth.sampleRate);

    this.hardware = await TurnHardware.open(config.hw.gpio, logger, { env });
    await this.abortIfStopping();
    const triggerMode = this.effectiveTriggerMode(resolveTriggerMode(config), this.hardware.hasButton);
    const controller = new TurnController({
      config,
      triggerMode,
      ears: this.engines.ears,
      brain: this.engines.brain,
      mouth,
      speaker,
      prompts,
      earcons,
      logger,
    });
    this.controller = controller;
    this.hardware.attach(controller);
    this.hardware.observeButton((event) => this.emit('button', event));
    controller.on('turn', (turn) => this.onTurn(turn));
    controller.on('stateChanged', ({ to }) => {
      if (to === 'thinking') failpoint('main.thinking');
    });
    controller.start();

    this.capture.start();
    this.pump = this.listen(controller);
    logger.info({ triggerMode, gpio: this.hardware.backendName }, 'turn controller ready');
    return loadMs;
  }

  /**
   * A stop that came while starting has already stopped what existed then; this closes what was
   * opened since (the speaker, GPIO) and ends the start.
   */
  private async abortIfStopping(): Promise<void> {
    if (!this.stopping) return;
    await this.stopping;
    await this.hardware?.close();
    await this.sink?.close();
    throw new StartInterruptedError('stopped while starting', 'nothing to do: a stop was asked for before start-up finished');
  }

  health(): DaemonHealth {
    return {
      state: this.controller?.state ?? 'idle',
      triggerMode: this.controller?.triggerMode ?? resolveTriggerMode(this.options.config),
      mic: this.capture.health(),
      micOpen: this.micGate,
      workers: this.engines.health(),
      gpio: this.hardware?.backendName ?? 'none',
      turns: this.turns,
      lastTurn: this.lastTurn,
      uptimeSeconds: Math.round((monotonicMs() - this.startedAt) / 1000),
    };
  }

  /** How long the turn state has outlasted its maximum; 0 when within it (see TurnController.overdueMs). */
  stateOverdueMs(): number {
    return this.controller?.overdueMs() ?? 0;
  }

  /** Logs at `level` from now on, in this thread and in every worker. */
  setLogLevel(level: LevelWithSilent): void {
    this.options.logger.level = level;
    this.engines.setLogLevel(level);
  }

  /** The speaker's volume factor (0–2), as set in the config or by an operator since. */
  get volume(): number {
    return this.sink?.volume ?? this.options.config.audio.playback.volume;
  }

  /** Changes the speaker's volume from the next sound on (an operator's command). */
  setVolume(volume: number): void {
    this.running().sink.setVolume(volume);
    this.options.logger.info({ volume }, 'volume changed');
  }

  /**
   * Says an operator's text (MQTT `say`) while the kiosk rests; refused (KioskBusyError) while a
   * visitor is served or the kiosk is muted. Resolves when it was played; `heardWhole` false when
   * something cut it.
   */
  async say(text: string): Promise<{ heardWhole: boolean; seconds: number }> {
    const { controller } = this.running();
    // Refused before synthesis when it would be refused after it anyway.
    const refusal = controller.announcementRefusal();
    if (refusal) throw refusal;
    const parts: Int16Array[] = [];
    for await (const audio of this.engines.mouth.speak(text, new AbortController().signal)) parts.push(audio.samples);
    const heardWhole = await controller.announce(parts);
    const samples = parts.reduce((n, p) => n + p.length, 0);
    return { heardWhole, seconds: Math.round((samples / this.engines.mouth.sampleRate) * 100) / 100 };
  }

  /** Speaks the self-test phrase through the whole pipeline (see runSelfTest) and resolves with its turn. */
  selftest(): Promise<Turn> {
    const { controller } = this.running();
    return runSelfTest({
      controller,
      mouth: this.engines.mouth,
      inject: (speech) => (this.injected = speech),
      timeoutMs: SELFTEST_TIMEOUT_MS,
    });
  }

  private running(): { controller: TurnController; sink: PlaybackSink } {
    if (!this.controller || !this.sink || this.stopping) throw new DaemonNotRunningError('the kiosk is not running', 'wait until it has started');
    return { controller: this.controller, sink: this.sink };
  }

  /** The turn controller, for extensions (MQTT, watchdog) that subscribe to it and call its triggers. */
  get turnController(): TurnController | undefined {
    return this.controller;
  }

  /** Stops in reverse order: GPIO input, the turn in flight, the mic, LEDs off, engines, speaker. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopParts();
    return this.stopping;
  }

  private async stopParts(): Promise<void> {
    clearTimeout(this.handoffLedTimer);
    await this.hardware?.detach();
    await this.controller?.stop();
    await this.capture.close();
    await this.pump;
    await this.hardware?.close();
    await this.engines.stop();
    await this.sink?.close();
  }

  /**
   * Moves microphone frames to the ears through the gate the controller decides. A closed gate
   * sends silence rather than nothing, which keeps the audio clock and the VAD's state continuous;
   * the mic-live LED follows this gate itself, so it can never claim the mic is off while audio flows.
   */
  private async listen(controller: TurnController): Promise<void> {
    for await (const frame of this.capture) {
      this.injected?.fill(frame.samples);
      const open = controller.micOpen(frame.capturedAt);
      if (open !== this.micGate) {
        this.micGate = open;
        this.hardware?.setMicLive(open);
      }
      if (!open) frame.samples.fill(0);
      this.engines.ears.feed(frame, frame.capturedAt);
    }
  }

  private effectiveTriggerMode(wanted: TriggerMode, hasButton: boolean): TriggerMode {
    const { config, logger } = this.options;
    const hasWake = Object.keys(config.turn.wake.files).length > 0;
    let mode = wanted;
    if ((mode === 'wake' || mode === 'button+wake') && !hasWake) {
      if (config.turn.trigger !== undefined) {
        throw new WakeModelMissingError(
          `turn.trigger is ${mode} but no wake-phrase model is configured`,
          'use a model set with a keyword spotter (`--models pi5`) or set turn.wake.files',
        );
      }
      mode = mode === 'button+wake' ? 'button' : 'open-mic';
    }
    if ((mode === 'button' || mode === 'button+wake') && !hasButton) {
      const fallback: TriggerMode = mode === 'button+wake' ? 'wake' : 'open-mic';
      logger.warn({ wanted: mode, using: fallback }, `the push button is not available; serving in ${fallback} mode (MQTT triggers still work)`);
      mode = fallback;
    }
    return mode;
  }

  /**
   * Handoffs show on the LEDs for `site.handoff.ledMinutes` so that staff passing by see the kiosk
   * called for them; every event is logged (what staff need is in it) and passed on.
   */
  private onFrontDesk(turnId: number, event: FrontDeskEvent): void {
    const { logger, config } = this.options;
    if (event.type === 'handoff') {
      logger.warn({ turnId, ...event }, `visitor needs a person (${event.reason}, ${event.urgency}): ${event.summary}`);
      this.hardware?.setHandoffWaiting(true);
      clearTimeout(this.handoffLedTimer);
      this.handoffLedTimer = setTimeout(() => this.hardware?.setHandoffWaiting(false), config.site.handoff.ledMinutes * 60_000);
      this.handoffLedTimer.unref();
    } else {
      logger.info({ turnId, ...event }, `front desk: ${event.type}`);
    }
    this.emit('frontDesk', { turnId, event });
  }

  private onTurn(turn: Turn): void {
    this.turns++;
    const latency = turnLatencies(turn);
    const endOfSpeechToFirstAudioMs = Number.isFinite(latency.endOfSpeechToFirstAudio) ? Math.round(latency.endOfSpeechToFirstAudio) : undefined;
    this.lastTurn = { path: turn.path, outcome: turn.outcome, endOfSpeechToFirstAudioMs };
    this.options.logger.info(
      {
        turnId: turn.id,
        trigger: turn.trigger,
        path: turn.path,
        outcome: turn.outcome,
        transcript: turn.transcript,
        reply: turn.reply,
        heard: turn.heard,
        endOfSpeechToFirstAudioMs,
        problem: turn.problem,
      },
      'turn',
    );
    this.emit('turn', turn);
  }
}
