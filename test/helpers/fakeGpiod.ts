import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Stand-in libgpiod tools (`gpioset`, `gpiomon`, `gpiodetect`) written to a temp bin directory, so
 * the gpiod backend — in a test, or inside a daemon started as a child process with `env` — runs
 * the real command lines against scripts that behave like the tools:
 *
 * - they accept only their version's syntax (v1: `gpioset -m signal <chip> <off>=<v>`, `gpiomon
 *   [-b] [-B bias] [-F fmt] <chip> <off>`; v2: `gpioset -c <chip> <off>=<v>`, `gpiomon -c <chip>
 *   [-e both] [-b bias] [-p period] [--format fmt] <off>`) and fail like the real ones otherwise;
 * - a line is held by one tool at a time: a second gpioset or gpiomon on a held line fails with
 *   "Device or resource busy", as the kernel makes the real ones fail;
 * - gpioset logs what it sets (`<epoch ms> <chip> <line> <value> <pid>` in `gpioset.log`) and
 *   holds the line until signalled (v1 `-m signal`, v2 always), then dies of the signal (the real
 *   v1 exits 0; nothing here depends on the difference);
 * - gpiomon prints an event for every level the test writes (see {@link FakeGpiod.press}) in its
 *   version's format, and v1 block-buffers its output unless given `-b`, as glibc does on a pipe.
 *   v2's `-p` debounce is accepted but not applied: debouncing is the backend's job to prove.
 *
 * State lives in `KIOSK_FAKE_GPIO_DIR`: `chips` (gpiodetect's list), `events` (levels written by
 * the test, `<line|*> <physical 0|1>` per line, read by every running gpiomon from where it
 * started), `gpioset.log`, `held-<chip>-<line>` (a symlink per held line, to `<pid> <tool>`) and
 * `fail-<tool>` (makes the tool fail at start: `permission`, `busy` or `noChip`).
 *
 * A v1 backend cannot tell when its gpiomon is listening (v1 prints no banner): before the first
 * press, wait until {@link FakeGpiod.holders} lists it.
 */
export interface FakeGpiod {
  /** Directory with the stand-in tools; put it first on PATH. */
  readonly binDir: string;
  /** KIOSK_FAKE_GPIO_DIR. */
  readonly stateDir: string;
  /** `process.env` with PATH = binDir first, and KIOSK_FAKE_GPIO_DIR set: give it to any child process. */
  readonly env: NodeJS.ProcessEnv;
  /** The button goes down (on `line`, or on every monitored line). */
  press(line?: number): void;
  /** The button comes up. */
  release(line?: number): void;
  /** Logical levels (1 = pressed) written at once: contact chatter. */
  bounce(levels: (0 | 1)[], line?: number): void;
  /** Press, wait `ms`, release. */
  tap(ms?: number, line?: number): Promise<void>;
  /** Press and keep it down for `ms`, then release. */
  hold(ms: number, line?: number): Promise<void>;
  /** What gpioset was asked to set (physical levels), oldest first. */
  setLog(): FakeGpiodSet[];
  /** Stand-ins holding a line right now. */
  holders(): FakeGpiodHolder[];
  /** Makes every later start of `tool` fail like the real tool does for `kind`; undefined clears it. */
  fail(tool: 'gpioset' | 'gpiomon', kind: FakeGpiodFailure | undefined): void;
  /** Kills any stand-in still running and removes the directories. */
  close(): Promise<void>;
}

export interface FakeGpiodSet {
  /** Epoch ms. */
  at: number;
  chip: string;
  line: number;
  value: 0 | 1;
  pid: number;
}

export interface FakeGpiodHolder {
  tool: 'gpioset' | 'gpiomon';
  chip: string;
  line: number;
  pid: number;
}

export type FakeGpiodFailure = 'permission' | 'busy' | 'noChip';

export interface FakeGpiodOptions {
  version: 1 | 2;
  /** The button is wired to ground (pressed = physical 0), the usual wiring and the config default. */
  activeLow?: boolean;
  /** gpiodetect's chips; default one Pi 5 header chip: gpiochip0 [pinctrl-rp1] (54 lines). */
  chips?: { name: string; label: string; lines: number }[];
}

export function createFakeGpiod(options: FakeGpiodOptions): FakeGpiod {
  const root = mkdtempSync(join(tmpdir(), 'kiosk-fake-gpiod-'));
  const binDir = join(root, 'bin');
  const stateDir = join(root, 'state');
  mkdirSync(binDir);
  mkdirSync(stateDir);
  const chips = options.chips ?? [{ name: 'gpiochip0', label: 'pinctrl-rp1', lines: 54 }];
  writeFileSync(join(stateDir, 'chips'), chips.map((c) => `${c.name} ${c.label} ${c.lines}\n`).join(''));
  writeFileSync(join(stateDir, 'events'), '');
  const scripts = { gpioset: gpiosetScript(options.version), gpiodetect: gpiodetectScript(options.version), gpiomon: gpiomonScript(options.version) };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(binDir, name), text);
    chmodSync(join(binDir, name), 0o755);
  }
  const activeLow = options.activeLow ?? true;
  const physical = (logical: 0 | 1) => (activeLow ? 1 - logical : logical);
  const write = (levels: (0 | 1)[], line?: number) =>
    appendFileSync(join(stateDir, 'events'), levels.map((l) => `${line ?? '*'} ${physical(l)}\n`).join(''));

  const hold = async (ms: number, line?: number) => {
    write([1], line);
    await sleep(ms);
    write([0], line);
  };

  const holders = (): FakeGpiodHolder[] =>
    readdirSync(stateDir)
      .filter((name) => name.startsWith('held-'))
      .flatMap((name) => {
        let owner = '';
        try {
          owner = readlinkSync(join(stateDir, name));
        } catch {
          return []; // Released while we looked.
        }
        const [pid, tool] = owner.split(' ');
        const match = /^held-(.+)-(\d+)$/.exec(name);
        if (!match || !pid || (tool !== 'gpioset' && tool !== 'gpiomon') || !isAlive(Number(pid))) return [];
        return [{ tool, chip: match[1] ?? '', line: Number(match[2]), pid: Number(pid) }];
      });

  return {
    binDir,
    stateDir,
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, KIOSK_FAKE_GPIO_DIR: stateDir },
    press: (line) => write([1], line),
    release: (line) => write([0], line),
    bounce: (levels, line) => write(levels, line),
    tap: (ms = 80, line) => hold(ms, line),
    hold,
    setLog() {
      const log = join(stateDir, 'gpioset.log');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((row) => {
          const [at, chip, line, value, pid] = row.split(' ');
          return { at: Number(at), chip: chip ?? '', line: Number(line), value: value === '1' ? 1 : 0, pid: Number(pid) };
        });
    },
    holders,
    fail(tool, kind) {
      const file = join(stateDir, `fail-${tool}`);
      if (kind) writeFileSync(file, kind);
      else rmSync(file, { force: true });
    },
    async close() {
      const left = holders();
      for (const holder of left) process.kill(holder.pid, 'SIGTERM');
      for (let i = 0; i < 100 && left.some((h) => isAlive(h.pid)); i++) await sleep(10);
      for (const holder of left) if (isAlive(holder.pid)) process.kill(holder.pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Shared by the sh stand-ins: chip lookup, line locks, injected failures. */
const SH_COMMON = `
dir="\${KIOSK_FAKE_GPIO_DIR:?KIOSK_FAKE_GPIO_DIR is not set (fake libgpiod stand-in)}"
die() { echo "$prog: $*" >&2; exit 1; }
# find_chip <id> <accept-label>: sets chip_name and chip_lines from $dir/chips.
find_chip() {
  chip_name=
  while read -r name label lines; do
    num=\${name#gpiochip}
    if [ "$1" = "$name" ] || [ "$1" = "/dev/$name" ] || [ "$1" = "$num" ] || { [ "$2" = 1 ] && [ "$1" = "$label" ]; }; then
      chip_name=$name; chip_lines=$lines; return 0
    fi
  done < "$dir/chips"
  return 1
}
lock=
release_lock() { [ -n "$lock" ] && rm -f "$lock"; lock=; }
# take_lock <line>: fails like the kernel (EBUSY) while another live stand-in holds the line. The
# lock is a symlink whose target is "<pid> <tool>": made atomically, with its owner in it.
take_lock() {
  want="$dir/held-$chip_name-$1"
  if ! ln -s "$$ $prog" "$want" 2>/dev/null; then
    holder=$(readlink "$want" 2>/dev/null | cut -d' ' -f1)
    if [ -n "$holder" ] && kill -0 "$holder" 2>/dev/null; then return 1; fi
    rm -f "$want"
    ln -s "$$ $prog" "$want" 2>/dev/null || return 1
  fi
  lock=$want
}
injected() { [ -f "$dir/fail-$prog" ] && cat "$dir/fail-$prog"; }
`;

function gpiosetScript(version: 1 | 2): string {
  const v1 = `
mode=exit
while [ $# -gt 0 ]; do
  case "$1" in
    -v|--version) echo "gpioset (libgpiod) v1.6.3"; echo "Copyright (C) 2017-2018 Bartosz Golaszewski"; exit 0;;
    -h|--help) echo "Usage: gpioset [OPTIONS] <chip name/number> <offset1>=<value1> <offset2>=<value2> ..."; exit 0;;
    -m) [ $# -ge 2 ] || { echo "$prog: option requires an argument -- 'm'" >&2; die "try $prog --help"; }; mode=$2; shift 2;;
    --mode=*) mode=\${1#--mode=}; shift;;
    -l|--active-low|-b|--background) shift;;
    -B|-D|-s|-u) [ $# -ge 2 ] || die "try $prog --help"; shift 2;;
    --bias=*|--drive=*|--sec=*|--usec=*) shift;;
    --) shift; break;;
    --*) echo "$prog: unrecognized option '$1'" >&2; die "try $prog --help";;
    -*) echo "$prog: invalid option -- '$(printf %s "\${1#-}" | cut -c1)'" >&2; die "try $prog --help";;
    *) break;;
  esac
