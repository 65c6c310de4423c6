import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxModelInfo } from '../../src/engines/onnxMetadata.js';
import { ModelFileMissingError } from '../../src/engines/resolveModelPath.js';
import {
  checkRoles,
  checkTokens,
  loadNative,
  modelFile,
  requireMetadata,
  SherpaModelConfigError,
  SherpaModelFileError,
  SherpaModelLoadError,
  tidyTranscript,
} from '../../src/engines/sherpaModelFiles.js';

let dir: string;
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kv-sherpa-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkTokens', () => {
  it('reads "<symbol> <id>" lines; a lone id is the space symbol (sherpa\'s rule)', () => {
    const table = checkTokens(write('t1.txt', '_ 0\n^ 1\n$ 2\n 3\na 4\r\n'), 'k', 'phonemes', [['_'], ['^'], ['$']]);
    expect(table.get(' ')).toBe(3);
    expect(table.get('a')).toBe(4);
  });

  it('accepts multi-character ASR symbols and base64 Whisper tokens', () => {
    const table = checkTokens(write('t2.txt', '<blk> 0\n▁the 1\nIQ== 2\n'), 'k', 'symbols', [['<blk>', '<blank>']]);
    expect(table.size).toBe(3);
  });

  it.each([
    ['three fields', 'a b 1\n', /line 1 .* should be "<symbol> <id>"/],
    ['a non-integer id', 'a x\n', /should end in an integer id/],
    ['an empty line', 'a 1\n\nb 2\n', /line 2 .* is empty/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => checkTokens(write('bad.txt', text), 'asr.tokens', 'symbols')).toThrow(message);
  });

  it('for phonemes, refuses multi-character symbols and repeats', () => {
    expect(() => checkTokens(write('p1.txt', '_ 0\nab 1\n'), 'k', 'phonemes')).toThrow(/single character/);
    expect(() => checkTokens(write('p2.txt', '_ 0\n_ 1\n'), 'k', 'phonemes')).toThrow(/repeats a symbol/);
    // coqui's <BLNK> is the one exception sherpa allows
    expect(checkTokens(write('p3.txt', '_ 0\n<BLNK> 1\n'), 'k', 'phonemes').size).toBe(2);
  });

  it('names the missing token a model type needs', () => {
    const e = (() => {
      try {
        checkTokens(write('nb.txt', 'a 0\n'), 'asr.sherpaOffline.tokens', 'symbols', [['<blk>', '<eps>']]);
      } catch (err) {
        return err as SherpaModelFileError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(SherpaModelFileError);
    expect(e.configKey).toBe('asr.sherpaOffline.tokens');
    expect(e.message).toContain('"<blk>" or "<eps>"');
  });
});

describe('requireMetadata', () => {
  const info = (meta: Record<string, string>): OnnxModelInfo => ({
    irVersion: 8,
    metadata: new Map(Object.entries(meta)),
    inputs: [],
    outputs: [],
  });

  it('passes when every key is there and parses', () => {
    expect(() =>
      requireMetadata(info({ n: '3', s: 'x', v: '1,2,3', f: '-0.5,1e-3' }), '/m.onnx', 'key', 'thing', {
        n: 'int',
        s: 'str',
        v: 'ints',
        f: 'floats',
      }),
    ).not.toThrow();
  });

  it('lists every missing (or empty) key and every invalid value at once', () => {
    expect(() =>
      requireMetadata(info({ a: '', n: 'many', v: '1,x' }), '/m.onnx', 'tts.sherpa.files.model', 'VITS voice model', {
        a: 'str',
        b: 'int',
        n: 'int',
        v: 'ints',
      }),
    ).toThrow(/tts\.sherpa\.files\.model \(\/m\.onnx\) is not a VITS voice model: it lacks the ONNX metadata a, b and has invalid metadata n="many", v="1,x"/);
  });
});

describe('checkRoles', () => {
  it('names every missing role, then every role the kind does not use', () => {
    expect(() => checkRoles({ model: 'm' }, 'tts.sherpa', 'kokoro', ['model', 'voices', 'tokens'])).toThrow(
      /tts\.sherpa\.files\.voices, tts\.sherpa\.files\.tokens are not set: a kokoro model needs model, voices, tokens/,
    );
    expect(() => checkRoles({ model: 'm', joiner: 'j' }, 'asr.sherpaOffline', 'nemo-ctc', ['model'])).toThrow(
      SherpaModelConfigError,
    );
    expect(() => checkRoles({ model: 'm', lexicon: 'l' }, 'tts.sherpa', 'vits', ['model'], ['lexicon'])).not.toThrow();
  });
});

describe('modelFile', () => {
  it('resolves relative paths against the models dir and refuses missing, empty and directory paths', () => {
    write('m.onnx', 'x');
    expect(modelFile(dir, 'm.onnx', 'key', 'model')).toBe(join(dir, 'm.onnx'));
    expect(() => modelFile(dir, 'missing.onnx', 'asr.sherpaOnline.encoder', 'encoder')).toThrow(ModelFileMissingError);
    write('e.onnx', '');
    expect(() => modelFile(dir, 'e.onnx', 'key', 'model')).toThrow(/is empty/);
    mkdirSync(join(dir, 'd'), { recursive: true });
    expect(() => modelFile(dir, 'd', 'key', 'model')).toThrow(/is not a file/);
  });
});

describe('loadNative and tidyTranscript', () => {
  it('turns an addon exception into a named error naming the file and kind', () => {
    const e = (() => {
      try {
        loadNative('vits voice', '/m/model.onnx', 'vits', () => {
          throw new Error('Please check your config!');
        });
      } catch (err) {
        return err as SherpaModelLoadError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(SherpaModelLoadError);
    expect(e.toUserLine()).toBe(
      'could not load the vits voice at /m/model.onnx: Please check your config! — check that the files belong to a vits model (sherpa-onnx printed its reason on stderr)',
    );
  });

  it('lower-cases shouted transcripts and keeps mixed case', () => {
    expect(tidyTranscript('  WHERE IS  THE LIFT ')).toBe('where is the lift');
    expect(tidyTranscript('Where is the lift?')).toBe('Where is the lift?');
    expect(tidyTranscript('')).toBe('');
  });
});
