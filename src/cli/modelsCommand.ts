import { resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { KioskVoiceError } from '../errors.js';
import { loadManifest, modelsInSet, type ModelEntry, type ModelManifest } from '../models/manifestSchema.js';
import { defaultMirrorDir, fetchModelSet, type FetchEvent } from '../models/fetchModels.js';
import { ModelSetFetchError } from '../models/modelFetchErrors.js';
import { verifyModelSet, type VerifyResult } from '../models/verifyModels.js';

/**
 * `kiosk-voice models fetch | verify | list`: the operator's way to put a model set on a kiosk and
 * to check it is intact. Problems are printed one line each (what is wrong — what to do) and make
 * the exit code non-zero; nothing here calls process.exit, so the CLI can finish cleanly.
 */

/** Where output goes; the defaults are the process's own streams and environment. */
export interface ModelsCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  setExitCode: (code: number) => void;
}

interface CommonOptions {
  set?: string;
  dir?: string;
  mirror?: string;
  manifest?: string;
}

/** Adds the `models` command group to the program. `io` is for tests. */
export function registerModelsCommand(program: Command, io: Partial<ModelsCommandIo> = {}): void {
  const out: ModelsCommandIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    setExitCode: io.setExitCode ?? ((code) => (process.exitCode = code)),
  };

  const models = program.command('models').description('fetch, verify and list model sets');
  const dirHelp = 'models directory (default: $KIOSK_MODELS_DIR, else ./models)';
  const manifestHelp = 'manifest file (default: the one shipped with kiosk-voice)';

  models
    .command('fetch')
    .description('install a model set: copy from the mirror or download, verify each sha256')
    .option('--set <name>', "model set (default: the manifest's default set)")
    .option('--dir <dir>', dirHelp)
    .option('--mirror <dir>', 'directory to copy model files from before trying the network (default: $KIOSK_MODELS_MIRROR)')
    .option('--manifest <file>', manifestHelp)
    .action((opts: CommonOptions) => guarded(out, () => runFetch(opts, out)));

  models
    .command('verify')
    .description("check a model set's files: present, right size, right sha256")
    .option('--set <name>', "model set (default: the manifest's default set)")
    .option('--dir <dir>', dirHelp)
    .option('--manifest <file>', manifestHelp)
    .action((opts: CommonOptions) => guarded(out, () => runVerify(opts, out)));

  models
    .command('list')
    .description('show the model sets and their models, with sizes and licenses')
    .option('--manifest <file>', manifestHelp)
    .action((opts: CommonOptions) => guarded(out, async () => runList(opts, out)));
}

/** Every failure becomes lines on stderr and exit code 1, never an unhandled rejection. */
async function guarded(io: ModelsCommandIo, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    const problems = err instanceof ModelSetFetchError ? err.problems : [err];
    for (const p of problems) io.stderr.write(`error: ${p instanceof KioskVoiceError ? p.toUserLine() : p instanceof Error ? p.message : String(p)}\n`);
    io.setExitCode(1);
  }
}

function modelsDirOf(opts: CommonOptions, io: ModelsCommandIo): string {
  return resolve(io.cwd, opts.dir ?? (io.env.KIOSK_MODELS_DIR || 'models'));
}

function manifestOf(opts: CommonOptions, io: ModelsCommandIo): ModelManifest {
  return opts.manifest ? loadManifest(resolve(io.cwd, opts.manifest)) : loadManifest();
}

async function runFetch(opts: CommonOptions, io: ModelsCommandIo): Promise<void> {
  const manifest = manifestOf(opts, io);
  const set = opts.set ?? manifest.default;
  const modelsDir = modelsDirOf(opts, io);
  const mirror = opts.mirror ?? defaultMirrorDir(io.env);
  const mirrorDir = mirror === undefined ? undefined : resolve(io.cwd, mirror);

  io.stderr.write(`fetching model set "${set}" into ${modelsDir}${mirrorDir ? ` (mirror: ${mirrorDir})` : ''}\n`);
  const progress = io.stderr.isTTY ? new TtyProgress(io.stderr) : new LineProgress(io.stderr);
  try {
    const report = await fetchModelSet({ manifest, set, modelsDir, mirrorDir, onProgress: (e) => progress.on(e) });
    progress.stop();
    const count = (a: string) => report.items.filter((i) => i.action === a).length;
    io.stdout.write(
      `model set "${set}" is installed in ${modelsDir}: ${count('present')} already present, ${count('copied')} copied, ${count('downloaded')} downloaded` +
        (report.warnings.length > 0 ? `; ${report.warnings.length} without a published hash (see warnings)` : '') +
        '\n',
    );
  } finally {
    progress.stop();
  }
}

