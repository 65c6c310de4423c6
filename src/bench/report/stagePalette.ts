/** The colours of the report's stages, shared by the waterfall, the p50/p95 bars and the legend. */
import { BENCH_STAGES } from '../BenchReport.js';

type StageName = (typeof BENCH_STAGES)[number]['name'];

/** One colour per BENCH_STAGES stage (the Okabe–Ito palette: tellable apart with most colour blindness). */
export const STAGE_COLOURS: Record<StageName, string> = {
  vadEndOfSpeechDelay: '#56b4e9',
  asrFinalAfterEndpoint: '#e69f00',
  llmFirstToken: '#009e73',
  firstPhrase: '#cc79a7',
  ttsFirstAudio: '#0072b2',
  playbackStart: '#d55e00',
};

/** The visitor's speech, before the stages start. */
export const SPEECH_COLOUR = '#c8c8c8';
/** End of speech → first audio, the sum of the stages. */
export const TOTAL_COLOUR = '#4a4a4a';

/** A colour swatch as inline SVG: unlike a CSS background, it survives printing. */
export function swatch(colour: string, opacity = 1): string {
  return `<svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${colour}" fill-opacity="${opacity}"/></svg>`;
}
