import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { configForModelSet } from '../../src/models/configForModelSet.js';
import {
  defaultManifestPath,
  loadManifest,
  ManifestInvalidError,
  ManifestNotFoundError,
  manifestSchema,
  modelsInSet,
  UnknownModelSetError,
} from '../../src/models/manifestSchema.js';
import { repoRoot, sharedModelsDir } from '../helpers/sharedModels.js';
import { runModelsCommand } from '../helpers/runModelsCommand.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const mirror = sharedModelsDir;

const tmp = useTempDirs('kv-models-unit-');

const manifest = loadManifest();
const rawManifest = (): Record<string, unknown> => JSON.parse(readFileSync(defaultManifestPath(), 'utf8')) as Record<string, unknown>;

describe('models/manifest.json', () => {
  it('is found next to the package root and parses', () => {
    expect(defaultManifestPath()).toBe(join(repoRoot, 'models', 'manifest.json'));
    expect(Object.keys(manifest.sets)).toEqual(expect.arrayContaining(['test', 'pi4', 'pi5']));
    expect(manifest.sets[manifest.default]).toBeDefined();
  });

  it.each(Object.keys(manifest.sets))('set %s resolves to a config the config schema accepts', (set) => {
    const overrides = configForModelSet(manifest, set);
    const config = configSchema.parse(overrides);
    const models = modelsInSet(manifest, set);
    // Every set has the four turn engines; the wake-phrase spotter is optional.
    expect(models.map((m) => m.stage).filter((s) => s !== 'wake').sort()).toEqual(['asr', 'llm', 'tts', 'vad']);
    // Relative paths stay relative: they are resolved against models.dir by the engines.
    expect(config.vad.model.startsWith('/')).toBe(false);
    expect(config.llm.model.startsWith('/')).toBe(false);
  });

  it('test set points at the same relative layout as shared/models', () => {
    const config = configSchema.parse(configForModelSet(manifest, 'test'));
    expect(config.vad.model).toBe('vad/silero_vad_v5.onnx');
    expect(config.llm.model).toBe('llm/stories260K.gguf');
    expect(config.asr.backend).toBe('pocketsphinx');
    expect(config.asr.pocketsphinx).toMatchObject({
      hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
      lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin',
      dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
    });
    expect(config.tts.backend).toBe('espeak-ng');
  });

  it('pi5 wires the streaming recogniser and the Piper voice by role', () => {
    const config = configSchema.parse(configForModelSet(manifest, 'pi5'));
    expect(config.vad.model).toBe('vad/silero_vad_v6_2.onnx');
    expect(config.asr.backend).toBe('sherpa-online');
    const dir = 'asr/sherpa-onnx-streaming-zipformer-en-20M-2023-02-17';
    expect(config.asr.sherpaOnline).toMatchObject({
      encoder: `${dir}/encoder-epoch-99-avg-1.int8.onnx`,
      decoder: `${dir}/decoder-epoch-99-avg-1.onnx`,
      joiner: `${dir}/joiner-epoch-99-avg-1.int8.onnx`,
      tokens: `${dir}/tokens.txt`,
    });
    expect(config.llm.model).toBe('llm/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf');
    expect(config.tts.backend).toBe('sherpa');
    expect(config.tts.sherpa.kind).toBe('vits');
    expect(config.tts.sherpa.files).toEqual({
      model: 'tts/vits-piper-en_US-lessac-medium/en_US-lessac-medium.onnx',
      tokens: 'tts/vits-piper-en_US-lessac-medium/tokens.txt',
      dataDir: 'tts/vits-piper-en_US-lessac-medium/espeak-ng-data',
    });
  });

  it('pi4 uses the smaller models', () => {
    const config = configSchema.parse(configForModelSet(manifest, 'pi4'));
    expect(config.vad.model).toBe('vad/silero_vad_v5.onnx');
    expect(config.llm.model).toBe('llm/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf');
    expect(config.tts.sherpa.files.model).toBe('tts/vits-piper-en_US-amy-low/en_US-amy-low.onnx');
  });

  it('an offline recogniser gets kind, files by role, and tokens on their own', () => {
    const config = configSchema.parse(configForModelSet(manifest, 'pi5-offline-asr'));
    expect(config.asr.backend).toBe('sherpa-offline');
    expect(config.asr.sherpaOffline.kind).toBe('moonshine');
    expect(Object.keys(config.asr.sherpaOffline.files).sort()).toEqual(['cachedDecoder', 'encoder', 'preprocessor', 'uncachedDecoder']);
    expect(config.asr.sherpaOffline.tokens).toBe('asr/sherpa-onnx-moonshine-tiny-en-int8/tokens.txt');
  });

  it("test set's hashes and sizes equal shared/models/SHA256SUMS and the files there", () => {
    const sums = new Map(
      readFileSync(join(mirror, 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [hash, path] = line.split(/\s+/);
          return [path ?? '', hash ?? ''] as const;
        }),
    );
    const files = modelsInSet(manifest, 'test').flatMap((m) => m.files ?? []);
    expect(files.map((f) => f.path).sort()).toEqual(['llm/stories260K.gguf', 'vad/silero_vad_v5.onnx']);
    for (const f of files) {
      expect(f.sha256, f.path).toBe(sums.get(f.path));
      expect(f.size, f.path).toBe(statSync(join(mirror, f.path)).size);
    }
    // The other shared models pinned in the manifest match too.
    for (const f of manifest.models.flatMap((m) => m.files ?? [])) {
      if (sums.has(f.path)) expect(f.sha256, f.path).toBe(sums.get(f.path));
    }
  });

  it('production LLMs carry the hashes published on their Hugging Face pages', () => {
    const byPath = new Map(manifest.models.flatMap((m) => m.files ?? []).map((f) => [f.path, f]));
    expect(byPath.get('llm/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf')?.sha256).toBe('6eb923e7d26e9cea28811e1a8e852009b21242fb157b26149d3b188f3a8c8653');
    expect(byPath.get('llm/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf')?.sha256).toBe('50961d9b7d3b89e46be230528fc66d38bbdda8ac3748323dd34f129a714124fc');
  });

  it('every unpinned file or archive says why in a note', () => {
    for (const m of manifest.models) {
      const unpinned = (m.files ?? []).some((f) => f.sha256 === null) || m.archive?.sha256 === null;
      if (unpinned) expect(m.note, m.id).toMatch(/sha256|hash/);
    }
  });

  it('an unknown set is a named error listing the sets', () => {
    expect(() => configForModelSet(manifest, 'pi3')).toThrow(UnknownModelSetError);
    try {
      configForModelSet(manifest, 'pi3');
    } catch (err) {
      expect((err as UnknownModelSetError).toUserLine()).toMatch(/unknown model set "pi3" — use one of: test, pi5, .*pi4/);
    }
    // Object prototype names are not sets.
    expect(() => configForModelSet(manifest, 'constructor')).toThrow(UnknownModelSetError);
  });
});

