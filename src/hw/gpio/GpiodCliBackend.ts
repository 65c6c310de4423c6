import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logging/createLogger.js';
import { monotonicMs } from '../../system/clock.js';
import { systemTimers } from '../hwTimers.js';
import { EdgeDebouncer } from './EdgeDebouncer.js';
import type {
  GpioBackend,
  GpioConfig,
  GpioInput,
  GpioInputEvents,
  GpioInputOptions,
  GpioOutput,
  GpioOutputOptions,
} from './GpioBackend.js';
import { GpioUnavailableError, type GpioUnavailableReason } from './GpioUnavailableError.js';

/** Where the libgpiod tools were found on PATH. */
export interface GpiodTools {
  gpioset: string;
  gpiomon: string;
  /** Only used to find a chip by label, or when /dev has no node for it. */
  gpiodetect: string | undefined;
}

/** Options for {@link GpiodCliBackend.open}. */
export interface GpiodCliOptions {
  /** Environment of the tools; its PATH decides which gpioset/gpiomon run (tests put stand-ins first). */
  env?: NodeJS.ProcessEnv;
  /**
   * v1 tools print nothing once they hold a line, so one still running after this long is taken as
   * started; a missing chip, busy line or denied permission makes them exit well before.
   */
  startupGraceMs?: number;
  /**
   * v1 gpioset says nothing once it has set its line either, and one stopped before it got there
   * leaves the line as it was; one that has run this long has set it (it takes a few ms). It bounds
   * how fast a v1 LED can change (the fastest pattern, 8 Hz, has 62 ms phases).
   */
  v1SettleMs?: number;
  /** Where gpiochip device nodes live. */
  devDir?: string;
}

/** A tool asked to stop gets this long to exit on SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 1000;
/** v2 tools print their banner within milliseconds; one that has not after this long is stuck. */
const BANNER_TIMEOUT_MS = 5000;
const QUERY_TIMEOUT_MS = 3000;
const DEFAULT_GRACE_MS = 200;
const DEFAULT_V1_SETTLE_MS = 40;

/**
 * GPIO through the libgpiod command-line tools: one long-lived `gpiomon` per input, one `gpioset`
 * per output holding the line at its value. Both CLI generations are spoken: v1 (Debian bookworm,
 * `gpioset -m signal <chip> <off>=<v>`) and v2 (trixie, `gpioset -c <chip> <off>=<v>`), told
 * apart by `gpioset --version`.
 *
 * An LED change stops the line's gpioset, waits until it has exited (a second gpioset on a held
 * line fails with EBUSY) and starts one with the new value; v2's interactive mode would avoid the
 * restart but is a build option distributions may leave out. Every child is reaped: `close()`
 * stops them and waits. If the daemon itself is killed, the service's control group (systemd
 * KillMode) takes the tools with it.
 */
export class GpiodCliBackend implements GpioBackend {
  readonly name = 'gpiod';
  private readonly lines = new Set<{ close(): Promise<void> }>();

  private constructor(
    private readonly tools: GpiodTools,
    /** The CLI generation, from `gpioset --version`. */
    readonly version: 1 | 2,
    /** The chip as passed to the tools (a label in the config is resolved to its name). */
    readonly chip: string,
    /** How the chip was found, for the line that logs why this backend was chosen. */
    readonly chipFoundBy: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timing: { graceMs: number; settleMs: number },
    private readonly logger: Logger,
  ) {}

  /** The tools on `env.PATH`, or undefined when gpioset or gpiomon is missing. */
  static findTools(env: NodeJS.ProcessEnv = process.env): GpiodTools | undefined {
    const gpioset = findOnPath('gpioset', env);
    const gpiomon = findOnPath('gpiomon', env);
    if (!gpioset || !gpiomon) return undefined;
    return { gpioset, gpiomon, gpiodetect: findOnPath('gpiodetect', env) };
  }

