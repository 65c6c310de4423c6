import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { configSchema } from '../../src/config/schema.js';
import { PocketsphinxAsr, PocketsphinxError } from '../../src/engines/asr/PocketsphinxAsr.js';
import { repoRoot, sharedFile } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

/*
 * Damaged pocketsphinx model files, with Debian's real pocketsphinx (python3-pocketsphinx,
 * pocketsphinx-en-us). Before, a truncated language model said only "new_Decoder returned -1"
 * and a truncated mdef "pocketsphinx was killed by SIGSEGV", with no file named (the decoder's log
 * went to /dev/null). Now the decoder logs to stderr while it loads and the message names the file
 * it was reading, with the decoder's own ERROR lines.
 */

const system = configSchema.parse({}).asr.pocketsphinx;
const REINSTALL = /sudo apt-get install --reinstall pocketsphinx-en-us/;

/** The error the engine fails its start with (the constructor's, or the first load's). */
async function startError(config: typeof system): Promise<PocketsphinxError> {
  let asr: PocketsphinxAsr | undefined;
  try {
    asr = new PocketsphinxAsr(config);
    await asr.ready();
  } catch (error) {
    expect(error).toBeInstanceOf(PocketsphinxError);
    return error as PocketsphinxError;
  } finally {
    asr?.dispose();
  }
  throw new Error('pocketsphinx started with these model files');
}

describe('pocketsphinx with damaged model files: the message names the file', () => {
  const tempDir = useTempDirs('kv-ps-models-');

  it('a truncated language model: the file, its setting, and what the decoder said', async () => {
    const lm = join(tempDir(), 'en-us.lm.bin');
    writeFileSync(lm, readFileSync(system.lm).subarray(0, 2_000_000));
    const error = await startError({ ...system, lm });
    expect(error.message).toMatch(
      new RegExp(`^pocketsphinx cannot load its language model \\(asr\\.pocketsphinx\\.lm\\) ${lm}: Error reading word strings \\(0 doesn't match n_unigrams \\d+\\)`),
    );
    expect(error.hint).toMatch(REINSTALL);
    expect(error.hint).toMatch(/point asr\.pocketsphinx\.lm at a good copy/);
  }, 30_000);

  it('a language model that is not one (random bytes)', async () => {
    const lm = join(tempDir(), 'noise.lm.bin');
    writeFileSync(lm, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
    const error = await startError({ ...system, lm });
    expect(error.message).toMatch(new RegExp(`^pocketsphinx cannot load its language model \\(asr\\.pocketsphinx\\.lm\\) ${lm}: .*is not a dump file`));
  }, 30_000);

  it('an acoustic model whose mdef is truncated makes the decoder crash: the crash names mdef and the model directory', async () => {
    const hmm = join(tempDir(), 'en-us');
    cpSync(system.hmm, hmm, { recursive: true });
    writeFileSync(join(hmm, 'mdef'), readFileSync(join(system.hmm, 'mdef')).subarray(0, 100_000));
    const error = await startError({ ...system, hmm });
    expect(error.message).toBe(`pocketsphinx crashed (SIGSEGV) while reading ${hmm}/mdef of its acoustic model (asr.pocketsphinx.hmm ${hmm}): the file is damaged`);
    expect(error.hint).toMatch(REINSTALL);
  }, 30_000);

  it('checks before starting the decoder: an acoustic model without means, an empty dictionary, a directory as the language model', async () => {
    const hmm = join(tempDir(), 'en-us');
    cpSync(system.hmm, hmm, { recursive: true });
    rmSync(join(hmm, 'means'));
    expect(() => new PocketsphinxAsr({ ...system, hmm })).toThrow(`pocketsphinx acoustic model (asr.pocketsphinx.hmm) ${hmm} has no means: it is incomplete or not a pocketsphinx acoustic model`);

    const dict = join(tempDir(), 'empty.dict');
    writeFileSync(dict, '');
    expect(() => new PocketsphinxAsr({ ...system, dict })).toThrow(`pocketsphinx dictionary (asr.pocketsphinx.dict) ${dict} is empty`);

    const lm = join(tempDir(), 'a-dir');
    mkdirSync(lm);
    expect(() => new PocketsphinxAsr({ ...system, lm })).toThrow(`pocketsphinx language model (asr.pocketsphinx.lm) ${lm} is not a file`);
    expect(() => new PocketsphinxAsr({ ...system, hmm: system.lm })).toThrow(/acoustic model \(asr\.pocketsphinx\.hmm\) .* is not a directory/);
  });

  it('Debian\'s own files still load and recognise', async () => {
    const asr = new PocketsphinxAsr(system);
    try {
      await asr.ready();
      const hours = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
      expect(await asr.finishUtterance(hours)).toContain('opening hours');
    } finally {
      asr.dispose();
    }
  }, 30_000);
});

describe('scripts/pocketsphinx-stream.py: the decoder log', () => {
  it('goes to stderr while the model loads and is silent once it is ready, while utterances are decoded', async () => {
    const child = spawn(system.python, [join(repoRoot, 'scripts/pocketsphinx-stream.py'), system.hmm, system.lm, system.dict], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stderrAtReady: string | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    const replies = createInterface({ input: child.stdout });
    const next = () => new Promise<Record<string, unknown>>((resolve) => replies.once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>)));
    const frame = (command: string, payload: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(command, 0, 'latin1');
      header.writeUInt32LE(payload.length, 1);
      child.stdin.write(Buffer.concat([header, payload]));
    };
    const id = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    try {
      expect(await next()).toEqual({ ready: true });
      // Let what the decoder wrote before its ready line arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      stderrAtReady = stderr;
      for (const u of [1, 2]) {
        frame('S', id(u));
        frame('A', Buffer.alloc(32_000));
        frame('E', id(u));
        expect(await next()).toMatchObject({ u, final: expect.any(String) });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('close', resolve));
    }
    expect(stderrAtReady).toMatch(/INFO: bin_mdef\.c\(\d+\): Reading binary model definition: .*\/mdef/);
    expect(stderrAtReady).toMatch(/INFO: dict\.c\(\d+\): Reading main dictionary: /);
    // Each utterance used to add a dozen INFO lines (search statistics); none reach the parent now.
    expect(stderr.slice(stderrAtReady!.length)).toBe('');
  }, 30_000);
});
