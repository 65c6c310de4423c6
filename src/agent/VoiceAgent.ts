import { EventEmitter } from 'node:events';
import type { AudioSink } from '../audio/AudioSink.js';
import type { CaptureHealth, CaptureSource } from '../audio/capture/CaptureSource.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { Turn } from '../turn/Turn.js';
import { VoicePipeline, type LoadTimes } from '../turn/VoicePipeline.js';

/** Time after the agent stops speaking before the mic counts again: the room's echo dies down. */
const ECHO_TAIL_MS = 250;

export type AgentState = 'starting' | 'listening' | 'speaking' | 'stopped';

export interface AgentHealth {
  state: AgentState;
  mic: CaptureHealth;
  turns: number;
  lastTurn: { path: Turn['path']; endOfSpeechToFirstAudioMs: number | undefined } | undefined;
  uptimeSeconds: number;
}

export interface VoiceAgentOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  capture: CaptureSource;
  createSink: (sampleRate: number) => AudioSink | Promise<AudioSink>;
}

interface VoiceAgentEvents {
  turn: [Turn];
  /** The agent cannot go on (an engine keeps crashing); the service should exit and be restarted. */
  fatal: [Error];
}

/**
 * The daemon's voice loop: live microphone → pipeline → speaker, in open-mic mode (every utterance
 * the VAD finds is a turn). Half-duplex unless `audio.fullDuplex`: while the agent speaks, and for a
 * short echo tail after, the microphone's audio is replaced by silence so the agent does not answer
 * itself. Silence rather than a gap keeps the audio clock and the VAD's state continuous.
 */
export class VoiceAgent extends EventEmitter<VoiceAgentEvents> {
  private readonly pipeline: VoicePipeline;
  private state: AgentState = 'starting';
  private readonly startedAt = monotonicMs();
  private turns = 0;
  private lastTurn: AgentHealth['lastTurn'];
  private mutedUntil = 0;
  private pump: Promise<void> | undefined;

  constructor(private readonly options: VoiceAgentOptions) {
    super();
    const { config, modelsDir, logger, createSink } = options;
    this.pipeline = new VoicePipeline({ config, modelsDir, logger, createSink });
    this.pipeline.on('turn', (turn) => this.onTurn(turn));
    this.pipeline.on('fatal', (error) => this.emit('fatal', error));
  }

  /** Loads the engines, then opens the microphone (no audio piles up while models load). */
  async start(): Promise<LoadTimes> {
    const loadMs = await this.pipeline.start();
    this.options.capture.start();
    this.state = 'listening';
    this.pump = this.listen();
    return loadMs;
  }

  health(): AgentHealth {
    return {
      state: this.state,
      mic: this.options.capture.health(),
      turns: this.turns,
      lastTurn: this.lastTurn,
      uptimeSeconds: Math.round((monotonicMs() - this.startedAt) / 1000),
    };
  }

  /** Stops listening, lets nothing new start, and ends the engines. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.options.capture.close();
    await this.pump;
    await this.pipeline.stop();
  }

  private async listen(): Promise<void> {
    const { config } = this.options;
    for await (const frame of this.options.capture) {
      if (this.state === 'stopped') break;
      const speaking = this.pipeline.speaking;
      if (speaking) this.mutedUntil = monotonicMs() + ECHO_TAIL_MS;
      this.state = speaking ? 'speaking' : 'listening';
      if (!config.audio.fullDuplex && (speaking || frame.capturedAt < this.mutedUntil)) frame.samples.fill(0);
      this.pipeline.feed(frame, frame.capturedAt);
    }
  }

  private onTurn(turn: Turn): void {
    this.turns++;
    const { marks } = turn;
    const endOfSpeechToFirstAudioMs =
      marks.speechEnd !== undefined && marks.playbackStart !== undefined ? Math.round(marks.playbackStart - marks.speechEnd) : undefined;
    this.lastTurn = { path: turn.path, endOfSpeechToFirstAudioMs };
    this.mutedUntil = monotonicMs() + ECHO_TAIL_MS;
    this.emit('turn', turn);
  }
}
