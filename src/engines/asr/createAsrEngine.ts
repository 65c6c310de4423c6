import type { KioskConfig } from '../../config/schema.js';
import type { Logger } from '../../logging/createLogger.js';
import type { AsrEngine } from './AsrEngine.js';
import { PocketsphinxAsr } from './PocketsphinxAsr.js';
import { SherpaOfflineAsr } from './SherpaOfflineAsr.js';
import { SherpaOnlineAsr } from './SherpaOnlineAsr.js';

/** Builds the recogniser the config names; `logger` gets what the engine reports while it runs (e.g. a restart). */
export function createAsrEngine(config: KioskConfig['asr'], modelsDir: string, logger?: Logger): AsrEngine {
  switch (config.backend) {
    case 'pocketsphinx':
      return new PocketsphinxAsr(config.pocketsphinx, logger ? { logger } : {});
    case 'sherpa-online':
      return new SherpaOnlineAsr(config.sherpaOnline, modelsDir);
    case 'sherpa-offline':
      return new SherpaOfflineAsr(config.sherpaOffline, modelsDir);
  }
}
