import { EventEmitter } from 'node:events';
import type { LevelWithSilent } from 'pino';
import type { KioskConfig } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import { resolveStoragePath } from '../storage/resolveStoragePath.js';
import type { LoadTimes } from '../workers/Engines.js';
import { KioskDaemon, type DaemonHealth } from './KioskDaemon.js';

export interface KioskServiceOptions {
  config: KioskConfig;
  /** Absolute models directory. */
  modelsDir: string;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** The settings as they are now (the config file read again); used by a pipeline restart. */
  reloadConfig?: () => { config: KioskConfig; modelsDir: string };
}

interface KioskServiceEvents {
  /** A daemon has started (at start and after every pipeline restart); listeners attach to it. */
  daemon: [KioskDaemon];
  /** The daemon cannot go on. */
  fatal: [Error];
}

/** A pipeline restart was asked for while one was already under way. */
export class RestartInProgressError extends KioskVoiceError {}

/**
 * The kiosk as a service runs it: one KioskDaemon at a time, which an operator can replace
 * (`restart_pipeline`) by a new one built from the config file as it is now, without the process
 * ending — the MQTT connection and the systemd watchdog stay. Health and stuck-state checks are
 * those of the current daemon.
 */
export class KioskService extends EventEmitter<KioskServiceEvents> {
  private current: KioskDaemon;
  private settings: KioskConfig;
  private modelsDir: string;
  private restarting: Promise<LoadTimes> | undefined;
  private lastAnswered: string | undefined;

  constructor(private readonly options: KioskServiceOptions) {
    super();
    this.settings = options.config;
    this.modelsDir = options.modelsDir;
    this.current = this.build();
  }

  get daemon(): KioskDaemon {
    return this.current;
  }

  /** The settings the current daemon runs with (changed by set_config for live settings). */
  get config(): KioskConfig {
    return this.settings;
  }

  set config(config: KioskConfig) {
    this.settings = config;
  }

  /** When a turn was last answered (ISO time), across restarts. */
  get lastAnsweredAt(): string | undefined {
    return this.lastAnswered;
  }

  /** Starts the first daemon; emitted as `daemon` once it runs (its turn controller exists then). */
  async start(): Promise<LoadTimes> {
    const loadMs = await this.current.start();
    this.emit('daemon', this.current);
    return loadMs;
  }

  /**
   * Stops the daemon and starts a new one with the settings read again. The turn in flight is
   * interrupted. If the new one cannot start, the error is passed on and the service is fatal
   * (the service manager restarts the process), as at a failed start.
   */
  restartPipeline(): Promise<LoadTimes> {
    if (this.restarting) return Promise.reject(new RestartInProgressError('a pipeline restart is already under way', 'wait for it to finish'));
    this.restarting = this.replace().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  setLogLevel(level: LevelWithSilent): void {
    this.current.setLogLevel(level);
  }

  health(): DaemonHealth {
    return this.current.health();
  }

  stateOverdueMs(): number {
    return this.current.stateOverdueMs();
  }

  stop(): Promise<void> {
    return this.current.stop();
  }

  private async replace(): Promise<LoadTimes> {
    const { logger } = this.options;
    logger.info('restarting the pipeline');
    await this.current.stop();
    if (this.options.reloadConfig) {
      const reloaded = this.options.reloadConfig();
      this.settings = reloaded.config;
      this.modelsDir = reloaded.modelsDir;
    }
    this.current = this.build();
    try {
      const loadMs = await this.current.start();
      this.emit('daemon', this.current);
      logger.info({ loadMs }, 'pipeline restarted');
      return loadMs;
    } catch (error) {
      this.emit('fatal', error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  private build(): KioskDaemon {
    const { logger, env } = this.options;
    const config = this.settings;
    const daemon = new KioskDaemon({ config, modelsDir: this.modelsDir, storagePath: resolveStoragePath(config.storage, env), logger, env });
    daemon.on('fatal', (error) => this.emit('fatal', error));
    daemon.on('turn', (turn) => {
      if (turn.outcome === 'answered') this.lastAnswered = new Date().toISOString();
    });
    return daemon;
  }
}