async function runVerify(opts: CommonOptions, io: ModelsCommandIo): Promise<void> {
  const manifest = manifestOf(opts, io);
  const set = opts.set ?? manifest.default;
  const modelsDir = modelsDirOf(opts, io);
  // Good files go to stdout as a table; each problem is one line on stderr, as it is found.
  const report = await verifyModelSet({
    manifest,
    set,
    modelsDir,
    onResult: (r) => {
      if (r.status === 'ok' || r.status === 'unpinned') io.stdout.write(`${formatResult(r)}\n`);
      else io.stderr.write(`error: ${r.path}: ${r.status.replace('-', ' ')}${r.detail ? ` — ${r.detail}` : ''}\n`);
    },
  });
  const bad = report.results.filter((r) => r.status !== 'ok' && r.status !== 'unpinned').length;
  const unpinned = report.results.filter((r) => r.status === 'unpinned').length;
  if (bad > 0) {
    io.stderr.write(`model set "${set}" in ${modelsDir}: ${bad} of ${report.results.length} files missing or wrong — run \`kiosk-voice models fetch --set ${set}\`\n`);
    io.setExitCode(1);
    return;
  }
  io.stdout.write(`model set "${set}" in ${modelsDir} is complete${unpinned > 0 ? ` (${unpinned} file(s) have no published hash to check)` : ''}\n`);
}

function formatResult(r: VerifyResult): string {
  const label = r.status === 'ok' ? 'ok' : r.status;
  return `${label.padEnd(9)}${r.modelId.padEnd(36)}${r.path}${r.detail ? `  (${r.detail})` : ''}`;
}

function runList(opts: CommonOptions, io: ModelsCommandIo): void {
  const manifest = manifestOf(opts, io);
  for (const [name, set] of Object.entries(manifest.sets)) {
    const models = modelsInSet(manifest, name);
    const total = models
      .map(modelSize)
      .reduce((a, b) => ({ bytes: a.bytes + b.bytes, exact: a.exact && b.exact, unknown: a.unknown || b.unknown }), { bytes: 0, exact: true, unknown: false });
    io.stdout.write(`${name}${name === manifest.default ? ' (default)' : ''} — ${set.description}\n`);
    for (const m of models) {
      const size = m.system ? `apt ${m.system.debianPackage}` : formatSize(modelSize(m));
      io.stdout.write(`  ${m.stage.padEnd(4)} ${m.id.padEnd(36)} ${size.padStart(12)}  ${m.license}\n`);
    }
    io.stdout.write(`  total download ${formatSize(total)}\n\n`);
  }
}

/** Bytes to fetch for a model; `exact` is false when a size is only estimated or unknown. */
function modelSize(m: ModelEntry): { bytes: number; exact: boolean; unknown: boolean } {
  if (m.system) return { bytes: 0, exact: true, unknown: false };
  const parts = m.archive ? [m.archive] : (m.files ?? []);
  let bytes = 0;
  let exact = true;
  let unknown = false;
  for (const p of parts) {
    if (p.size !== null) bytes += p.size;
    else {
      exact = false;
      if (p.approxSize !== undefined) bytes += p.approxSize;
      else unknown = true;
    }
  }
  return { bytes, exact, unknown };
}

function formatSize(s: { bytes: number; exact: boolean; unknown: boolean }): string {
  if (s.unknown && s.bytes === 0) return '?';
  if (s.bytes === 0) return '-';
  return `${s.exact ? '' : '~'}${formatBytes(s.bytes)}${s.unknown ? '+?' : ''}`;
}

