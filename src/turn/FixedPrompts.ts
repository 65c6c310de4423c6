import type { Mouth } from './ports.js';

/** The fixed things the kiosk says, synthesised once at start so they cost no TTS time when needed. */
export type FixedPromptName = 'acknowledgement' | 'apology' | 'fallback' | 'notUnderstood' | 'disclosure';

export interface FixedPrompt {
  text: string;
  samples: Int16Array;
}

/** Pre-synthesised fixed prompts, at the mouth's sample rate. */
export class FixedPrompts {
  private constructor(private readonly prompts: Map<FixedPromptName, FixedPrompt>) {}

  /** Synthesises every prompt now, one after another (the mouth speaks one phrase at a time anyway). */
  static async synthesize(mouth: Mouth, texts: Record<FixedPromptName, string>): Promise<FixedPrompts> {
    const prompts = new Map<FixedPromptName, FixedPrompt>();
    for (const [name, text] of Object.entries(texts) as [FixedPromptName, string][]) {
      const parts: Int16Array[] = [];
      for await (const audio of mouth.speak(text, new AbortController().signal)) parts.push(audio.samples);
      prompts.set(name, { text, samples: concat(parts) });
    }
    return new FixedPrompts(prompts);
  }

  get(name: FixedPromptName): FixedPrompt {
    const prompt = this.prompts.get(name);
    if (!prompt) throw new Error(`fixed prompt "${name}" was not synthesised`);
    return prompt;
  }
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