done
case "$mode" in exit|signal) ;; wait|time) die "the stand-in supports -m exit and -m signal only";; *) die "invalid mode: $mode";; esac
[ $# -ge 1 ] || die "gpiochip must be specified"
[ $# -ge 2 ] || die "at least one GPIO line offset to value mapping must be specified"
[ $# -eq 2 ] || die "the stand-in sets one line per run"
case "$2" in *=*) ;; *) die "invalid offset<->value mapping: $2";; esac
line=\${2%%=*}; value=\${2#*=}
case "$value" in 0|1) ;; *) die "value must be 0 or 1: $value";; esac
case "$line" in ''|*[!0-9]*) die "invalid offset: $line";; esac
case "$(injected)" in
  permission) die "error setting the GPIO line values: Permission denied";;
  busy) die "error setting the GPIO line values: Device or resource busy";;
  noChip) die "error setting the GPIO line values: No such file or directory";;
esac
find_chip "$1" 1 || die "error setting the GPIO line values: No such file or directory"
[ "$line" -lt "$chip_lines" ] || die "error setting the GPIO line values: Invalid argument"
take_lock "$line" || die "error setting the GPIO line values: Device or resource busy"
`;
  const v2 = `
chip=
while [ $# -gt 0 ]; do
  case "$1" in
    -v|--version) echo "gpioset (libgpiod) v2.2.1"; echo "Copyright (C) 2017-2023 Bartosz Golaszewski"; exit 0;;
    -h|--help) echo "Usage: gpioset [OPTIONS] <line=value>..."; exit 0;;
    -c|--chip) [ $# -ge 2 ] || die "try $prog --help"; chip=$2; shift 2;;
    --chip=*) chip=\${1#--chip=}; shift;;
    --banner) banner=1; shift;;
    -l|--active-low|-s|--strict|--by-name|--unquoted) shift;;
    -b|--bias|-d|--drive|-C|--consumer|-p|--hold-period) [ $# -ge 2 ] || die "try $prog --help"; shift 2;;
    --bias=*|--drive=*|--consumer=*|--hold-period=*) shift;;
    -t|--toggle|-z|--daemonize|-i|--interactive) die "the stand-in does not support $1";;
    --) shift; break;;
    --*) echo "$prog: unrecognized option '$1'" >&2; die "try $prog --help";;
    -*) echo "$prog: invalid option -- '$(printf %s "\${1#-}" | cut -c1)'" >&2; die "try $prog --help";;
    *) break;;
  esac
