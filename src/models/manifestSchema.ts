import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, posix } from 'node:path';
import { z } from 'zod';
import { KioskVoiceError } from '../errors.js';

/**
 * The model manifest: which model files exist, where they come from, how to check them, and which
 * of them form a named model set (`test`, `pi4`, `pi5`, …). Every `path` in it is relative to the
 * models directory, so one manifest serves any install location.
 */

/** A lowercase hex sha256, or null where no source publishes one (then a `note` must say so). */
const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
  .nullable();

/** Exact byte count, or null where unknown. Checked whenever it is not null. */
const sizeSchema = z.number().int().nonnegative().nullable();

/** Display-only byte estimate for `models list` and progress bars; never checked. */
const approxSizeSchema = z.number().int().positive().optional();

/**
 * A path under the models dir. `..` segments and absolute paths are refused so a manifest can never
 * make fetch write outside the directory it was given.
 */
const relativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !isAbsolute(p) && !p.includes('\\'), 'must be a relative POSIX path')
  .refine((p) => posix.normalize(p) === p && !p.split('/').includes('..'), 'must be normalised and stay inside the models dir');

const urlSchema = z.url({ protocol: /^https?$/ });
const roleSchema = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'roles are camelCase words');

export const modelFileSchema = z.strictObject({
  /** What the engine uses the file for, e.g. `model`, `encoder`, `tokens`. */
  role: roleSchema,
  path: relativePathSchema,
  url: urlSchema,
  sha256: sha256Schema,
  size: sizeSchema,
  approxSize: approxSizeSchema,
});

export const modelArchiveSchema = z.strictObject({
  url: urlSchema,
  sha256: sha256Schema,
  size: sizeSchema,
  approxSize: approxSizeSchema,
  /** Directory (under the models dir) the archive is unpacked into. */
  extractTo: relativePathSchema,
  /** Files (or directories, e.g. `dataDir`) the archive must yield; paths relative to the models dir. */
  files: z
    .array(z.strictObject({ role: roleSchema, path: relativePathSchema }))
    .min(1),
});

export const systemModelSchema = z.strictObject({
  /** The Debian package that installs these paths; named in the error when one is missing. */
  debianPackage: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/),
  paths: z.record(
    roleSchema,
    z.string().refine((p) => isAbsolute(p), 'system paths must be absolute'),
  ),
});

export const stageSchema = z.enum(['vad', 'asr', 'llm', 'tts', 'wake']);
/** Every set has one model for each of these; `wake` (the keyword spotter) is optional. */
const PIPELINE_STAGES = ['vad', 'asr', 'llm', 'tts'] as const;
export const sherpaOfflineKindSchema = z.enum(['moonshine', 'whisper', 'sense-voice', 'nemo-ctc', 'transducer']);
export const sherpaTtsKindSchema = z.enum(['vits', 'kokoro', 'kitten', 'matcha']);

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'ids are lowercase words joined by - or .'),
  license: z.string().min(1),
  description: z.string().min(1),
  /** Anything an operator should know: where a hash came from, why it is missing, caveats. */
  note: z.string().min(1).optional(),
  files: z.array(modelFileSchema).min(1).optional(),
  archive: modelArchiveSchema.optional(),
  system: systemModelSchema.optional(),
};

export const modelEntrySchema = z.discriminatedUnion('backend', [
  z.strictObject({ ...common, stage: z.literal('vad'), backend: z.literal('silero') }),
  z.strictObject({ ...common, stage: z.literal('asr'), backend: z.literal('pocketsphinx') }),
  z.strictObject({ ...common, stage: z.literal('asr'), backend: z.literal('sherpa-online') }),
  z.strictObject({ ...common, stage: z.literal('asr'), backend: z.literal('sherpa-offline'), kind: sherpaOfflineKindSchema }),
  z.strictObject({ ...common, stage: z.literal('llm'), backend: z.literal('llama') }),
  z.strictObject({ ...common, stage: z.literal('tts'), backend: z.literal('espeak-ng') }),
  z.strictObject({ ...common, stage: z.literal('tts'), backend: z.literal('sherpa-tts'), kind: sherpaTtsKindSchema }),
  z.strictObject({ ...common, stage: z.literal('wake'), backend: z.literal('sherpa-kws') }),
]);

