import { EventEmitter } from 'node:events';
import type { Earcons } from '../audio/earcons.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { FixedPrompts } from './FixedPrompts.js';
import type { PlaybackLedger } from './PlaybackLedger.js';
import type { Brain, Ears, HeardEvent, Mouth } from './ports.js';
import { normaliseUtterance } from '../dialog/text/normaliseUtterance.js';
import type { Turn, TurnSpeculation, TurnTrigger } from './Turn.js';
import { TurnRun } from './TurnRun.js';
import { KioskVoiceError } from '../errors.js';
import type { StateChange, TurnState } from './TurnState.js';

export type TriggerMode = NonNullable<KioskConfig['turn']['trigger']>;

/** The trigger mode a config asks for: as set, else `button` when a button pin is configured, else `open-mic`. */
export function resolveTriggerMode(config: Pick<KioskConfig, 'turn' | 'hw'>): TriggerMode {
  return config.turn.trigger ?? (config.hw.gpio.button.pin !== undefined ? 'button' : 'open-mic');
}

export interface TurnControllerOptions {
  config: Pick<KioskConfig, 'turn' | 'chunker' | 'dialog' | 'audio' | 'vad'>;
  /** What starts a turn (see `resolveTriggerMode`). */
  triggerMode: TriggerMode;
  ears: Ears;
  brain: Brain;
  mouth: Mouth;
  /** The speaker; the controller and its turn runs are its only writers. */
  speaker: PlaybackLedger;
  prompts: FixedPrompts;
  earcons: Earcons;
  logger: Logger;
  /** Speak while the reply is generated (default) or only once it is complete (the bench's baseline). */
  /**
   * Begin each visitor session's first reply with the disclosure prompt (default). Off only in
   * tests that measure the reply alone.
   */
  disclose?: boolean;
  streaming?: boolean;
  /** The clock states and marks are stamped with. Defaults to the shared monotonic clock. */
  now?: () => number;
}

export interface TurnControllerEvents {
  stateChanged: [StateChange];
  /** A turn that reached the brain, once it is over (answered, interrupted or failed). */
  turn: [Turn];
  /** The visitor's conversation was forgotten. */
  sessionWiped: [{ reason: string; at: number }];
}

/** Where the turn in flight stands before it reaches the brain. */
interface OpenTurn {
  turn: Turn;
  /** The utterance that carries the visitor's words, once the VAD heard it start. */
  utteranceId: number | undefined;
  /** Push-to-talk: the turn ends when the button is released, not on a silence. */
  pushToTalk: boolean;
  /** Push-to-talk: what was recognised of earlier utterances while the button was held. */
  heldText: string[];
  /** What became of the replies started at this turn's pauses. */
  speculation: TurnSpeculation;
}

/** A reply started at a pause, held until the end of the turn says whether it answers the final words. */
interface Speculation {
  run: TurnRun;
  utteranceId: number;
  /** The words it answers, normalised as the final transcript will be compared. */
  words: string;
}

/** What the kiosk said last, so a double tap can say it again without the engines. */
interface LastAnswer {
  text: string;
  audio: Int16Array[];
}

/** An operator's announcement was refused: a visitor is being served, or the kiosk is muted or stopping. */
export class KioskBusyError extends KioskVoiceError {}

/** Slack past the turn's own deadline before the controller's guard steps in. */
const GUARD_SLACK_MS = 2000;
/** Once speech started, the final transcript must come within the longest utterance plus this. */
const FINAL_SLACK_MS = 10_000;

/**
 * The one owner of turn state. Everything that changes it — a trigger, a button gesture, what the
 * ears heard, a reply ending, a timer — goes through `transition()`, which emits `stateChanged`.
 * Every state but `idle` has a maximum duration, so the kiosk can never stay stuck in one.
 * LEDs, MQTT and the watchdog subscribe to its events and call its methods; it imports none of them.
 *
 * The visitor session (what was said, the last answer) belongs to the controller: it is wiped after
 * `turn.sessionIdleSeconds` without a turn or on a long press, for privacy on a public kiosk.
 */