done
[ $# -ge 1 ] || die "at least one GPIO line value must be specified"
[ $# -eq 1 ] || die "the stand-in sets one line per run"
case "$1" in *=*) ;; *) die "invalid line value: $1";; esac
line=\${1%%=*}; value=\${1#*=}
case "$value" in 1|active|on|true) value=1;; 0|inactive|off|false) value=0;; *) die "invalid line value: $value";; esac
[ -n "$chip" ] || die "cannot find line '$line'"
case "$(injected)" in
  permission) die "unable to request lines on chip '/dev/gpiochip0': Permission denied";;
  busy) die "unable to request lines on chip '/dev/gpiochip0': Device or resource busy";;
  noChip) die "cannot find GPIO chip character device '$chip'";;
esac
find_chip "$chip" 0 || die "cannot find GPIO chip character device '$chip'"
case "$line" in ''|*[!0-9]*) die "cannot find line '$line'";; esac
[ "$line" -lt "$chip_lines" ] || die "offset $line is out of range on chip '/dev/$chip_name'"
take_lock "$line" || die "unable to request lines on chip '/dev/$chip_name': Device or resource busy"
`;
  // The trap is set before the lock is taken, so a signal while starting never leaves it behind.
  return `#!/bin/sh
# Stand-in for libgpiod v${version} gpioset, written by test/helpers/fakeGpiod.ts.
prog=gpioset
banner=0
${SH_COMMON}
on_signal() { release_lock; ${version === 1 ? 'exit 0' : 'trap - TERM INT; kill -TERM $$'}; }
trap on_signal TERM INT
${version === 1 ? v1 : v2}
echo "$(date +%s%3N) $chip_name $line $value $$" >> "$dir/gpioset.log"
[ "$banner" = 1 ] && echo "Setting line '$line'..."
${
  version === 1
    ? `[ "$mode" = exit ] && { release_lock; exit 0; }`
    : ''
}
# Holding the line: the same pid becomes a sleep that dies of the signal, so nothing can outlive
# it. Its lock stays behind and counts as free once that pid is gone.
exec sleep infinity </dev/null >/dev/null 2>&1
`;
}

function gpiodetectScript(version: 1 | 2): string {
  return `#!/bin/sh
