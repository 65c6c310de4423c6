/** The model files the decoder is given (asr.pocketsphinx.*). */
export interface PocketsphinxModelPaths {
  hmm: string;
  lm: string;
  dict: string;
}

/** Error lines kept: the first is the cause, the next ones what followed from it. */
const KEPT_ERRORS = 3;

/**
 * Reads the decoder's log while it loads (scripts/pocketsphinx-stream.py lets it write to stderr
 * until then) for what a failure message needs: the model file it was reading last, and its
 * ERROR lines. pocketsphinx 5prealpha (Debian's) names most files as it opens them —
 * `INFO: bin_mdef.c(336): Reading binary model definition: <hmm>/mdef`,
 * `INFO: dict.c(333): Reading main dictionary: <dict>` — but not the language model, which shows
 * as `INFO: ngram_model_trie.c(354): Trying to read LM in trie binary format`. A damaged mdef
 * makes it crash with SIGSEGV right after its "Reading" line, so the last file named is the one.
 */
export class PocketsphinxLoadLog {
  /** The model file being read, as far as the log tells. */
  file: string | undefined;
  readonly errors: string[] = [];
  /** The last line that is not the decoder's (a Python traceback ends with its error). */
  lastOther: string | undefined;
  private readonly hmmPrefix: string;

  constructor(private readonly paths: PocketsphinxModelPaths) {
    this.hmmPrefix = `${paths.hmm.replace(/\/+$/, '')}/`;
  }

  /** One line of the decoder's stderr. */
  line(text: string): void {
    const error = /^(?:ERROR|FATAL_ERROR|FATAL): (?:"[^"]*", line \d+: |[\w.]+\(\d+\): )?(.*)$/.exec(text);
    if (error) {
      if (this.errors.length < KEPT_ERRORS) this.errors.push(error[1]!.trim());
      return;
    }
    if (!text.startsWith('INFO: ')) {
      if (!/^(WARN|WARNING|DEBUG): /.test(text) && text.trim() !== '') this.lastOther = text.trim();
      return;
    }
    if (text.includes(this.paths.lm) || /\bngram_model\w*\.c\(/.test(text)) this.file = this.paths.lm;
    else if (text.includes(this.paths.dict)) this.file = this.paths.dict;
    else {
      const at = text.indexOf(this.hmmPrefix);
      if (at >= 0) this.file = text.slice(at).trim();
    }
  }

  /** Which setting `file` belongs to, or undefined when the log named none of them. */
  get setting(): keyof PocketsphinxModelPaths | undefined {
    if (this.file === undefined) return undefined;
    if (this.file === this.paths.lm) return 'lm';
    if (this.file === this.paths.dict) return 'dict';
    return 'hmm';
  }
}