export class TurnController extends EventEmitter<TurnControllerEvents> {
  private current: TurnState = 'idle';
  private turnSeq = 0;
  private open: OpenTurn | undefined;
  private run: TurnRun | undefined;
  /** The turn the state belongs to (kept while speaking and in follow-up). */
  private activeTurn: { id: number; trigger: TurnTrigger } | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  /** When the current state's maximum runs out (its timer should fire then); undefined for `idle`. */
  private stateDeadline: number | undefined;
  private sessionTimer: NodeJS.Timeout | undefined;
  private lastAnswer: LastAnswer | undefined;
  /** The session's visitor has been told this is an automated assistant. */
  private disclosed = false;
  /** Half-duplex: the mic stays closed until then, while the room's echo of our voice dies down. */
  private echoClosedUntil = 0;
  /** Utterances that ended (the VAD heard their end) whose transcript has not come yet. */
  private readonly pendingUtterances = new Set<number>();
  private lastPreload = '';
  private speculation: Speculation | undefined;
  /** Bumped whenever a clip (repeat, apology) is superseded, so its end does not change state. */
  private clipGeneration = 0;
  private settledWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: TurnControllerOptions) {
    super();
    this.now = options.now ?? monotonicMs;
  }

  get state(): TurnState {
    return this.current;
  }

  /** The turn the current state belongs to, if any (for logs of things that act on it, e.g. a gesture). */
  get turnId(): number | undefined {
    return this.activeTurn?.id;
  }

  /** What started that turn. */
  get turnTrigger(): TurnTrigger | undefined {
    return this.activeTurn?.trigger;
  }

  get triggerMode(): TriggerMode {
    return this.options.triggerMode;
  }

  /**
   * How long the current state has outlasted its maximum: 0 while within it. The state's own timer
   * ends it on time, so anything above a few ms means the controller is stuck — the watchdog's cue.
   */
  overdueMs(): number {
    if (this.stateDeadline === undefined || this.stopped) return 0;
    return Math.max(0, this.now() - this.stateDeadline);
  }

  /** Starts taking events from the ears; the controller is idle until something triggers a turn. */
  start(): void {
    this.options.ears.arm(this.armedIn('idle'));
    void this.consume();
  }

  /** Ends the turn in flight and every timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.run?.interrupt('stopping');
    clearTimeout(this.stateTimer);
    clearTimeout(this.sessionTimer);
    this.resolveSettled();
  }

  /**
   * Whether microphone audio should reach the ears now. Closed while muted or showing an error, in
   * button mode while idle (privacy), and in half-duplex while the kiosk speaks plus its echo tail.
   */
  micOpen(now = this.now()): boolean {
    const { fullDuplex } = this.options.config.audio;
    switch (this.current) {
      case 'muted':
      case 'error':
        return false;
      case 'thinking':
      case 'speaking':
        return fullDuplex;
      case 'idle':
        if (this.options.triggerMode === 'button') return false;
        break;
      case 'listening':
      case 'followUp':
        break;
    }
    return fullDuplex || now >= this.echoClosedUntil;
  }

  /**
   * Resolves when no finished utterance waits for its transcript and no reply is being made,
   * played or apologised for. The file demo waits on it before feeding more audio.
   */
  whenSettled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * A trigger: the button (a press), the wake phrase, or MQTT. Idle or in follow-up, a turn starts
   * with the listening chime; while the kiosk thinks or speaks it is a barge-in: the reply is cut
   * and a new turn starts listening.
   */
  trigger(source: 'button' | 'wake' | 'mqtt'): void {
    if (this.stopped) return;
    const mode = this.options.triggerMode;
    if (source === 'button' && mode === 'wake') return this.ignored(source, `trigger mode is ${mode}`);
    if (source === 'wake' && mode !== 'wake' && mode !== 'button+wake') return this.ignored(source, `trigger mode is ${mode}`);
    switch (this.current) {
      case 'muted':
        return this.ignored(source, 'muted');
      case 'listening':
        return this.ignored(source, 'already listening');
      case 'thinking':
      case 'speaking':
        if (source === 'wake' && !this.options.config.audio.fullDuplex) return this.ignored(source, 'half-duplex');
        this.interruptReply(source);
        break;
      case 'error':
        // The visitor tries again: the apology stops and a new turn listens.
        this.interruptReply(source);
        break;
      case 'idle':
      case 'followUp':
        break;
    }
    this.beginTurn(source, source, true);
  }

  /** The button is held (push-to-talk): the turn in flight ends when it is released. */
  holdToTalk(): void {
    if (this.current === 'listening' && this.open) {
      this.open.pushToTalk = true;
      this.armStateTimer('listening');
    }
  }

  /** The visitor says they have finished (push-to-talk released): recognise what was heard now. */
  endOfSpeech(): void {
    if (this.current !== 'listening' || !this.open) return;
    const open = this.open;
    open.pushToTalk = false;
    void this.options.ears.endUtterance().then(() => {
      if (this.open !== open || open.utteranceId !== undefined || this.current !== 'listening') return;
      if (open.heldText.length > 0) {
        open.turn.transcript = open.heldText.join(' ');
        this.think(open.turn);
      } else {
        this.endTurnQuietly('released without speech');
      }
    });
  }

  /** Double tap: say the last answer again, straight from memory. */
  repeatLast(): void {
    if (this.stopped || this.current === 'muted') return;
    if (this.current === 'thinking' || this.current === 'speaking') this.interruptReply('button');
    this.open = undefined;
    const last = this.lastAnswer;
    if (!last) {
      this.playEarcon('error');
      this.transition('idle', 'nothing to repeat', undefined);
      return;
    }
    const id = ++this.turnSeq;
    this.activeTurn = { id, trigger: 'button' };
    this.transition('speaking', 'repeat', this.activeTurn);
    void this.playClip(last.audio, 'repeated', () => this.afterAnswer());
    this.options.logger.info({ turnId: id, reply: last.text }, 'repeating the last answer');
  }

  /**
   * Long press: cancel everything and forget the visitor. During push-to-talk with speech under
   * way the long hold is the visitor talking, not a cancel, and is ignored.
   */
  cancel(reason: string): void {
    if (this.stopped) return;
    if (reason === 'longPress' && this.current === 'listening' && this.open?.pushToTalk && this.open.utteranceId !== undefined) {
      return this.ignored('button', 'long press while talking');
    }
    if (this.current === 'thinking' || this.current === 'speaking') this.interruptReply('cancel');
    this.clipGeneration++;
    this.options.speaker.stop();
    this.open = undefined;
    this.wipeSession(reason);
    if (this.current !== 'muted') this.transition('idle', reason, undefined);
  }

  /** An operator mutes the kiosk: nothing is heard or said until `unmute()` or `turn.maxMutedSeconds`. */
  mute(): void {
    if (this.current === 'thinking' || this.current === 'speaking') this.interruptReply('mute');
    this.clipGeneration++;
    this.options.speaker.stop();
    this.open = undefined;
    this.transition('muted', 'mute', undefined);
  }

  unmute(): void {
    if (this.current === 'muted') this.transition('idle', 'unmute', undefined);
  }

  /**
   * An operator's announcement (MQTT `say`), already synthesised: played at once while the kiosk
   * rests (idle, or waiting for a follow-up). Refused with KioskBusyError while a visitor is being
   * served or the kiosk is muted, so an operator never talks over a visitor. Resolves when it is
   * over: true when it was heard whole, false when something cut it (a press, a mute).
   */
  announce(audio: Int16Array[]): Promise<boolean> {
    const refusal = this.announcementRefusal();
    if (refusal) return Promise.reject(refusal);
    this.open = undefined;
    const id = ++this.turnSeq;
    this.activeTurn = { id, trigger: 'mqtt' };
    this.transition('speaking', 'announcement', this.activeTurn);
    return this.playClip(audio, 'announcement', () => {
      this.echoClosedUntil = this.now() + this.options.config.turn.echoTailMs;
      this.transition('idle', 'announced', undefined);
    });
  }

  /** Why an announcement would be refused now; undefined when it would be played. */
  announcementRefusal(): KioskBusyError | undefined {
    if (this.stopped) return new KioskBusyError('the kiosk is stopping', 'try again once it runs');
    if (this.current !== 'idle' && this.current !== 'followUp') return new KioskBusyError(`the kiosk is ${this.current}`, 'try again when its state is idle');
    return undefined;
  }

  /** Forgets the conversation and the last answer; the system prompt stays evaluated. */
  wipeSession(reason: string): void {
    clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
    this.lastAnswer = undefined;
    this.disclosed = false;
    this.options.brain.newConversation();
    const at = this.now();
    this.options.logger.info({ reason }, 'visitor session wiped');
    this.emit('sessionWiped', { reason, at });
  }

  // ── ears ───────────────────────────────────────────────────────────────────────────────────

  private async consume(): Promise<void> {
    try {
      for await (const event of this.options.ears.events) {
        if (this.stopped) break;
        this.onHeard(event);
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'the ears stopped reporting');
    }
  }

  /** Handles one thing the ears heard. Public for the file demo and tests that drive it directly. */
  onHeard(event: HeardEvent): void {
    switch (event.type) {
      case 'wake':
        this.options.logger.info({ phrase: event.phrase }, 'wake phrase heard');
        this.trigger('wake');
        return;
      case 'speechStart':
        this.onSpeechStart(event.utteranceId);
        return;
      case 'partial':
        if (this.open?.utteranceId === event.utteranceId) this.preload(event.text);
        return;
      case 'pause':
        this.speculate(event.utteranceId, event.text);
        return;
      case 'resume':
        if (this.speculation?.utteranceId === event.utteranceId) this.discardSpeculation('misses');
        return;
      case 'speechEnd': {
        this.pendingUtterances.add(event.utteranceId);
        const open = this.open;
        if (open?.utteranceId !== event.utteranceId) return;
        const { marks, compute } = open.turn;
        // Push-to-talk may hold several utterances: the turn's speech starts with the first.
        marks.speechStart ??= event.speechStartAt;
        marks.speechEnd = event.speechEndAt;
        marks.endpoint = event.endpointAt;
        compute.vadHangover = event.endpointAt - event.speechEndAt;
        open.turn.speechSamples = event.samples;
        if (event.endpoint) {
          open.turn.endpoint = event.endpoint;
          if (event.endpoint.decidedAt !== undefined) marks.endpointDecision = event.endpoint.decidedAt;
        }
        return;
      }
      case 'final': {
        this.pendingUtterances.delete(event.utteranceId);
        const open = this.open;
        if (open?.utteranceId === event.utteranceId && this.current === 'listening') {
          open.turn.marks.asrFinal = event.at;
          open.turn.compute.asr = event.asrComputeMs;
          if (open.pushToTalk) {
            // Held: a pause is not the end; keep listening until the button is released.
            if (event.text.trim()) open.heldText.push(event.text.trim());
            open.utteranceId = undefined;
          } else {
            open.turn.transcript = [...open.heldText, event.text].join(' ').trim();
            this.think(open.turn, this.takeSpeculation(open));
          }
        }
        this.resolveSettled();
        return;
      }
    }
  }

  private onSpeechStart(utteranceId: number): void {
    const voiceBargeIn = this.options.config.turn.bargeIn === 'voice' && this.options.config.audio.fullDuplex;
    switch (this.current) {
      case 'idle':
        if (this.options.triggerMode !== 'open-mic') return;
        this.beginTurn('vad', 'speech', false);
        break;
      case 'followUp':
        this.beginTurn('followUp', 'speech', false);
        break;
      case 'thinking':
      case 'speaking':
        if (!voiceBargeIn) return;
        this.interruptReply('voice');
        this.beginTurn('vad', 'bargeIn', false);
        break;
      case 'listening':
        break;
      case 'muted':
      case 'error':
        return;
    }
    if (this.open && this.open.utteranceId === undefined) {
      this.open.utteranceId = utteranceId;
      this.lastPreload = '';
      this.armStateTimer('listening');
    }
  }

  /** Sends the words of a partial that are unlikely to change (all but the last) to the brain. */
  private preload(partial: string): void {
    const stable = partial.trim().split(/\s+/).slice(0, -1).join(' ');
    if (!stable || stable === this.lastPreload) return;
    this.lastPreload = stable;
    this.options.brain.preload(stable);
  }

  // ── speculative replies ────────────────────────────────────────────────────────────────────

  /**
   * The visitor paused: start the reply to the words so far, held, so that it can play the moment
   * the turn ends with the same words. One at a time: a newer pause replaces an older speculation.
   */
  private speculate(utteranceId: number, text: string): void {
    const open = this.open;
    if (!this.options.config.turn.endpointing.speculate || open?.utteranceId !== utteranceId || this.current !== 'listening') return;
    // Push-to-talk ends on the release, and its earlier utterances would not be in this reply.
    if (open.pushToTalk || open.heldText.length > 0 || !text.trim()) return;
    this.discardSpeculation('misses');
    const turn: Turn = { id: open.turn.id, trigger: open.turn.trigger, transcript: text.trim(), reply: '', path: 'llm', marks: { speculationStart: this.now() }, compute: {} };
    const run = this.newRun(turn, true);
    this.speculation = { run, utteranceId, words: normaliseUtterance(text) };
    run.start();
  }

  /** The turn ended: its speculation, if it answers the final words and can still play; any other is thrown away. */
  private takeSpeculation(open: OpenTurn): TurnRun | undefined {
    const speculation = this.speculation;
    if (!speculation) return undefined;
    if (speculation.run.declined) {
      this.discardSpeculation('declined');
      return undefined;
    }
    if (speculation.utteranceId !== open.utteranceId || speculation.words !== normaliseUtterance(open.turn.transcript) || !speculation.run.active) {
      this.discardSpeculation('restarts');
      return undefined;
    }
    this.speculation = undefined;
    open.speculation.hits++;
    return speculation.run;
  }

  /** Throws the speculation away (counted under `why` for the open turn): nothing plays, and the brain forgets it. */
  private discardSpeculation(why: 'misses' | 'restarts' | 'declined'): void {
    const speculation = this.speculation;
    if (!speculation) return;
    this.speculation = undefined;
    const { run } = speculation;
    const startedAt = run.turn.marks.speculationStart ?? this.now();
    run.discard();
    this.options.brain.settleSpeculation(run.turn.id, false);
    const counts = this.open?.speculation;
    if (!counts) return;
    counts[why]++;
    if (why !== 'declined') counts.wastedMs += Math.max(0, (run.workEndedAt ?? this.now()) - startedAt);
  }

  // ── turns ──────────────────────────────────────────────────────────────────────────────────

  private beginTurn(trigger: TurnTrigger, reason: string, chime: boolean): void {
    clearTimeout(this.sessionTimer);
    const id = ++this.turnSeq;
    const turn: Turn = { id, trigger, transcript: '', reply: '', path: 'llm', marks: {}, compute: {} };
    this.open = { turn, utteranceId: undefined, pushToTalk: false, heldText: [], speculation: { hits: 0, misses: 0, restarts: 0, declined: 0, wastedMs: 0 } };
    this.activeTurn = { id, trigger };
    this.clipGeneration++;
    // The chime goes out before anything else so it starts within a few ms of the trigger.
    if (chime) this.playEarcon('listening');
    this.transition('listening', reason, this.activeTurn);
  }

  /**
   * The turn has ended: its reply is made now, or — when a speculation answered these very words —
   * the held one plays at once.
   */
  private think(turn: Turn, speculated?: TurnRun): void {
    const open = this.open;
    this.open = undefined;
    turn.compute.queued = 0;
    const run = speculated ?? this.newRun(turn, false);
    if (speculated) adoptTurnFacts(speculated.turn, turn);
    const counts = open?.speculation;
    if (counts && counts.hits + counts.misses + counts.restarts + counts.declined > 0) run.turn.speculation = counts;
    this.run = run;
    this.disclosed = true;
    this.transition('thinking', 'endpoint', this.activeTurn);
    if (speculated) {
      this.options.brain.settleSpeculation(run.turn.id, true);
      run.release();
    } else run.start();
    void run.done.then((finished) => this.onRunDone(run, finished));
  }

  private newRun(turn: Turn, held: boolean): TurnRun {
    const { options } = this;
    const run: TurnRun = new TurnRun(turn, {
      config: options.config,
      brain: options.brain,
      mouth: options.mouth,
      speaker: options.speaker,
      prompts: options.prompts,
      logger: options.logger,
      disclose: (options.disclose ?? true) && !this.disclosed,
      streaming: options.streaming ?? true,
      held,
      now: this.now,
      onPlaybackStart: () => {
        if (this.run === run && this.current === 'thinking') this.transition('speaking', 'firstAudio', this.activeTurn);
      },
    });
    return run;
  }

  private onRunDone(run: TurnRun, turn: Turn): void {
    const current = this.run === run;
    if (current) this.run = undefined;
    if (current && turn.outcome === 'answered') {
      this.lastAnswer = { text: turn.reply, audio: run.replyAudio };
      this.emit('turn', turn);
      this.afterAnswer();
      return;
    }
    if (current && turn.outcome === undefined) {
      // A run that ended without an outcome (none should) must not leave the kiosk thinking.
      this.options.logger.warn({ turnId: turn.id }, 'turn ended without an answer');
      this.emit('turn', turn);
      this.transition('idle', 'no answer', undefined);
      return;
    }
        if (current && turn.outcome === 'failed') {
      turn.reply = this.options.prompts.get('apology').text;
      this.emit('turn', turn);
      this.showError(turn.problem ?? 'turn failed');
      return;
    }
    this.emit('turn', turn);
    this.resolveSettled();
  }

  /** The answer was heard: listen for a follow-up (with a trigger mode that needs one), else rest. */
  private afterAnswer(): void {
    this.echoClosedUntil = this.now() + this.options.config.turn.echoTailMs;
    const followUp = this.options.config.turn.followUpSeconds > 0 && this.options.triggerMode !== 'open-mic';
    this.transition(followUp ? 'followUp' : 'idle', 'answered', followUp ? this.activeTurn : undefined);
  }

  /** A stage failed or ran over: apologise, show the error pattern briefly, then rest. */
  private showError(reason: string): void {
    const { prompts, earcons } = this.options;
    const clip = [earcons.error, prompts.get('apology').samples].filter((s): s is Int16Array => s !== undefined);
    this.transition('error', reason, this.activeTurn);
    void this.playClip(clip, 'apology', () => {
      this.echoClosedUntil = this.now() + this.options.config.turn.echoTailMs;
    });
  }

  private interruptReply(reason: string): void {
    this.clipGeneration++;
    if (this.run) {
      const run = this.run;
      this.run = undefined;
      run.interrupt(reason);
    } else {
      this.options.speaker.stop();
    }
    this.echoClosedUntil = this.now() + this.options.config.turn.echoTailMs;
  }

  private endTurnQuietly(reason: string): void {
    this.open = undefined;
    this.transition('idle', reason, undefined);
  }

  /**
   * Plays fixed audio (a repeat, an apology, an announcement) and calls `then` when it has been
   * heard, unless superseded; resolves with whether it was (false: something cut it).
   */
  private playClip(parts: Int16Array[], what: string, then: () => void): Promise<boolean> {
    const generation = ++this.clipGeneration;
    for (const samples of parts) this.options.speaker.write(samples);
    const finish = () => {
      const current = generation === this.clipGeneration;
      if (current) then();
      return current;
    };
    return this.options.speaker.drain().then(finish, (error: unknown) => {
      this.options.logger.error({ err: error, what }, 'playback failed');
      return finish();
    });
  }

  private playEarcon(which: 'listening' | 'error'): void {
    const samples = this.options.earcons[which];
    if (!samples) return;
    this.options.speaker.write(samples);
    this.options.logger.debug({ earcon: which }, 'earcon');
  }

  private ignored(source: string, why: string): void {
    this.options.logger.info({ source, why, state: this.current }, 'trigger ignored');
  }

  // ── the one transition function ──────────────────────────────────────────────────────────

  private transition(to: TurnState, reason: string, turn: { id: number; trigger: TurnTrigger } | undefined): void {
    // Only a turn still listening can use a reply made at its pause (think() took it before this).
    if (to !== 'listening') this.discardSpeculation('misses');
    const from = this.current;
    if (to === 'idle' || to === 'muted') {
      this.activeTurn = undefined;
      turn = undefined;
    }
    this.current = to;
    const change: StateChange = { from, to, turnId: turn?.id, trigger: turn?.trigger, reason, at: this.now() };
    this.armStateTimer(to);
    this.options.ears.arm(this.armedIn(to));
    if (to === 'idle') this.armSessionTimer();
    this.options.logger.info(change, 'state');
    this.emit('stateChanged', change);
    this.resolveSettled();
  }

  /** Whether the ears should recognise words in a state (otherwise they only look for the wake phrase). */
  private armedIn(state: TurnState): boolean {
    const { config, triggerMode } = this.options;
    switch (state) {
      case 'listening':
      case 'followUp':
        return true;
      case 'idle':
        return triggerMode === 'open-mic';
      case 'thinking':
      case 'speaking':
        return config.turn.bargeIn === 'voice' && config.audio.fullDuplex;
      case 'muted':
      case 'error':
        return false;
    }
  }

  /** The longest a state may last; `undefined` for `idle`, the state every other one ends in. */
  maxDurationMs(state: TurnState): number | undefined {
    const { turn, vad } = this.options.config;
    switch (state) {
      case 'idle':
        return undefined;
      case 'listening':
        if (this.open?.pushToTalk) return turn.maxTurnSeconds * 1000;
        return this.open?.utteranceId !== undefined ? vad.maxSpeechSeconds * 1000 + FINAL_SLACK_MS : turn.listenTimeoutSeconds * 1000;
      case 'thinking':
      case 'speaking':
        return turn.maxTurnSeconds * 1000 + GUARD_SLACK_MS;
      case 'followUp':
        return turn.followUpSeconds * 1000;
      case 'muted':
        return turn.maxMutedSeconds * 1000;
      case 'error':
        return turn.errorSeconds * 1000 + this.clipMs(this.options.prompts.get('apology').samples);
    }
  }

  private armStateTimer(state: TurnState): void {
    clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
    const ms = this.maxDurationMs(state);
    this.stateDeadline = ms === undefined ? undefined : this.now() + ms;
    if (ms === undefined) return;
    this.stateTimer = setTimeout(() => this.onStateTimeout(state), ms);
  }

  private onStateTimeout(state: TurnState): void {
    if (this.current !== state || this.stopped) return;
    this.options.logger.info({ state, maxMs: this.maxDurationMs(state) }, 'state timed out');
    switch (state) {
      case 'listening':
        return this.endTurnQuietly(this.open?.utteranceId === undefined ? 'no speech' : 'no transcript');
      case 'thinking':
      case 'speaking':
        // The turn's own deadline should have ended it; something is stuck, so cut it.
        this.interruptReply('stuck');
        return this.showError(`stuck in ${state}`);
      case 'followUp':
      case 'muted':
      case 'error':
        this.clipGeneration++;
        return this.transition('idle', 'timeout', undefined);
      case 'idle':
        return;
    }
  }

  private armSessionTimer(): void {
    clearTimeout(this.sessionTimer);
    this.sessionTimer = setTimeout(() => {
      this.sessionTimer = undefined;
      if (this.current === 'idle') this.wipeSession('idle');
    }, this.options.config.turn.sessionIdleSeconds * 1000);
    this.sessionTimer.unref?.();
  }

  private clipMs(samples: Int16Array): number {
    return (samples.length * 1000) / this.options.speaker.sampleRate;
  }

  private isSettled(): boolean {
    if (this.stopped) return true;
    const busy = this.current === 'thinking' || this.current === 'speaking' || this.current === 'error';
    return !busy && this.pendingUtterances.size === 0 && this.run === undefined;
  }

  private resolveSettled(): void {
    if (!this.isSettled()) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** What the ears and the recogniser established about a turn, carried onto the record of the speculation that answers it. */
function adoptTurnFacts(record: Turn, heard: Turn): void {
  record.trigger = heard.trigger;
  record.transcript = heard.transcript;
  for (const name of ['speechStart', 'speechEnd', 'endpoint', 'asrFinal', 'endpointDecision'] as const) {
    const at = heard.marks[name];
    if (at !== undefined) record.marks[name] = at;
  }
  if (heard.speechSamples) record.speechSamples = heard.speechSamples;
  if (heard.endpoint) record.endpoint = heard.endpoint;
  record.compute.vadHangover = heard.compute.vadHangover ?? 0;
  record.compute.asr = heard.compute.asr ?? 0;
  record.compute.queued = 0;
}
