import type { KioskConfig } from '../../config/schema.js';
import type { AsrEngine } from './AsrEngine.js';
import { PocketsphinxAsr } from './PocketsphinxAsr.js';
import { SherpaOfflineAsr } from './SherpaOfflineAsr.js';
import { SherpaOnlineAsr } from './SherpaOnlineAsr.js';

/** Builds the recogniser the config names. */
export function createAsrEngine(config: KioskConfig['asr'], modelsDir: string): AsrEngine {
  switch (config.backend) {
    case 'pocketsphinx':
      return new PocketsphinxAsr(config.pocketsphinx);
    case 'sherpa-online':
      return new SherpaOnlineAsr(config.sherpaOnline, modelsDir);
    case 'sherpa-offline':
      return new SherpaOfflineAsr(config.sherpaOffline, modelsDir);
  }
}