  /** Finds the tools, their version and the chip; rejects with a {@link GpioUnavailableError}. */
  static async open(config: GpioConfig, logger: Logger, options: GpiodCliOptions = {}): Promise<GpiodCliBackend> {
    const env = options.env ?? process.env;
    const tools = GpiodCliBackend.findTools(env);
    if (!tools) {
      throw new GpioUnavailableError('noTools', 'the libgpiod tools (gpioset, gpiomon) are not on PATH', 'install them: `sudo apt install gpiod`');
    }
    const versionText = await query(tools.gpioset, ['--version'], env).catch((error: Error) => {
      throw new GpioUnavailableError('failed', `\`${tools.gpioset} --version\` failed: ${error.message}`, 'reinstall the tools: `sudo apt install --reinstall gpiod`', { cause: error });
    });
    const major = /\(libgpiod\)\s+v(\d+)\./.exec(versionText)?.[1];
    if (!major) {
      throw new GpioUnavailableError('failed', `cannot tell the libgpiod version from \`gpioset --version\`: ${versionText.trim().split('\n')[0]}`, 'use hw.gpio.backend: onoff, or install Debian\'s gpiod package');
    }
    // The v2 rework set the syntax later releases keep; only v1 differs.
    const version = Number(major) === 1 ? 1 : 2;
    const { chip, foundBy } = await resolveChip(config.chip, tools, env, options.devDir ?? '/dev');
    const timing = { graceMs: options.startupGraceMs ?? DEFAULT_GRACE_MS, settleMs: options.v1SettleMs ?? DEFAULT_V1_SETTLE_MS };
    return new GpiodCliBackend(tools, version, chip, foundBy, env, timing, logger);
  }

  async output(pin: number, options: GpioOutputOptions): Promise<GpioOutput> {
    const line = new GpiodOutput(pin, options.activeLow, this.lineContext(), () => this.lines.delete(line));
    await this.track(line, line.start());
    return line;
  }

  async input(pin: number, options: GpioInputOptions): Promise<GpioInput> {
    const line = new GpiodInput(pin, options, this.lineContext(), () => this.lines.delete(line));
    await this.track(line, line.start());
    return line;
  }

  async close(): Promise<void> {
    await Promise.all([...this.lines].map((line) => line.close()));
  }

  /** Registers a line once it has started; a line that could not start is logged once and rejected. */
  private async track(line: { close(): Promise<void> }, started: Promise<void>): Promise<void> {
    try {
      await started;
    } catch (error) {
      await line.close();
      if (error instanceof GpioUnavailableError) this.report(error);
      throw error;
    }
    this.lines.add(line);
  }

  private lineContext(): LineContext {
    return {
      version: this.version,
      chip: this.chip,
      tools: this.tools,
      env: this.env,
      ...this.timing,
      report: (error) => this.report(error),
    };
  }

  private report(error: GpioUnavailableError): void {
    this.logger.error({ chip: this.chip, reason: error.reason, hint: error.hint }, error.message);
  }
}

/** What a line needs from its backend. */
interface LineContext {
  version: 1 | 2;
  chip: string;
  tools: GpiodTools;
  env: NodeJS.ProcessEnv;
  /** See {@link GpiodCliOptions.startupGraceMs}. */
  graceMs: number;
  /** See {@link GpiodCliOptions.v1SettleMs}. */
  settleMs: number;
  /** Logs a failure (once per line: lines call it only for their first failure). */
  report(error: GpioUnavailableError): void;
}

/**
 * An LED line. `set()` returns at once; a single pump applies the latest wanted value, so a burst
 * of changes while a gpioset restarts collapses to the last one and never runs two gpiosets on
 * the line.
 */
class GpiodOutput implements GpioOutput {
  private process: ToolProcess | undefined;
  /** The logical value the running gpioset holds; undefined while none runs. */
  private held: boolean | undefined;
  private wanted = false;
  private pumping: Promise<void> | undefined;
  private failed = false;
  private started = false;
  private closing = false;

  constructor(
    readonly pin: number,
    private readonly activeLow: boolean,
    private readonly context: LineContext,
    private readonly forget: () => void,
  ) {}

  /** Starts holding the line off; rejects when the tool cannot get the line. */
  async start(): Promise<void> {
    try {
      await this.spawn(false, this.context.graceMs);
    } catch (error) {
      // The backend reports a line that never started; this one only stays quiet and inert.
      this.failed = true;
      throw error;
    }
    this.started = true;
  }

  set(on: boolean): void {
    if (this.closing || this.failed) return;
    this.wanted = on;
    this.pump();
  }