# Stand-in for libgpiod v${version} gpiodetect, written by test/helpers/fakeGpiod.ts.
prog=gpiodetect
${SH_COMMON}
case "$1" in -v|--version) echo "gpiodetect (libgpiod) v${version === 1 ? '1.6.3' : '2.2.1'}"; exit 0;; esac
while read -r name label lines; do echo "$name [$label] ($lines lines)"; done < "$dir/chips"
`;
}

/** gpiomon needs a poll loop and version-exact output, so it is a Node script (node is on PATH). */
function gpiomonScript(version: 1 | 2): string {
  return `#!${process.execPath}
// Stand-in for libgpiod v${version} gpiomon, written by test/helpers/fakeGpiod.ts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const VERSION = ${version};
const prog = 'gpiomon';
const dir = process.env.KIOSK_FAKE_GPIO_DIR;
const die = (msg) => { process.stderr.write(prog + ': ' + msg + '\\n'); process.exit(1); };
if (!dir) die('KIOSK_FAKE_GPIO_DIR is not set (fake libgpiod stand-in)');

// getopt_long as the real tools use it ("+": options end at the first operand).
const spec = VERSION === 1
  ? { flags: 'hvlsrfb', withArg: 'BnF', long: { help: 'h', version: 'v', 'active-low': 'l', bias: 'B:', 'num-events': 'n:', silent: 's',
      'rising-edge': 'r', 'falling-edge': 'f', 'line-buffered': 'b', format: 'F:' } }
  : { flags: 'hlqsv', withArg: 'bcCeEFnp', long: { 'active-low': 'l', banner: 'banner', bias: 'b:', 'by-name': 'by-name', chip: 'c:',
      consumer: 'C:', 'debounce-period': 'p:', edges: 'e:', 'event-clock': 'E:', format: 'F:', help: 'h', 'idle-timeout': 'idle-timeout:',
      localtime: 'localtime', 'num-events': 'n:', quiet: 'q', silent: 'q', strict: 's', unquoted: 'unquoted', utc: 'utc', version: 'v' } };