export type ModelStage = z.infer<typeof stageSchema>;
export type ModelFile = z.infer<typeof modelFileSchema>;
export type ModelArchive = z.infer<typeof modelArchiveSchema>;
export type SystemModel = z.infer<typeof systemModelSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;

const BACKEND_ROLES: Record<Exclude<ModelEntry['backend'], 'sherpa-offline' | 'sherpa-tts'>, readonly string[]> = {
  silero: ['model'],
  llama: ['model'],
  pocketsphinx: ['hmm', 'lm', 'dict'],
  'sherpa-online': ['encoder', 'decoder', 'joiner', 'tokens'],
  'espeak-ng': ['binary'],
  // `bpe` is the SentencePiece model the wake phrases are cut with (config turn.wake.files.bpe).
  'sherpa-kws': ['encoder', 'decoder', 'joiner', 'tokens', 'bpe'],
};

const SHERPA_OFFLINE_ROLES: Record<z.infer<typeof sherpaOfflineKindSchema>, readonly string[]> = {
  moonshine: ['preprocessor', 'encoder', 'uncachedDecoder', 'cachedDecoder', 'tokens'],
  whisper: ['encoder', 'decoder', 'tokens'],
  'sense-voice': ['model', 'tokens'],
  'nemo-ctc': ['model', 'tokens'],
  transducer: ['encoder', 'decoder', 'joiner', 'tokens'],
};

// Piper voices (vits) carry espeak-ng-data as `dataDir`; older vits voices use `lexicon` instead.
const SHERPA_TTS_ROLES: Record<z.infer<typeof sherpaTtsKindSchema>, readonly string[]> = {
  vits: ['model', 'tokens'],
  kokoro: ['model', 'voices', 'tokens', 'dataDir'],
  kitten: ['model', 'voices', 'tokens', 'dataDir'],
  matcha: ['acousticModel', 'vocoder', 'tokens'],
};

/**
 * Roles each backend needs, so a manifest typo is caught when it is loaded rather than when an
 * engine fails to start on a kiosk. Role names follow sherpa-onnx-node's config keys.
 */
export function requiredRoles(model: ModelEntry): readonly string[] {
  switch (model.backend) {
    case 'sherpa-offline':
      return SHERPA_OFFLINE_ROLES[model.kind];
    case 'sherpa-tts':
      return SHERPA_TTS_ROLES[model.kind];
    default:
      return BACKEND_ROLES[model.backend];
  }
}

/** role → path for one model: relative to the models dir for files/archives, absolute for system models. */
export function modelRolePaths(model: ModelEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of model.files ?? []) out[f.role] = f.path;
  for (const f of model.archive?.files ?? []) out[f.role] = f.path;
  for (const [role, p] of Object.entries(model.system?.paths ?? {})) out[role] = p;
  return out;
}

export const modelSetSchema = z.strictObject({
  description: z.string().min(1),
  /** Model ids, one per stage: vad, asr, llm and tts, and optionally wake. */
  models: z.array(z.string()).min(1),
  /**
   * Engine settings that belong to this hardware and these models (e.g. LLM threads), applied
   * with the set; validated against the config schema when the set is used.
   */
  config: z.record(z.string(), z.unknown()).optional(),
});