  /** Drives the LED off before letting go: a released line keeps whatever level it last had. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.forget();
    if (!this.failed && this.process) {
      this.wanted = false;
      this.pump();
      await this.pumping;
      // Nothing tells when a v1 gpioset has set its line: give the last one the full start-up
      // grace rather than the settle time, so the LED is surely dark when the line is let go.
      if (this.context.version === 1) await this.process.aged(this.context.graceMs);
    }
    await this.process?.stop();
  }

  private pump(): void {
    if (this.pumping || this.held === this.wanted) return;
    this.pumping = (async () => {
      while (!this.failed && this.held !== this.wanted) {
        const value = this.wanted;
        await this.process?.stop();
        try {
          // A later failure (a v1 tool exiting after this) is caught by the exit watch.
          await this.spawn(value, this.context.settleMs);
        } catch (error) {
          this.fail(error);
        }
      }
      this.pumping = undefined;
    })();
  }

  private async spawn(on: boolean, graceMs: number): Promise<void> {
    const level = on !== this.activeLow ? 1 : 0;
    const { version, chip, tools, env } = this.context;
    const args = version === 1 ? ['-m', 'signal', chip, `${this.pin}=${level}`] : ['--banner', '-c', chip, `${this.pin}=${level}`];
    const tool = new ToolProcess(tools.gpioset, args, env);
    this.process = tool;
    this.held = undefined;
    void tool.exited.then((exit) => {
      if (this.process !== tool) return;
      this.held = undefined;
      if (!tool.stopRequested) this.fail(describeToolFailure('gpioset', 'drive', this.pin, chip, args, exit));
    });
    await tool.started(version === 2, graceMs, () => describeToolFailure('gpioset', 'drive', this.pin, chip, args, tool.exitInfo()));
    this.held = on;
  }

  /** The first failure after a good start is logged; the LED then stays as it is. */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    if (this.started && error instanceof GpioUnavailableError) this.context.report(error);
  }
}

/** A button line: one gpiomon for as long as the line is open. */
class GpiodInput extends EventEmitter<GpioInputEvents> implements GpioInput {
  private process: ToolProcess | undefined;
  private readonly debouncer: EdgeDebouncer;
  private closed = false;
  private started = false;

  constructor(
    readonly pin: number,
    private readonly options: GpioInputOptions,
    private readonly context: LineContext,
    private readonly forget: () => void,
  ) {
    super();
    this.debouncer = new EdgeDebouncer(options.debounceMs, (edge) => this.emit('edge', edge), systemTimers);
  }

  async start(): Promise<void> {
    const { version, chip, tools, env, graceMs } = this.context;
    // A button to ground needs a pull-up; one to 3V3 a pull-down.
    const bias = this.options.activeLow ? 'pull-up' : 'pull-down';
    // v1 block-buffers stdout into a pipe unless told otherwise (-b): edges would arrive seconds late.
    // v2 is not given -p: the kernel's debounce reports an edge only once the line has been stable
    // for the period, adding it to every press; the leading-edge debouncer here does not.
    const args =
      version === 1
        ? ['-b', '-B', bias, '-F', '%o %e %s.%n', chip, String(this.pin)]
        : ['--banner', '-c', chip, '-e', 'both', '-b', bias, '--format', '%o %E %S', String(this.pin)];
    const tool = new ToolProcess(tools.gpiomon, args, env, (line) => this.onLine(line));
    this.process = tool;
    void tool.exited.then((exit) => {
      // A monitor that never started is reported by the backend; one that dies later, here.
      if (tool.stopRequested || !this.started) return;
      this.context.report(describeToolFailure('gpiomon', 'watch', this.pin, chip, args, exit));
    });
    await tool.started(version === 2, graceMs, () => describeToolFailure('gpiomon', 'watch', this.pin, chip, args, tool.exitInfo()));
    this.started = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    this.debouncer.dispose();
    await this.process?.stop();
    this.removeAllListeners();
  }

  private onLine(line: string): void {
    if (this.closed) return;
    // v1: "<offset> <1 rising|0 falling> <s>.<ns>"; v2: "<offset> <rising|falling> <s>.<ns>".
    const match = /^(\d+) (0|1|rising|falling)\b/.exec(line);
    if (!match || Number(match[1]) !== this.pin) return;
    const level = match[2] === '1' || match[2] === 'rising' ? 1 : 0;
    // Stamped on arrival: v1 on older kernels stamps events with the realtime clock, and the pipe
    // adds well under a millisecond.
    this.debouncer.push({ value: this.options.activeLow ? ((1 - level) as 0 | 1) : level, at: monotonicMs() });
  }
}

/** How a tool ended. */
interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** One run of a libgpiod tool, always reaped. */
class ToolProcess {
  readonly exited: Promise<ToolExit>;
  private readonly child: ChildProcess;
  private stderr = '';
  private exit: ToolExit | undefined;
  private stopping = false;
  private bannerSeen: (() => void) | undefined;
  private readonly startedAt = monotonicMs();