const opts = {};
const argv = process.argv.slice(2);
let i = 0;
const bad = (m) => { process.stderr.write(prog + ': ' + m + '\\n'); die('try ' + prog + ' --help'); };
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { i++; break; }
  if (a.startsWith('--')) {
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const key = spec.long[name];
    if (!key) bad("unrecognized option '" + a + "'");
    const k = key.replace(/:$/, '');
    if (key.endsWith(':')) {
      if (eq >= 0) opts[k] = a.slice(eq + 1);
      else if (i + 1 < argv.length) opts[k] = argv[++i];
      else bad("option '--" + name + "' requires an argument");
    } else opts[k] = true;
    continue;
  }
  if (a.startsWith('-') && a.length > 1) {
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (spec.flags.includes(c)) { opts[c] = true; continue; }
      if (!spec.withArg.includes(c)) bad("invalid option -- '" + c + "'");
      if (j + 1 < a.length) opts[c] = a.slice(j + 1);
      else if (i + 1 < argv.length) opts[c] = argv[++i];
      else bad("option requires an argument -- '" + c + "'");
      break;
    }
    continue;
  }
  break;
}
const operands = argv.slice(i);
if (opts.v) { console.log('gpiomon (libgpiod) v' + (VERSION === 1 ? '1.6.3' : '2.2.1')); process.exit(0); }
if (opts.h) { console.log('Usage: gpiomon [OPTIONS] ...'); process.exit(0); }

const chips = fs.readFileSync(path.join(dir, 'chips'), 'utf8').split('\\n').filter(Boolean).map((row) => {
  const [name, label, lines] = row.split(' ');
  return { name, label, lines: Number(lines) };
});
const findChip = (id, byLabel) => chips.find((c) => id === c.name || id === '/dev/' + c.name || id === c.name.replace('gpiochip', '') || (byLabel && id === c.label));
const injected = (() => { try { return fs.readFileSync(path.join(dir, 'fail-gpiomon'), 'utf8').trim(); } catch { return ''; } })();

let chip, offsets, activeLow = Boolean(opts.l), rising = true, falling = true, format = opts.F, lineBuffered = VERSION === 2;
if (VERSION === 1) {
  if (opts.B !== undefined && !['as-is', 'disable', 'pull-down', 'pull-up'].includes(opts.B)) die('invalid bias: ' + opts.B);
  if (opts.r && !opts.f) falling = false;
  if (opts.f && !opts.r) rising = false;
  lineBuffered = Boolean(opts.b) || Boolean(process.stdout.isTTY);
  if (operands.length < 1) die('gpiochip must be specified');
  if (operands.length < 2) die('at least one GPIO line offset must be specified');
  for (const o of operands.slice(1)) if (!/^\\d+$/.test(o)) die('invalid GPIO offset: ' + o);
  const errors = { permission: 'Permission denied', busy: 'Device or resource busy', noChip: 'No such file or directory' };
  if (errors[injected]) die('error waiting for events: ' + errors[injected]);
  chip = findChip(operands[0], true);
  if (!chip) die('error waiting for events: No such file or directory');
  offsets = operands.slice(1).map(Number);
  if (offsets.some((o) => o >= chip.lines)) die('error waiting for events: Invalid argument');
} else {
  if (opts.b !== undefined && !['as-is', 'pull-down', 'pull-up', 'disabled'].includes(opts.b)) die('invalid bias: ' + opts.b);
  if (opts.e !== undefined && !['rising', 'falling', 'both'].includes(opts.e)) die('invalid edges: ' + opts.e);
  if (opts.E !== undefined && !['monotonic', 'realtime', 'hte'].includes(opts.E)) die('invalid event clock: ' + opts.E);
  if (opts.p !== undefined && !/^\\d+(us|ms|s|m)?$/.test(opts.p)) die('invalid period: ' + opts.p);
  if (opts.e === 'rising') falling = false;
  if (opts.e === 'falling') rising = false;
  if (operands.length < 1) die('at least one GPIO line must be specified');
  if (opts.c === undefined) die("cannot find line '" + operands[0] + "'");
  if (injected === 'permission') die("unable to open chip '/dev/gpiochip0': Permission denied");
  if (injected === 'busy') die("unable to request lines on chip '/dev/gpiochip0': Device or resource busy");
  chip = findChip(opts.c, false);
  if (!chip || injected === 'noChip') die("cannot find GPIO chip character device '" + opts.c + "'");
  for (const o of operands) if (!/^\\d+$/.test(o)) die("cannot find line '" + o + "'");
  offsets = operands.map(Number);
  for (const o of offsets) if (o >= chip.lines) die('offset ' + o + " is out of range on chip '/dev/" + chip.name + "'");
}