describe('manifest schema', () => {
  type Raw = { models: Record<string, unknown>[]; sets: Record<string, { models: string[] }> } & Record<string, unknown>;
  const mutate = (change: (m: Raw) => void) => {
    const m = rawManifest() as Raw;
    change(m);
    return manifestSchema.safeParse(m);
  };
  const messages = (r: ReturnType<typeof mutate>) => (r.success ? [] : r.error.issues.map((i) => i.message)).join('\n');
  const fileOf = (m: Raw, id: string) => (m.models.find((x) => x.id === id)?.files as Record<string, unknown>[])[0] as Record<string, unknown>;

  it('refuses paths that leave the models dir', () => {
    expect(messages(mutate((m) => (fileOf(m, 'stories260k').path = '../etc/passwd')))).toMatch(/inside the models dir/);
    expect(messages(mutate((m) => (fileOf(m, 'stories260k').path = '/etc/passwd')))).toMatch(/relative/);
  });

  it('wants a note when a hash is missing', () => {
    const r = mutate((m) => {
      fileOf(m, 'stories260k').sha256 = null;
      delete m.models.find((x) => x.id === 'stories260k')?.note;
    });
    expect(messages(r)).toMatch(/no sha256; add a note/);
  });

  it('checks roles, set members and one model per stage', () => {
    expect(messages(mutate((m) => (fileOf(m, 'stories260k').role = 'weights')))).toMatch(/needs a file with role "model"/);
    expect(messages(mutate((m) => m.sets.test?.models.push('nope')))).toMatch(/unknown model "nope"/);
    expect(messages(mutate((m) => m.sets.test?.models.push('silero-vad-v6-2')))).toMatch(/two vad models/);
    expect(messages(mutate((m) => (m.sets.test!.models = ['silero-vad-v5'])))).toMatch(/has no asr model/);
    expect(messages(mutate((m) => (m.default = 'nope')))).toMatch(/default set "nope"/);
  });

  it('checks hashes look like sha256 and sources are exclusive', () => {
    expect(messages(mutate((m) => (fileOf(m, 'stories260k').sha256 = 'ABC')))).toMatch(/64 lowercase hex/);
    const r = mutate((m) => {
      const model = m.models.find((x) => x.id === 'stories260k')!;
      model.system = { debianPackage: 'x', paths: { model: '/x' } };
    });
    expect(messages(r)).toMatch(/exactly one of files, archive or system/);
  });

  it('loadManifest names the file and the problems', () => {
    const dir = tmp();
    const bad = join(dir, 'manifest.json');
    writeFileSync(bad, JSON.stringify({ ...rawManifest(), default: 'nope' }));
    expect(() => loadManifest(bad)).toThrow(ManifestInvalidError);
    expect(() => loadManifest(bad)).toThrow(/manifest\.json is invalid: default: default set "nope"/);
    writeFileSync(bad, '{ not json');
    expect(() => loadManifest(bad)).toThrow(ManifestInvalidError);
    expect(() => loadManifest(join(dir, 'absent.json'))).toThrow(ManifestNotFoundError);
  });
});