  constructor(binary: string, args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void) {
    this.child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (this.bannerSeen && /^(Monitoring|Setting) line/.test(line)) this.bannerSeen();
        else onLine?.(line);
      }
    });
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit ??= { code, signal, stderr: this.stderr };
        resolve(this.exit);
      };
      this.child.once('close', finish);
      // A binary that cannot be executed emits only 'error'.
      this.child.once('error', (error) => {
        this.stderr += error.message;
        finish(null, null);
      });
    });
  }

  get stopRequested(): boolean {
    return this.stopping;
  }

  /** How it ended so far (for a failure seen while starting). */
  exitInfo(): ToolExit {
    return this.exit ?? { code: null, signal: null, stderr: this.stderr };
  }

  /**
   * Resolves once the tool holds its line: on the v2 banner, or (v1) when it is still running
   * after `graceMs`. Rejects with `failure()` when it exits first.
   */
  started(banner: boolean, graceMs: number, failure: () => GpioUnavailableError): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => (banner ? fail() : done()),
        banner ? BANNER_TIMEOUT_MS : graceMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.bannerSeen = undefined;
        resolve();
      };
      const fail = () => {
        clearTimeout(timer);
        this.bannerSeen = undefined;
        reject(failure());
      };
      if (banner) this.bannerSeen = done;
      void this.exited.then(fail);
    });
  }

  /** Resolves once the process has run `ms` (or has exited). */
  async aged(ms: number): Promise<void> {
    const left = this.startedAt + ms - monotonicMs();
    if (left > 0 && !this.exit) await Promise.race([sleep(left), this.exited]);
  }

  /** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone and reaped. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), KILL_AFTER_MS);
    await this.exited;
    clearTimeout(killer);
  }
}

/** Turns a tool's exit and stderr into the one actionable error a person sees. */
function describeToolFailure(
  tool: 'gpioset' | 'gpiomon',
  verb: string,
  pin: number,
  chip: string,
  args: string[],
  exit: ToolExit,
): GpioUnavailableError {
  const said = exit.stderr.trim().split('\n').filter(Boolean).at(-1);
  const how = said ?? (exit.signal ? `killed by ${exit.signal}` : exit.code === null ? 'did not start' : `exited with code ${exit.code}`);
  const rules: [RegExp, GpioUnavailableReason, string][] = [
    [/Permission denied|Operation not permitted/i, 'permission', 'add the user to the gpio group (`sudo usermod -aG gpio $USER`, then log in again; for the service, SupplementaryGroups=gpio)'],
    [/Device or resource busy/i, 'busy', `another program holds the line: \`gpioinfo ${chip}\` shows its consumer; stop it or choose another pin`],
    [/No such file or directory|cannot find GPIO chip/i, 'noChip', 'check hw.gpio.chip: `gpiodetect` lists the chips (the Pi 5 header is pinctrl-rp1)'],
  ];
  const [, reason, hint] = rules.find(([pattern]) => pattern.test(how)) ?? [undefined, 'failed' as const, `run \`${tool} ${args.join(' ')}\` by hand to see why`];
  return new GpioUnavailableError(reason, `${tool} could not ${verb} BCM ${pin} on ${chip}: ${how}`, hint);
}

/** The chip name to give the tools: /dev has it, or gpiodetect lists it by name or label. */
async function resolveChip(configured: string, tools: GpiodTools, env: NodeJS.ProcessEnv, devDir: string): Promise<{ chip: string; foundBy: string }> {
  const node = configured.startsWith('/') ? configured : join(devDir, /^\d+$/.test(configured) ? `gpiochip${configured}` : configured);
  if (existsSync(node)) return { chip: configured, foundBy: `${node} exists` };
  // A label (v2 tools accept only names, numbers and paths), or a system without /dev nodes for
  // the tools to see (stand-in tools in tests): ask gpiodetect.
  const listing = tools.gpiodetect ? await query(tools.gpiodetect, [], env).catch(() => '') : '';
  const chips = [...listing.matchAll(/^(\S+) \[([^\]]*)\]/gm)].map((m) => ({ name: m[1] ?? '', label: m[2] ?? '' }));
  const found = chips.find((c) => c.name === configured || c.label === configured || join(devDir, c.name) === configured);
  if (found) return { chip: found.name, foundBy: `gpiodetect lists ${found.name} [${found.label}]` };
  const seen = chips.map((c) => `${c.name} [${c.label}]`).join(', ') || 'none';
  throw new GpioUnavailableError(
    'noChip',
    `GPIO chip "${configured}" not found (no ${node}; gpiodetect lists: ${seen})`,
    'set hw.gpio.chip to a chip name or label that `gpiodetect` lists (the Pi 5 header is pinctrl-rp1), or check that /dev/gpiochip* is visible to the service',
  );
}

/** Runs a tool that prints and exits; resolves with its stdout. */
function query(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, timeout: QUERY_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message));
      else resolve(stdout);
    });
  });
}

/** The first executable file called `name` in `env.PATH`. */
function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}