// Events count from here: read before the lines are held, so a holder listed is a monitor that sees the next press.
const eventsFile = path.join(dir, 'events');
let position = fs.statSync(eventsFile).size;

// Hold the lines as the kernel would: a line another live stand-in holds is busy (locks as in take_lock).
const locks = [];
const releaseLocks = () => { for (const l of locks.splice(0)) { try { fs.unlinkSync(l); } catch {} } };
const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
for (const o of offsets) {
  const lock = path.join(dir, 'held-' + chip.name + '-' + o);
  const owner = process.pid + ' gpiomon';
  try { fs.symlinkSync(owner, lock); } catch {
    let holder = 0;
    try { holder = Number(fs.readlinkSync(lock).split(' ')[0]); } catch {}
    const busy = () => { releaseLocks(); die(VERSION === 1 ? 'error waiting for events: Device or resource busy' : "unable to request lines on chip '/dev/" + chip.name + "': Device or resource busy"); };
    if (holder && isAlive(holder)) busy();
    try { fs.unlinkSync(lock); fs.symlinkSync(owner, lock); } catch { busy(); }
  }
  locks.push(lock);
}

// glibc block-buffers stdout into a pipe; v1 without -b shows events only at 4 KiB or at exit.
let buffered = '';
const out = (text) => {
  if (lineBuffered) { fs.writeSync(1, text); return; }
  buffered += text;
  if (buffered.length >= 4096) { fs.writeSync(1, buffered); buffered = ''; }
};
const flush = () => { if (buffered) { try { fs.writeSync(1, buffered); } catch {} buffered = ''; } };
const stop = (signal) => {
  releaseLocks();
  if (VERSION === 1) { flush(); process.exit(0); }
  // v2 has no signal handler: it dies of the signal, unflushed.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('exit', releaseLocks);
if (VERSION === 2 && opts.banner) out(offsets.length > 1 ? 'Monitoring lines ...\\n' : "Monitoring line '" + offsets[0] + "'...\\n");

const wanted = Number(opts.n ?? 0);
let done = 0;
const print = (offset, level) => {
  const isRising = (level === 1) !== activeLow;
  if ((isRising && !rising) || (!isRising && !falling)) return;
  const ns = process.hrtime.bigint();
  const sec = String(ns / 1000000000n);
  const nsec = String(ns % 1000000000n).padStart(9, '0');
  let line;
  if (format === undefined) {
    line = VERSION === 1
      ? 'event: ' + (isRising ? ' RISING EDGE' : 'FALLING EDGE') + ' offset: ' + offset + ' timestamp: [' + sec.padStart(8) + '.' + nsec + ']'
      : sec + '.' + nsec + '\\t' + (isRising ? 'rising' : 'falling') + '\\t' + chip.name + ' ' + offset;
  } else {
    const table = VERSION === 1
      ? { o: String(offset), e: isRising ? '1' : '0', s: sec, n: String(Number(nsec)), '%': '%' }
      : { o: String(offset), l: 'unnamed', c: chip.name, e: isRising ? '1' : '2', E: isRising ? 'rising' : 'falling', S: sec + '.' + nsec,
          U: new Date().toISOString().replace('Z', '000000Z'), L: new Date().toISOString().replace('Z', '000000'), '%': '%' };
    line = format.replace(/%(.)/g, (m, c) => (c in table ? table[c] : m));
  }
  out(line + '\\n');
  if (wanted && ++done >= wanted) { releaseLocks(); flush(); process.exit(0); }
};

let pending = '';
const poll = () => {
  let fd;
  try { fd = fs.openSync(eventsFile, 'r'); } catch { process.exit(0); } // the test is gone
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, position);
    if (n <= 0) break;
    position += n;
    pending += buf.subarray(0, n).toString('utf8');
  }
  fs.closeSync(fd);
  const rows = pending.split('\\n');
  pending = rows.pop();
  for (const row of rows) {
    const [target, level] = row.split(' ');
    for (const o of offsets) if (target === '*' || Number(target) === o) print(o, Number(level));
  }
};
setInterval(poll, 5);
`;
}