export const manifestSchema = z
  .strictObject({
    $comment: z.string().optional(),
    version: z.literal(1),
    /** The set `models fetch` uses when none is named. */
    default: z.string().min(1),
    sets: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), modelSetSchema),
    models: z.array(modelEntrySchema).min(1),
  })
  .superRefine((m, ctx) => {
    const byId = new Map<string, ModelEntry>();
    const installPaths = new Map<string, string>();
    m.models.forEach((model, i) => {
      if (byId.has(model.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${model.id}"` });
      byId.set(model.id, model);

      const sources = [model.files, model.archive, model.system].filter((s) => s !== undefined).length;
      if (sources !== 1) {
        ctx.addIssue({ code: 'custom', path: ['models', i], message: `model "${model.id}" needs exactly one of files, archive or system` });
      }
      const unpinned = (model.files ?? []).some((f) => f.sha256 === null) || model.archive?.sha256 === null;
      if (unpinned && !model.note) {
        ctx.addIssue({ code: 'custom', path: ['models', i, 'note'], message: `model "${model.id}" has no sha256; add a note saying why` });
      }

      const roles = modelRolePaths(model);
      const listedRoles = [...(model.files ?? []), ...(model.archive?.files ?? [])].map((f) => f.role);
      if (new Set(listedRoles).size !== listedRoles.length) {
        ctx.addIssue({ code: 'custom', path: ['models', i], message: `model "${model.id}" lists a role twice` });
      }
      for (const role of requiredRoles(model)) {
        if (!(role in roles)) ctx.addIssue({ code: 'custom', path: ['models', i], message: `model "${model.id}" (${model.backend}) needs a file with role "${role}"` });
      }

      // Two models writing the same path would silently overwrite each other's files.
      for (const f of model.files ?? []) {
        const owner = installPaths.get(f.path);
        if (owner && owner !== model.id) {
          ctx.addIssue({ code: 'custom', path: ['models', i], message: `path "${f.path}" is used by both "${owner}" and "${model.id}"` });
        }
        installPaths.set(f.path, model.id);
      }
      for (const f of model.archive?.files ?? []) {
        if (!f.path.startsWith(`${model.archive?.extractTo}/`)) {
          ctx.addIssue({ code: 'custom', path: ['models', i, 'archive'], message: `"${f.path}" is not under extractTo "${model.archive?.extractTo}"` });
        }
      }
    });

    if (!(m.default in m.sets)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `default set "${m.default}" is not one of: ${Object.keys(m.sets).join(', ')}` });
    }
    for (const [name, set] of Object.entries(m.sets)) {
      const stages = new Map<ModelStage, string>();
      for (const id of set.models) {
        const model = byId.get(id);
        if (!model) {
          ctx.addIssue({ code: 'custom', path: ['sets', name], message: `set "${name}" names unknown model "${id}"` });
          continue;
        }
        const other = stages.get(model.stage);
        if (other) ctx.addIssue({ code: 'custom', path: ['sets', name], message: `set "${name}" has two ${model.stage} models: "${other}" and "${id}"` });
        stages.set(model.stage, id);
      }
      // A set is a whole pipeline: a missing stage would leave an engine on a default that may not
      // exist. Without a wake model the wake phrase is simply off.
      for (const stage of PIPELINE_STAGES) {
        if (!stages.has(stage)) ctx.addIssue({ code: 'custom', path: ['sets', name], message: `set "${name}" has no ${stage} model` });
      }
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ModelSet = z.infer<typeof modelSetSchema>;

/** The manifest file could not be read. */
export class ManifestNotFoundError extends KioskVoiceError {
  constructor(readonly path: string, cause: unknown) {
    super(`model manifest not readable at ${path}`, 'reinstall kiosk-voice, or pass --manifest <file>', { cause });
  }
}

/** The manifest is not valid JSON or does not match the schema. */
export class ManifestInvalidError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly problems: string[],
    cause?: unknown,
  ) {
    super(`model manifest ${path} is invalid: ${problems.join('; ')}`, 'fix the manifest (see src/models/manifestSchema.ts for the format)', { cause });
  }
}

/** A set name that the manifest does not define. */
export class UnknownModelSetError extends KioskVoiceError {
  constructor(
    readonly set: string,
    readonly known: string[],
  ) {
    super(`unknown model set "${set}"`, `use one of: ${known.join(', ')}`);
  }
}

/**
 * `<package root>/models/manifest.json`. This module sits at `src/models/` under tsx/vitest and at
 * `dist/models/` after `tsc`; both are two levels below the package root.
 */
export function defaultManifestPath(): string {
  return fileURLToPath(new URL('../../models/manifest.json', import.meta.url));
}

/** Reads and validates a manifest; defaults to the one shipped with the package. */
export function loadManifest(path: string = defaultManifestPath()): ModelManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestNotFoundError(path, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ManifestInvalidError(path, [(err as Error).message], err);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new ManifestInvalidError(path, problems, parsed.error);
  }
  return parsed.data;
}

/** The models of one set, in the order the set lists them. */
export function modelsInSet(manifest: ModelManifest, setName: string): ModelEntry[] {
  const set = Object.hasOwn(manifest.sets, setName) ? manifest.sets[setName] : undefined;
  if (!set) throw new UnknownModelSetError(setName, Object.keys(manifest.sets));
  return set.models.map((id) => {
    const model = manifest.models.find((m) => m.id === id);
    // Only reachable with a manifest built in code without going through the schema.
    if (!model) throw new ManifestInvalidError('(in memory)', [`set "${setName}" names unknown model "${id}"`]);
    return model;
  });
}
