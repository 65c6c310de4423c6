import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { checkGgufFile, GgufFileError } from '../../src/engines/llm/ggufFile.js';
import { LlamaChatEngine, LlmLoadError } from '../../src/engines/llm/LlamaChatEngine.js';
import { repoRoot, sharedFile } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

/*
 * The GGUF check against the real test model and real llama.cpp (node-llama-cpp 3.22.1). Before
 * it, some damaged headers aborted the whole process natively: a string length of 2^31 or more
 * (node-llama-cpp's header reader hands Node an fd.read length that is not an Int32: exit 134),
 * and a vocabulary entry made the twin of another (llama.cpp's
 * GGML_ASSERT(id_to_token.size() == token_to_id.size())). The fuzz below found the second.
 */

const defaults = configSchema.parse({});
const llm = { ...defaults.llm, contextSize: 256, maxTokens: 8, threads: 1 };
const engineModule = join(repoRoot, 'src/engines/llm/LlamaChatEngine.ts');

/** The first 6 KB of stories260K.gguf: the header, the metadata count and most of the vocabulary. */
const FUZZ_BYTES = 6144;
const FUZZ_CASES = 400;
const FUZZ_SEED = 7;

/** Deterministic, so a failure names a case that can be made again. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** What loading one file in the child came to. */
interface LoadOutcome {
  file: string;
  outcome: 'loaded' | 'refused' | 'crashed';
  detail: string;
}

/**
 * Loads each file through LlamaChatEngine (and asks for a few tokens) in a child process, so that
 * a native abort ends the child, not vitest: the file being loaded when the child died is
 * `crashed`, and a new child goes on with the rest. The child's stderr must stay free of raw
 * `[node-llama-cpp]` lines: llama.cpp's log goes to the logger.
 */
async function loadInChildren(files: string[], dir: string): Promise<LoadOutcome[]> {
  // A file, not -e: node-llama-cpp tests its binary in a child run with our execArgv, and an -e there would run this script again.
  const script = join(dir, 'load-models.mjs');
  writeFileSync(
    script,
    `
    import { LlamaChatEngine } from ${JSON.stringify(engineModule)};
    const config = ${JSON.stringify(llm)};
    const logger = { error: (m) => console.log(JSON.stringify({ log: 'error', m })), warn() {}, info() {}, debug() {} };
    for (const file of process.argv.slice(2)) {
      console.log(JSON.stringify({ start: file }));
      try {
        const engine = await LlamaChatEngine.load({ ...config, model: file }, '/', { logger });
        let text = '';
        for await (const chunk of engine.reply('Hello', new AbortController().signal)) text += chunk;
        await engine.dispose();
        console.log(JSON.stringify({ file, outcome: 'loaded', detail: text }));
      } catch (error) {
        console.log(JSON.stringify({ file, outcome: 'refused', detail: error.name + ': ' + error.message }));
      }
    }`,
  );
  const outcomes: LoadOutcome[] = [];
  let rest = files;
  while (rest.length > 0) {
    const { stdout, stderr, code, signal } = await new Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...rest], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (exitCode, exitSignal) => {
        clearTimeout(timer);
        resolve({ stdout: out, stderr: err, code: exitCode, signal: exitSignal });
      });
    });
    expect(stderr, 'raw llama.cpp lines outside the logger').not.toMatch(/\[node-llama-cpp\]/);
    let started: string | undefined;
    for (const line of stdout.split('\n').filter(Boolean)) {
      const message = JSON.parse(line) as { start?: string } & Partial<LoadOutcome>;
      if (message.start) started = message.start;
      else if (message.outcome) {
        outcomes.push(message as LoadOutcome);
        started = undefined;
      }
    }
    if (started === undefined) {
      expect({ code, signal, stderr }, 'the loader child ended without a crash').toMatchObject({ code: 0, signal: null });
      break;
    }
    outcomes.push({ file: started, outcome: 'crashed', detail: `exit ${code}, signal ${signal}: ${stderr.trim().split('\n').slice(0, 3).join(' | ')}` });
    rest = rest.slice(rest.indexOf(started) + 1);
  }
  return outcomes;
}

