import type { KioskConfig } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import { droppedLogLines, type Logger } from '../logging/createLogger.js';
import { EventLoopLag } from '../system/EventLoopLag.js';
import { onLogLevelSignals, onStopSignal } from '../system/signals.js';
import { SystemdNotifier } from '../system/SystemdNotifier.js';
import type { Tree } from '../config/tree.js';
import { MqttBridge } from '../telemetry/mqtt/MqttBridge.js';
import { VERSION } from '../version.js';
import { kioskCommands, serviceHealth } from './kioskCommands.js';
import { KioskService } from './KioskService.js';
import { statusLine } from './pipelineProblems.js';
import { ServiceWatchdog } from './ServiceWatchdog.js';

export interface RunServiceOptions {
  config: KioskConfig;
  /** Absolute models directory. */
  modelsDir: string;
  logger: Logger;
  /** Where NOTIFY_SOCKET and WATCHDOG_USEC are read, and the audio/GPIO children's environment. */
  env?: NodeJS.ProcessEnv;
  /** The config file (`--config`), which MQTT's set_config edits. */
  configFile?: string | undefined;
  /** The settings resolved again as at start (a pipeline restart reads the file anew). */
  reloadConfig?: () => { config: KioskConfig; modelsDir: string };
  /** The whole config for an edited config-file tree, resolved as at start (set_config's check). */
  resolveFileTree?: (tree: Tree) => KioskConfig;
}

/** While models load, start-up is extended by this much from now… */
const LOAD_EXTEND_MS = 30_000;
/** …this often, so a slow load is never cut by TimeoutStartSec and a stuck one still is (after the last extension). */
const LOAD_EXTEND_EVERY_MS = 10_000;
/** A stop that takes longer is cut: the service must be gone within 5 s of SIGTERM. */
const STOP_DEADLINE_MS = 4500;

/**
 * `kiosk-voice run` as a service: starts the daemon, tells systemd when it is ready (and extends the
 * start timeout while models load), feeds the watchdog only while the pipeline is alive, logs a
 * health snapshot, changes the log level on SIGUSR1/SIGUSR2, and stops on SIGINT/SIGTERM within
 * 5 s. Resolves with the exit code; `forced` when the stop deadline cut the shutdown short.
 */
export async function runService(options: RunServiceOptions): Promise<{ code: number; forced: boolean }> {
  const { config, modelsDir, logger } = options;
  const env = options.env ?? process.env;
  const notifier = SystemdNotifier.fromEnvironment(env, logger);
  const service = new KioskService({ config, modelsDir, logger, env, ...(options.reloadConfig && { reloadConfig: options.reloadConfig }) });
  const offLevels = onLogLevelSignals(logger, config.logLevel, (level) => service.setLogLevel(level));
  // Connected before the models load, so an operator sees the kiosk come up; it never blocks a visitor.
  const mqtt = MqttBridge.create({
    config,
    env,
    logger,
    version: VERSION,
    health: () => ({ ...serviceHealth(service, VERSION) }),
    currentConfig: () => service.config,
    commands: kioskCommands({
      service,
      logger,
      version: VERSION,
      configFile: options.configFile,
      resolveFileTree: options.resolveFileTree ?? (() => service.config),
    }),
  });
  service.on('daemon', (daemon) => mqtt?.attach(daemon));
  mqtt?.start();

  let watchdog: ServiceWatchdog | undefined;
  let stopAsked = false;
  let requestStop: (code: number) => void = () => undefined;
  const stopped = new Promise<{ code: number; forced: boolean }>((resolve) => {
    requestStop = (code) => {
      if (stopAsked) return;
      stopAsked = true;
      watchdog?.stop();
      notifier?.stopping('stopping');
      const deadline = setTimeout(() => {
        logger.error({ afterMs: STOP_DEADLINE_MS }, 'stopping took too long; exiting anyway');
        resolve({ code, forced: true });
      }, STOP_DEADLINE_MS);
      // The broker hears `offline` while the daemon stops, within the same deadline.
      void Promise.all([service.stop(), mqtt?.stop()]).then(() => {
        clearTimeout(deadline);
        resolve({ code, forced: false });
      });
    };
  });
  const offStop = onStopSignal(logger, () => requestStop(0));
  service.on('fatal', (error) => {
    logger.fatal({ err: error }, 'the daemon cannot go on; exiting so the service manager restarts it');
    requestStop(1);
  });

  notifier?.status('loading models');
  notifier?.extendTimeout(LOAD_EXTEND_MS);
  const extender = setInterval(() => notifier?.extendTimeout(LOAD_EXTEND_MS), LOAD_EXTEND_EVERY_MS);
  let loadMs;
  try {
    loadMs = await service.start();
  } catch (error) {
    // A stop asked for while models load makes the start fail; that is the stop, not an error.
    if (!stopAsked) notifier?.status(`failed to start: ${error instanceof KioskVoiceError ? error.toUserLine() : String(error)}`);
    offStop();
    offLevels();
    notifier?.close();
    if (stopAsked) return stopped;
    await mqtt?.stop();
    throw error;
  } finally {
    clearInterval(extender);
  }

  logger.info({ loadMs, capture: config.audio.capture.device, playback: config.audio.playback.device, fullDuplex: config.audio.fullDuplex }, 'listening');
  notifier?.ready(statusLine(service.health(), []));
  watchdog = notifier && new ServiceWatchdog({ notifier, subject: service, watchdogUsec: notifier.watchdogUsec, logger });
  watchdog?.start();
  const healthLag = new EventLoopLag();
  const healthTimer = setInterval(() => logger.info({ health: { ...service.health(), process: processHealth(healthLag) } }, 'health'), config.healthLogSeconds * 1000);
  healthTimer.unref();

  const result = await stopped;
  clearInterval(healthTimer);
  healthLag.dispose();
  offStop();
  offLevels();
  notifier?.close();
  logger.info('stopped');
  return result;
}

/** The process figures of the health line: memory, main-thread lag since the previous line, lost log lines. */
function processHealth(lag: EventLoopLag) {
  const memory = process.memoryUsage();
  const window = lag.takeWindow();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    eventLoopLagP99Ms: window.p99Ms,
    eventLoopLagMaxMs: window.maxMs,
    droppedLogLines: droppedLogLines().lines,
  };
}
