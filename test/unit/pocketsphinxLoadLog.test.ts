import { describe, expect, it } from 'vitest';
import { PocketsphinxLoadLog } from '../../src/engines/asr/pocketsphinxLoadLog.js';

/** Lines as Debian's pocketsphinx 5prealpha writes them while it loads (from a real run). */
const paths = { hmm: '/m/en-us/', lm: '/m/en-us.lm.bin', dict: '/m/cmudict-en-us.dict' };

function read(lines: string[]): PocketsphinxLoadLog {
  const log = new PocketsphinxLoadLog(paths);
  for (const line of lines) log.line(line);
  return log;
}

describe('PocketsphinxLoadLog: which model file the decoder was reading', () => {
  it('an acoustic model file, named by its path under hmm (a trailing slash on hmm or not)', () => {
    const log = read([
      'INFO: pocketsphinx.c(151): Parsed model-specific feature parameters from /m/en-us/feat.params',
      'INFO: mdef.c(518): Reading model definition: /m/en-us/mdef',
      'INFO: bin_mdef.c(336): Reading binary model definition: /m/en-us/mdef',
      'WARN: "bin_mdef.c", line 497: Senone 0 is shared between multiple base phones',
      '\u0004OOOOOOO',
    ]);
    expect(log.file).toBe('/m/en-us/mdef');
    expect(log.setting).toBe('hmm');
    expect(log.errors).toEqual([]);
  });

  it('the dictionary by its path, the language model by the trie reader (it does not print the path)', () => {
    const dict = read(['INFO: dict.c(333): Reading main dictionary: /m/cmudict-en-us.dict']);
    expect([dict.file, dict.setting]).toEqual([paths.dict, 'dict']);
    const lm = read([
      'INFO: dict.c(333): Reading main dictionary: /m/cmudict-en-us.dict',
      'INFO: dict.c(358): Reading filler dictionary: /m/en-us/noisedict',
      'INFO: dict2pid.c(396): Building PID tables for dictionary',
      'INFO: ngram_model_trie.c(354): Trying to read LM in trie binary format',
      'ERROR: "ngram_model_trie.c", line 321: Error reading word strings (0 doesn\'t match n_unigrams 72547)',
      'ERROR: "ngram_search.c", line 205: Language model/set does not contain </s>, recognition will fail',
    ]);
    expect([lm.file, lm.setting]).toEqual([paths.lm, 'lm']);
    expect(lm.errors).toEqual(["Error reading word strings (0 doesn't match n_unigrams 72547)", 'Language model/set does not contain </s>, recognition will fail']);
  });

  it('keeps the first three errors, and the last line that is not the decoder\'s', () => {
    const log = read([
      ...Array.from({ length: 5 }, (_, i) => `ERROR: "dict.c", line 194: Line ${i + 1}: Phone 'x' is mising in the acoustic model`),
      'Traceback (most recent call last):',
      'ImportError: libsphinxbase.so.3: cannot open shared object file',
    ]);
    expect(log.errors).toHaveLength(3);
    expect(log.errors[0]).toBe("Line 1: Phone 'x' is mising in the acoustic model");
    expect(log.lastOther).toBe('ImportError: libsphinxbase.so.3: cannot open shared object file');
    expect(log.file).toBeUndefined();
    expect(log.setting).toBeUndefined();
  });
});
