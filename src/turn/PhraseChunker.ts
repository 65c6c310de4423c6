export interface PhraseChunkerOptions {
  /** The first phrase leaves at a clause boundary once it has this many words… */
  firstPhraseMinWords: number;
  /** …or at any word boundary once it has this many, so speech starts early. */
  firstPhraseMaxWords: number;
  /** Later phrases leave at sentence ends, or at a clause boundary past this many words. */
  laterPhraseMaxWords: number;
}

// Words whose trailing period is not a sentence end. Lower-case, with the period.
const ABBREVIATIONS = new Set([
  'mr.', 'mrs.', 'ms.', 'dr.', 'prof.', 'st.', 'sr.', 'jr.', 'vs.', 'etc.', 'no.', 'nr.', 'approx.',
  'dept.', 'min.', 'max.', 'ave.', 'rd.', 'mt.', 'ft.', 'fig.', 'inc.', 'ltd.', 'co.', 'corp.', 'tel.',
  'jan.', 'feb.', 'mar.', 'apr.', 'jun.', 'jul.', 'aug.', 'sep.', 'sept.', 'oct.', 'nov.', 'dec.',
  'mon.', 'tue.', 'tues.', 'wed.', 'thu.', 'thurs.', 'fri.', 'sat.', 'sun.',
]);

const CLOSERS = `"'”’)\\]`;
const SENTENCE_END = new RegExp(`[.!?…][${CLOSERS}]*$`);
const CLAUSE_END = new RegExp(`[,;:—–][${CLOSERS}]*$`);
// Initials and dotted acronyms: "J.", "a.m.", "e.g.", "U.S.".
const DOTTED = /^[\p{L}](\.[\p{L}])*\.$/u;

function endsSentence(word: string): boolean {
  if (!SENTENCE_END.test(word)) return false;
  const bare = word.replace(new RegExp(`[${CLOSERS}]+$`), '').toLowerCase();
  return !(ABBREVIATIONS.has(bare) || DOTTED.test(bare));
}

/**
 * Cuts streaming LLM text into phrases for TTS. The first phrase leaves early (a clause or a few
 * words) because time to first audio is what a visitor feels; later phrases are whole sentences,
 * which sound more natural. A boundary is only taken once the character after it has arrived, so
 * "10:30", "3.5", "1,000" and "Dr. Smith" are never split.
 */
export class PhraseChunker {
  private buffer = '';
  private phrasesOut = 0;

  constructor(private readonly options: PhraseChunkerOptions) {}

  /** Adds streamed text; returns the phrases that are now complete, in order. */
  push(text: string): string[] {
    this.buffer += text;
    const phrases: string[] = [];
    for (let cut = this.findCut(); cut > 0; cut = this.findCut()) {
      const phrase = this.buffer.slice(0, cut).trim();
      this.buffer = this.buffer.slice(cut);
      if (phrase) {
        phrases.push(phrase);
        this.phrasesOut++;
      }
    }
    return phrases;
  }

  /** The stream ended: returns what is left, if anything, and resets for the next reply. */
  flush(): string | undefined {
    const rest = this.buffer.trim();
    this.buffer = '';
    this.phrasesOut = 0;
    return rest || undefined;
  }

  private findCut(): number {
    const first = this.phrasesOut === 0;
    const { firstPhraseMinWords, firstPhraseMaxWords, laterPhraseMaxWords } = this.options;
    // Only words followed by whitespace are complete: the next token may still extend them.
    const completeWord = /(\S+)(\s+)/g;
    let words = 0;
    for (let m = completeWord.exec(this.buffer); m; m = completeWord.exec(this.buffer)) {
      const word = m[1] ?? '';
      const end = m.index + word.length;
      words++;
      const sentence = endsSentence(word) || (m[2] ?? '').includes('\n');
      const clause = CLAUSE_END.test(word);
      if (first) {
        if ((sentence || clause) && words >= firstPhraseMinWords) return end;
        if (words >= firstPhraseMaxWords) return end;
      } else {
        if (sentence) return end;
        if (clause && words >= laterPhraseMaxWords) return end;
        // A run-on without punctuation still has to be spoken before the whole reply is done.
        if (words >= laterPhraseMaxWords * 2) return end;
      }
    }
    return 0;
  }
}
