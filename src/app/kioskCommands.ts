import { basename } from 'node:path';
import { planConfigChange } from '../config/ConfigFileEditor.js';
import type { KioskConfig } from '../config/schema.js';
import { redactConfig } from '../config/secretSettings.js';
import type { Tree } from '../config/tree.js';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import { collectHealth, type HealthPayload } from '../telemetry/healthSnapshot.js';
import type { CommandHandlers } from '../telemetry/mqtt/commands/CommandDispatcher.js';
import { turnTelemetry } from '../telemetry/turnTelemetry.js';
import type { KioskService } from './KioskService.js';

/** A command that needs the turn controller came before the kiosk was ready. */
export class KioskNotReadyError extends KioskVoiceError {}

/** `start_listening` on a muted kiosk. */
export class KioskMutedError extends KioskVoiceError {}

export interface KioskCommandOptions {
  service: KioskService;
  logger: Logger;
  version: string;
  /** The config file set_config edits (`--config`); undefined when the kiosk runs without one. */
  configFile: string | undefined;
  /** The whole config for a config-file tree, resolved as at start (model set, environment, flags). */
  resolveFileTree: (tree: Tree) => KioskConfig;
}

/** Model ids by role, for health and bug reports: file names, never paths or secrets. */
export function modelIds(config: KioskConfig): Record<string, string> {
  const tts = config.tts.backend === 'espeak-ng' ? `espeak-ng:${config.tts.espeak.voice}` : `sherpa-${config.tts.sherpa.kind}:${basename(config.tts.sherpa.files.model ?? '')}`;
  const asr =
    config.asr.backend === 'pocketsphinx'
      ? 'pocketsphinx:en-us'
      : config.asr.backend === 'sherpa-online'
        ? `sherpa-online:${basename(config.asr.sherpaOnline.encoder)}`
        : `sherpa-offline-${config.asr.sherpaOffline.kind}`;
  return { vad: basename(config.vad.model), asr, llm: basename(config.llm.model), tts };
}

/** The health snapshot `<base>/health` and the `health` command carry. */
export function serviceHealth(service: KioskService, version: string): HealthPayload {
  const { config, daemon } = service;
  return collectHealth({
    daemon: daemon.health(),
    version,
    models: modelIds(config),
    volume: daemon.volume,
    wakeThreshold: config.turn.wake.threshold,
    ...(service.lastAnsweredAt !== undefined && { lastAnsweredAt: service.lastAnsweredAt }),
  });
}

/** The settings applied without a restart (see LIVE_SETTINGS), put into effect now. */
function applyLive(service: KioskService, config: KioskConfig): void {
  service.setLogLevel(config.logLevel);
  if (service.daemon.volume !== config.audio.playback.volume) service.daemon.setVolume(config.audio.playback.volume);
}

/**
 * What each MQTT command does on this kiosk. Thin: every action is a method of the daemon, its
 * turn controller or the service; this maps requests onto them and shapes the answers.
 */
export function kioskCommands(options: KioskCommandOptions): CommandHandlers {
  const { service, logger, version } = options;
  const controller = () => {
    const found = service.daemon.turnController;
    if (!found) throw new KioskNotReadyError('the kiosk is still starting', 'try again once its state is idle');
    return found;
  };
  return {
    say: ({ text }) => service.daemon.say(text),
    start_listening: () => {
      const turns = controller();
      if (turns.state === 'muted') throw new KioskMutedError('the kiosk is muted', 'send unmute first');
      turns.trigger('mqtt');
      return { state: turns.state };
    },
    stop: () => {
      const turns = controller();
      turns.cancel('mqtt stop');
      return { state: turns.state };
    },
    mute: ({ muted }) => {
      const turns = controller();
      if (muted === false) turns.unmute();
      else turns.mute();
      return { state: turns.state };
    },
    unmute: () => {
      const turns = controller();
      turns.unmute();
      return { state: turns.state };
    },
    volume: ({ volume }) => {
      service.daemon.setVolume(volume);
      return { volume };
    },
    health: () => serviceHealth(service, version),
    get_config: () => redactConfig(service.config as unknown as Tree),
    set_config: async ({ config: patch, restart }) => {
      const previous = service.config;
      const plan = planConfigChange({ file: options.configFile, patch, current: previous, resolve: options.resolveFileTree });
      if (plan.changes.length === 0) return { changes: [], restartNeeded: false, restarted: false };
      plan.commit();
      try {
        service.config = plan.next;
        applyLive(service, plan.next);
        const restarted = plan.restartNeeded && restart === true;
        if (restarted) await service.restartPipeline();
        logger.info({ changed: plan.changes.map((c) => c.path), restartNeeded: plan.restartNeeded, restarted }, 'config changed over MQTT');
        return { changes: plan.changes, restartNeeded: plan.restartNeeded && !restarted, restarted };
      } catch (error) {
        plan.rollback();
        service.config = previous;
        applyLive(service, previous);
        throw error;
      }
    },
    log_level: ({ level }) => {
      service.setLogLevel(level);
      return { level };
    },
    restart_pipeline: async () => ({ loadMs: await service.restartPipeline() }),
    selftest: async () => {
      const turn = await service.daemon.selftest();
      const record = turnTelemetry(turn, { publishTranscripts: true });
      return { heard: turn.transcript, reply: turn.reply, path: turn.path, outcome: turn.outcome, latencies: record.latencies };
    },
  };
}