describe('kiosk-voice models (command)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runModelsCommand(args, { env, cwd: tmp() });

  it('list shows every set with its models, sizes and licenses', async () => {
    const { stdout, exitCode } = await run(['models', 'list']);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^pi5 \(default\) — /m);
    expect(stdout).toMatch(/llm {2}stories260k +1\.19 MB {2}MIT/);
    expect(stdout).toMatch(/qwen2\.5-0\.5b-instruct-q4km +~398\.0 MB {2}Apache-2\.0/);
    expect(stdout).toMatch(/apt pocketsphinx-en-us/);
  });

  it('verify of an empty dir fails with one line per missing file', async () => {
    const dir = tmp();
    const { stderr, exitCode } = await run(['models', 'verify', '--set', 'test', '--dir', dir]);
    expect(exitCode).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toContain('error: vad/silero_vad_v5.onnx: missing — run `kiosk-voice models fetch --set test`');
    expect(lines).toContain('error: llm/stories260K.gguf: missing — run `kiosk-voice models fetch --set test`');
  });

  it('the models dir defaults to $KIOSK_MODELS_DIR', async () => {
    const dir = tmp();
    const { stderr } = await run(['models', 'verify', '--set', 'test'], { KIOSK_MODELS_DIR: dir });
    expect(stderr).toContain(`in ${dir}:`);
  });

  it('an unknown set is one error line and exit code 1', async () => {
    const { stderr, exitCode } = await run(['models', 'fetch', '--set', 'pi3', '--dir', tmp()]);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/^error: unknown model set "pi3" — use one of: test, pi5, pi5-offline-asr, pi4$/m);
  });

  it('a mirror that does not exist is refused before anything is fetched', async () => {
    const { stderr, exitCode } = await run(['models', 'fetch', '--set', 'test', '--dir', tmp(), '--mirror', '/nonexistent/mirror']);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/error: model mirror directory \/nonexistent\/mirror does not exist — /);
  });
});
