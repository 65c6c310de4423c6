import type { KioskConfig } from '../config/schema.js';
import type { FixedPromptName } from '../turn/FixedPrompts.js';

/** What each fixed prompt says, from the config. */
export function fixedPromptTexts(config: Pick<KioskConfig, 'turn' | 'dialog' | 'site'>): Record<FixedPromptName, string> {
  return {
    acknowledgement: config.turn.acknowledgement,
    apology: config.turn.apology,
    fallback: config.dialog.fallbackReply,
    notUnderstood: config.dialog.notUnderstoodReply,
    disclosure: config.site.disclosure,
  };
}
