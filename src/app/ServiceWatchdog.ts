import type { Logger } from '../logging/createLogger.js';
import { EventLoopLag } from '../system/EventLoopLag.js';
import type { DaemonHealth } from './KioskDaemon.js';
import { pipelineProblems, statusLine } from './pipelineProblems.js';

/** The part of the systemd notifier the watchdog uses. */
export interface WatchdogNotifier {
  watchdog(): void;
  status(text: string): void;
}

/** What the watchdog reads from the daemon on each tick. */
export interface WatchdogSubject {
  health(): DaemonHealth;
  stateOverdueMs(): number;
}

export interface ServiceWatchdogOptions {
  notifier: WatchdogNotifier;
  subject: WatchdogSubject;
  /** systemd's WatchdogSec in µs (WATCHDOG_USEC); the pipeline is checked four times per period. */
  watchdogUsec: number | undefined;
  logger: Logger;
}

/** Checks per watchdog period: a pipeline that is briefly not alive (a worker restarting) misses one, not the period. */
const CHECKS_PER_PERIOD = 4;
/** STATUS= is kept fresh this often when the unit has no watchdog. */
const STATUS_ONLY_INTERVAL_MS = 10_000;

/**
 * Feeds systemd's watchdog only while the pipeline is really alive (see `pipelineProblems`), and
 * keeps STATUS= current. When the pipeline stops being alive it says why, once; systemd restarts
 * the service if that lasts a whole WatchdogSec. An event loop that is blocked sends nothing at all,
 * which is the point: the one case no in-process supervisor can handle.
 */
export class ServiceWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private readonly lag = new EventLoopLag();
  private lastProblems: string[] = [];

  constructor(private readonly options: ServiceWatchdogOptions) {}

  start(): void {
    const { watchdogUsec } = this.options;
    const intervalMs = watchdogUsec === undefined ? STATUS_ONLY_INTERVAL_MS : watchdogUsec / 1000 / CHECKS_PER_PERIOD;
    // The first check waits one interval: the microphone's first frames are still on their way.
    this.timer = setInterval(() => this.check(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lag.dispose();
  }

  private check(): void {
    const { notifier, subject, watchdogUsec, logger } = this.options;
    const health = subject.health();
    const problems = pipelineProblems({ health, stateOverdueMs: subject.stateOverdueMs(), lag: this.lag.takeWindow() });
    if (problems.length === 0 && watchdogUsec !== undefined) notifier.watchdog();
    notifier.status(statusLine(health, problems));
    if (problems.join() !== this.lastProblems.join()) {
      if (problems.length > 0) logger.warn({ problems }, 'the pipeline is not alive: the systemd watchdog is not fed until it is');
      else logger.info({ previously: this.lastProblems }, 'the pipeline is alive again');
      this.lastProblems = problems;
    }
  }
}
