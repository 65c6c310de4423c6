import type { KioskConfig } from '../../config/schema.js';
import { EspeakTts } from './EspeakTts.js';
import { SherpaTts } from './SherpaTts.js';
import type { TtsEngine } from './TtsEngine.js';

/** Builds the synthesiser the config names; rejects in one line when it cannot speak at all. */
export async function createTtsEngine(config: KioskConfig['tts'], modelsDir: string): Promise<TtsEngine> {
  switch (config.backend) {
    case 'espeak-ng':
      return EspeakTts.create(config.espeak);
    case 'sherpa':
      return new SherpaTts(config.sherpa, modelsDir);
  }
}