/** Decimal units, as Hugging Face and GitHub print sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

interface Progress {
  on(event: FetchEvent): void;
  stop(): void;
}

/** Non-interactive output (logs, CI): one line per file, no carriage returns. */
class LineProgress implements Progress {
  private started = new Map<string, { at: number; offset: number }>();
  constructor(private readonly err: NodeJS.WritableStream) {}

  on(e: FetchEvent): void {
    const w = (s: string): void => void this.err.write(`${s}\n`);
    switch (e.type) {
      case 'present':
        return w(`  present     ${e.path}`);
      case 'copy':
        return w(`  copy        ${e.path} from ${e.from} (${formatBytes(e.size)})`);
      case 'download-start':
        this.track(e);
        return w(`  download    ${e.path} from ${e.url}${e.offset > 0 ? ` (resuming at ${formatBytes(e.offset)})` : ''}${e.total !== null ? `, ${formatBytes(e.total)}` : ''}`);
      case 'download-done': {
        const s = this.started.get(e.path);
        const secs = s ? (Date.now() - s.at) / 1000 : 0;
        const rate = s && secs > 0 ? `, ${formatBytes(Math.round((e.bytes - s.offset) / secs))}/s` : '';
        return w(`  downloaded  ${e.path}: ${formatBytes(e.bytes)} in ${formatDuration(secs)}${rate}`);
      }
      case 'retry':
        return w(`  retry       ${e.path} (attempt ${e.attempt}): ${e.reason}`);
      case 'extract':
        return w(`  extract     ${e.archive} into ${e.into}`);
      case 'warning':
        return w(`WARNING: ${e.message}`);
      case 'download-progress':
        return;
    }
  }

  /** Remembers when a download started, for the rate in its "downloaded" line. */
  track(e: Extract<FetchEvent, { type: 'download-start' }>): void {
    this.started.set(e.path, { at: Date.now(), offset: e.offset });
  }

  stop(): void {}
}

/** Interactive terminal: a live bar per download with bytes, speed and ETA. */
class TtyProgress implements Progress {
  private bar: cliProgress.SingleBar | undefined;
  private current: { path: string; at: number; offset: number; total: number | null } | undefined;
  private readonly lines: LineProgress;
  constructor(private readonly err: NodeJS.WritableStream) {
    this.lines = new LineProgress(err);
  }

  on(e: FetchEvent): void {
    switch (e.type) {
      case 'download-start': {
        this.stop();
        this.lines.track(e);
        this.current = { path: e.path, at: Date.now(), offset: e.offset, total: e.total };
        const current = this.current;
        this.bar = new cliProgress.SingleBar({
          stream: this.err,
          hideCursor: true,
          barsize: 24,
          format: (options, params) => this.format(options, params, current),
        });
        this.bar.start(e.total ?? 0, e.offset);
        return;
      }
      case 'download-progress':
        if (this.current?.path === e.path) {
          if (e.total !== null && this.bar && e.total !== this.current.total) this.bar.setTotal(e.total);
          this.bar?.update(e.received);
        }
        return;
      case 'download-done':
        this.stop();
        this.lines.on(e);
        return;
      case 'retry':
        this.stop();
        this.lines.on(e);
        return;
      default:
        this.lines.on(e);
    }
  }

  private format(options: cliProgress.Options, params: cliProgress.Params, cur: { path: string; at: number; offset: number }): string {
    const secs = Math.max((Date.now() - cur.at) / 1000, 0.001);
    const speed = (params.value - cur.offset) / secs;
    const name = cur.path.length > 32 ? `…${cur.path.slice(-31)}` : cur.path;
    if (params.total <= 0) return `  ${name} ${formatBytes(params.value)} ${formatBytes(Math.round(speed))}/s`;
    const bar = cliProgress.Format.BarFormat(Math.min(params.value / params.total, 1), options);
    const eta = speed > 0 ? (params.total - params.value) / speed : Infinity;
    const pct = Math.floor((params.value / params.total) * 100);
    return `  ${name} ${bar} ${String(pct).padStart(3)}% ${formatBytes(params.value)}/${formatBytes(params.total)} ${formatBytes(Math.round(speed))}/s ETA ${formatDuration(eta)}`;
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.current = undefined;
  }
}