describe('the GGUF check on the real test model (stories260K.gguf)', () => {
  const tempDir = useTempDirs('kv-gguf-real-');

  it('passes, and says what the file holds', () => {
    expect(checkGgufFile(sharedFile('llm/stories260K.gguf'))).toEqual({
      version: 3,
      architecture: 'llama',
      metadataCount: 19,
      tensorCount: 48,
      alignment: 32,
      dataOffset: 14_176,
      dataBytes: 1_171_200,
    });
    expect(checkGgufFile(sharedFile('llm/llama-2-tiny-random.gguf'))).toMatchObject({ version: 3, architecture: 'llama', tensorCount: 12 });
  });

  it('a file llama.cpp refuses after the check passed: the load error carries llama.cpp\'s reason, and its lines reach the logger', async () => {
    const bytes = Buffer.from(readFileSync(sharedFile('llm/stories260K.gguf')));
    // The vocabulary's key ("tokenizer.ggml.tokens" at byte 32) renamed: a valid file without a vocabulary.
    expect(bytes.subarray(32, 53).toString()).toBe('tokenizer.ggml.tokens');
    bytes.write('X', 32, 'latin1');
    const path = join(tempDir(), 'no-vocabulary.gguf');
    writeFileSync(path, bytes);
    expect(() => checkGgufFile(path)).not.toThrow();

    const errors: string[] = [];
    const logger = { error: (m: string) => errors.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined };
    const failure = await LlamaChatEngine.load({ ...llm, model: path }, '/', { logger }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LlmLoadError);
    // Not only node-llama-cpp's "Failed to load model": the reason llama.cpp logged.
    expect((failure as LlmLoadError).message).toBe(
      `could not load the LLM at ${path} (llm.model): error loading model: error loading model vocabulary: cannot find tokenizer vocab in model file`,
    );
    expect(errors).toContain('llama_model_load: error loading model: error loading model vocabulary: cannot find tokenizer vocab in model file');
  }, 60_000);

  it('a damaged file never reaches node-llama-cpp: LlmLoadError with the GgufFileError as its cause', async () => {
    const bytes = Buffer.from(readFileSync(sharedFile('llm/stories260K.gguf')));
    bytes[96] = 0xbf;
    const path = join(tempDir(), 'long-string.gguf');
    writeFileSync(path, bytes);
    const failure = (await LlamaChatEngine.load({ ...llm, model: path }, '/').catch((error: unknown) => error)) as LlmLoadError;
    expect(failure).toBeInstanceOf(LlmLoadError);
    expect(failure.cause).toBeInstanceOf(GgufFileError);
    expect(failure.message).toBe(
      `could not load the LLM: llm.model (${path}) has a damaged header: the string 'tokenizer.ggml.tokens[2]' claims to be 3204448260 bytes long (length at byte 93), past the end of the file (1185376 bytes)`,
    );
    expect(failure.hint).toMatch(/kiosk-voice models fetch --set/);
  });

  it(`${FUZZ_CASES} random corruptions of its first ${FUZZ_BYTES} bytes: each is refused by the check, or llama.cpp loads it or refuses it cleanly — none aborts`, async () => {
    const original = readFileSync(sharedFile('llm/stories260K.gguf'));
    const random = prng(FUZZ_SEED);
    const dir = tempDir();
    const accepted: string[] = [];
    const refusedByCheck: string[] = [];
    const edits = new Map<string, string>();
    for (let n = 0; n < FUZZ_CASES; n++) {
      const bytes = Buffer.from(original);
      const changes: string[] = [];
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const at = Math.floor(random() * FUZZ_BYTES);
        bytes[at] = Math.floor(random() * 256);
        changes.push(`byte ${at} = 0x${bytes[at]!.toString(16)}`);
      }
      if (bytes.equals(original)) continue;
      const path = join(dir, `case-${n}.gguf`);
      writeFileSync(path, bytes);
      edits.set(path, changes.join(', '));
      try {
        checkGgufFile(path);
        accepted.push(path);
      } catch (error) {
        expect(error, `case ${n} (${changes.join(', ')})`).toBeInstanceOf(GgufFileError);
        refusedByCheck.push(path);
      }
    }
    const outcomes = await loadInChildren(accepted, dir);
    const count = (outcome: LoadOutcome['outcome']) => outcomes.filter((o) => o.outcome === outcome).length;
    console.log(
      `GGUF fuzz (seed ${FUZZ_SEED}): ${refusedByCheck.length} refused by the check, ${accepted.length} accepted: ` +
        `${count('loaded')} loaded and answered, ${count('refused')} refused by llama.cpp, ${count('crashed')} crashed`,
    );
    expect(outcomes.filter((o) => o.outcome === 'crashed').map((o) => `${edits.get(o.file)}: ${o.detail}`)).toEqual([]);
    expect(outcomes).toHaveLength(accepted.length);
    for (const o of outcomes.filter((x) => x.outcome === 'refused')) {
      // A clean refusal: our error, naming the file, with llama.cpp's reason rather than "Failed to load model".
      expect(o.detail, edits.get(o.file)).toMatch(new RegExp(`^LlmLoadError: could not load the LLM at ${o.file} \\(llm\\.model\\): (?!Failed to load model)`));
    }
    // Both sides were exercised: damaged headers refused, harmless changes (token texts) loaded.
    expect(refusedByCheck.length).toBeGreaterThan(FUZZ_CASES / 2);
    expect(count('loaded')).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
