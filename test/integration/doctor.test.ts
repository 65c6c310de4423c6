import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckStatus } from '../../src/doctor/DoctorCheck.js';
import { DOCTOR_CHECKS } from '../../src/doctor/doctorChecks.js';
import type { DoctorReport } from '../../src/doctor/doctorReport.js';
import { FrontDeskDatabase } from '../../src/storage/FrontDeskDatabase.js';
import { createFakeAlsa, requireTools, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { createFakeGpiod, type FakeGpiod } from '../helpers/fakeGpiod.js';
import { runCli, type CliResult } from '../helpers/runCli.js';
import { repoRoot, sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

// `kiosk-voice doctor` as a process, against what this machine has: no sound card, no GPIO, no
// systemd as PID 1, no thermal zones, no vcgencmd. The fake devices are real ALSA file plugins; the
// GPIO lines are the stand-in libgpiod tools; the models are the shared test set.

const tempDir = useTempDirs('kv-doctor-');
const CHECK_NAMES = DOCTOR_CHECKS.map((check) => check.name);
/** The checks left out when the configuration does not load. */
const CONFIG_FREE = DOCTOR_CHECKS.filter((check) => !check.needsConfig).map((check) => check.name);

let alsa: FakeAlsa | undefined;
let gpiod: FakeGpiod | undefined;
afterEach(async () => {
  await alsa?.close();
  await gpiod?.close();
  alsa = gpiod = undefined;
});

/** A HOME without .asoundrc: ALSA then has only its built-in PCMs, and `default` has no card. */
function bareHome(): string {
  return tempDir();
}

async function doctor(args: string[], env: NodeJS.ProcessEnv = { HOME: bareHome() }): Promise<CliResult> {
  return runCli(['doctor', ...args], { env });
}

/** Runs `doctor --json` and checks the report is exactly one well-formed JSON object on stdout. */
async function doctorJson(args: string[], env?: NodeJS.ProcessEnv): Promise<{ report: DoctorReport; result: CliResult; byName: Map<string, DoctorReport['checks'][number]> }> {
  const result = await doctor(['--json', ...args], env);
  const report = JSON.parse(result.stdout) as DoctorReport;
  expect(Object.keys(report).sort()).toEqual(['checks', 'exitCode', 'worst']);
  for (const check of report.checks) {
    expect(Object.keys(check).every((k) => ['name', 'status', 'detail', 'advice'].includes(k))).toBe(true);
    expect(['ok', 'warn', 'fail']).toContain(check.status);
    expect(check.detail.length).toBeGreaterThan(0);
    expect(check.detail).not.toMatch(/\n|\bat .+:\d+:\d+\)/);
    // Every warning and failure says what to do.
    if (check.status !== 'ok') expect(check.advice, `${check.name}: ${check.detail}`).toMatch(/\w/);
  }
  const rank: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };
  const worst = report.checks.reduce<CheckStatus>((w, c) => (rank[c.status] > rank[w] ? c.status : w), 'ok');
  expect(report.worst).toBe(worst);
  expect(report.exitCode).toBe(rank[worst]);
  expect(result.code, result.stderr).toBe(report.exitCode);
  return { report, result, byName: new Map(report.checks.map((c) => [c.name, c])) };
}

const testSet = ['--models', 'test', '--models-dir', sharedModelsDir];

/**
 * Processes still running with `home` as HOME: doctor passes its environment to every capture,
 * player and addon child, so after it exits there must be none (the fake mic's feeders keep the
 * test's own HOME).
 */
function processesWithHome(home: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HOME=${home}`)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}

/** A 440 Hz tone at a quarter of full scale (RMS -15.1 dBFS, peak -12.0 dBFS), looped by the fake mic. */
function tone(seconds: number): Int16Array {
  return Int16Array.from({ length: 16000 * seconds }, (_, i) => Math.round(8192 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
}

describe('kiosk-voice doctor on this machine (no sound card, no GPIO, no systemd)', () => {
  it('--json: one well-formed report; the default audio devices fail with advice; the exit code is 2', async () => {
    sharedFile('vad/silero_vad_v5.onnx');
    const { report, result, byName } = await doctorJson(testSet);
    expect(report.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
    // Nothing but the report on stdout, and nothing at all on stderr: no log, no ALSA chatter, no trace.
    expect(result.stderr).toBe('');
    expect(report).toMatchObject({ worst: 'fail', exitCode: 2 });

    expect(byName.get('audio capture')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^"default" gives no audio — naudiodon: .+; arecord: .+/) });
    expect(byName.get('audio capture')!.advice).toMatch(/kiosk-voice devices/);
    expect(byName.get('audio playback')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^"default" cannot play — naudiodon: .+; aplay: .+/) });
    expect(byName.get('audio playback')!.advice).toMatch(/kiosk-voice devices/);

    expect(byName.get('config')).toEqual({ name: 'config', status: 'ok', detail: `no config file (built-in defaults), model set "test"; models in ${sharedModelsDir}` });
    // No pins configured: nothing to claim, and the line says there is no chip either.
    expect(byName.get('gpio')).toEqual({ name: 'gpio', status: 'ok', detail: 'not configured (no button or LED pins in hw.gpio); no /dev/gpiochip* here' });
    expect(byName.get('models')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^7 files, .*: 2 match the manifest's sha256, 5 present .*; engine start-up checks pass$/) });
    expect(byName.get('mqtt')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^off \(mqtt.url is not set\)/) });
    // A bare HOME: the default database would be made in its state directory at the kiosk's first start.
    expect(byName.get('database')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^no database at \/.+\/frontdesk\.sqlite yet; the kiosk creates it when it starts$/) });
    expect(byName.get('cpu temperature')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no thermal sensor/) });
    expect(byName.get('throttling')).toEqual({ name: 'throttling', status: 'ok', detail: 'not a Raspberry Pi (vcgencmd not found)' });
    expect(byName.get('memory')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/available; the configured models need about/) });
    expect(byName.get('disk')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`models ${sharedModelsDir}: `) });
    expect(byName.get('node')).toMatchObject({ status: 'ok', detail: expect.stringContaining(process.version) });
    expect(byName.get('libraries')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/node-llama-cpp 3\.22\.1, sherpa-onnx-node 1\.13\.8, naudiodon .+, onoff .+, mqtt .+, pino .+/) });
    expect(byName.get('native addons')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^sherpa-onnx-node, node-llama-cpp, naudiodon, onoff load/) });
    // In a container without systemd as PID 1: no hang, no systemctl error, one ok line.
    expect(byName.get('systemd')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^not running under systemd here/) });
  }, 60_000);

  it('with the fake ALSA mic and speaker the audio checks pass: frames and level read, silence played (auto: naudiodon)', async () => {
    alsa = await createFakeAlsa({ mics: { doctormic: { audio: tone(2), rate: 16000, channels: 1, then: 'loop' } } });
    const { byName } = await doctorJson([...testSet, '--input-device', 'doctormic', '--output-device', alsa.speakerPcm], alsa.env);
    expect(byName.get('audio capture')).toEqual({
      name: 'audio capture',
      status: 'ok',
      detail: '"doctormic" via naudiodon: 10 frames of 20 ms at 16000 Hz × 1 ch, RMS -15.1 dBFS, peak -12.0 dBFS',
    });
    expect(byName.get('audio playback')).toEqual({ name: 'audio playback', status: 'ok', detail: '"kspk" via naudiodon: played 100 ms of silence at 16000 Hz' });
    // What was played reached the fake speaker (the file plugin writes whole periods of it).
    expect(statSync(alsa.speakerFile).size).toBeGreaterThanOrEqual(3200);
    expect(processesWithHome(alsa.home)).toEqual([]);
  }, 60_000);

  it('a device only arecord/aplay can open is a warning naming why naudiodon could not; a mic of exact zeros is one too', async () => {
    alsa = await createFakeAlsa({
      mics: {
        doctormic: { audio: tone(2), rate: 16000, channels: 1, then: 'loop' },
        doctorquiet: { audio: new Int16Array(16000), rate: 16000, channels: 1 },
      },
    });
    // PortAudio opens only the names it lists; ALSA builds `plug:<pcm>` on demand.
    const fallback = await doctorJson([...testSet, '--input-device', 'plug:doctormic', '--output-device', `plug:${alsa.speakerPcm}`], alsa.env);
    expect(fallback.byName.get('audio capture')).toEqual({
      name: 'audio capture',
      status: 'warn',
      detail: expect.stringMatching(/^"plug:doctormic" via arecord: 10 frames of 20 ms at 16000 Hz × 1 ch, RMS -15\.1 dBFS, peak -12\.0 dBFS; naudiodon: .*plug:doctormic/),
      advice: 'the daemon falls back to arecord after 3 failed opens at every start: set audio.capture.backend: arecord',
    });
    expect(fallback.byName.get('audio playback')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^"plug:kspk" via aplay: played 100 ms of silence at 16000 Hz; naudiodon: /),
      advice: 'the daemon falls back to aplay at every start: set audio.playback.backend: aplay',
    });

    const quiet = await doctorJson([...testSet, '--input-device', 'doctorquiet', '--output-device', alsa.speakerPcm], alsa.env);
    expect(quiet.byName.get('audio capture')).toMatchObject({
      status: 'warn',
      detail: '"doctorquiet" via naudiodon: 10 frames of 20 ms at 16000 Hz × 1 ch, digital silence (every sample is 0)',
      advice: expect.stringMatching(/mute switch/),
    });
    expect(processesWithHome(alsa.home)).toEqual([]);
  }, 60_000);

  it('the arecord and aplay backends pass too, and plain output is one aligned line per check', async () => {
    alsa = await createFakeAlsa({ mics: { doctormic: { audio: tone(2), rate: 16000, channels: 1, then: 'loop' } } });
    const config = join(alsa.home, 'kiosk.yaml');
    writeFileSync(config, 'audio:\n  capture: { backend: arecord }\n  playback: { backend: aplay }\n');
    const result = await doctor(['-c', config, ...testSet, '--input-device', 'doctormic', '--output-device', alsa.speakerPcm], alsa.env);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(CHECK_NAMES.length);
    const width = Math.max(...CHECK_NAMES.map((n) => n.length));
    lines.forEach((line, i) => {
      const name = CHECK_NAMES[i]!;
      expect(line).toMatch(new RegExp(`^(ok  |warn|fail)  ${name.padEnd(width)}  \\S`));
    });
    expect(lines[1]).toBe('ok    audio capture    "doctormic" via arecord: 10 frames of 20 ms at 16000 Hz × 1 ch, RMS -15.1 dBFS, peak -12.0 dBFS');
    expect(lines[2]).toBe('ok    audio playback   "kspk" via aplay: played 100 ms of silence at 16000 Hz');
    // Everything this machine has passes: the exit code is 0.
    expect(lines.filter((l) => !l.startsWith('ok  '))).toEqual([]);
    expect(result.code).toBe(0);
    expect(processesWithHome(alsa.home)).toEqual([]);
  }, 60_000);

  it('a capture device that hangs (a FIFO nobody writes) is a fail line after its timeout, not a hung doctor, and no arecord is left', async () => {
    requireTools('arecord');
    const home = tempDir();
    const fifo = join(home, 'hung.fifo');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(join(home, '.asoundrc'), `pcm.doctorhang { type file; slave.pcm "null"; file "/dev/null"; infile "${fifo}"; format "raw" }\n`);
    const config = join(home, 'kiosk.yaml');
    writeFileSync(config, 'audio:\n  capture: { backend: arecord }\n  playback: { backend: aplay }\n');
    const { byName } = await doctorJson(['-c', config, ...testSet, '--input-device', 'doctorhang', '--output-device', 'null'], { HOME: home });
    expect(byName.get('audio capture')).toMatchObject({
      status: 'fail',
      detail: '"doctorhang" gives no audio — arecord: capture device "doctorhang" delivered no audio within 5000 ms of opening',
      advice: expect.stringMatching(/no other program holds the device/),
    });
    // ALSA's null PCM swallows audio: the playback check passes on it.
    expect(byName.get('audio playback')).toMatchObject({ status: 'ok', detail: '"null" via aplay: played 100 ms of silence at 16000 Hz' });
    expect(processesWithHome(home)).toEqual([]);
    // …and the look-up does see a process with that HOME when there is one.
    const sleeper = spawn('sleep', ['30'], { env: { ...process.env, HOME: home }, stdio: 'ignore' });
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    expect(processesWithHome(home)).toEqual([`${sleeper.pid} sleep 30 `]);
    sleeper.kill();
  }, 60_000);
});

describe('kiosk-voice doctor: GPIO', () => {
  const pinsConfig = (dir: string, backend = 'auto') => {
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(file, `hw:\n  gpio:\n    backend: ${backend}\n    button: { pin: 17 }\n    leds: { status: 27 }\n`);
    return file;
  };

  it('pins configured on a machine without GPIO: a fail line saying what is missing and what to do', async () => {
    const { byName } = await doctorJson(['-c', pinsConfig(tempDir()), ...testSet]);
    const gpio = byName.get('gpio')!;
    expect(gpio.status).toBe('fail');
    expect(gpio.detail).toBe(
      'button BCM 17, LED status BCM 27 configured, but no GPIO backend works: no /dev/gpiochip* here; ' +
        'gpiod: the libgpiod tools (gpioset, gpiomon) are not on PATH; onoff: /sys/class/gpio does not exist: this kernel offers no sysfs GPIO',
    );
    expect(gpio.advice).toMatch(/sudo apt install gpiod.*remove the pins from hw\.gpio or set hw\.gpio\.backend: none/);
  }, 60_000);

  it('database: a sound file says what it holds; a file that is not a database is a fail line with what to do', async () => {
    const dir = tempDir();
    const path = join(dir, 'frontdesk.sqlite');
    const db = FrontDeskDatabase.open(path);
    db.appointments.book({ serviceId: 'checkup', resourceId: 'nurse-room', startUtc: '2027-01-04T10:00:00.000Z', endUtc: '2027-01-04T10:30:00.000Z', blockedUntilUtc: '2027-01-04T10:30:00.000Z', timezone: 'Europe/London' });
    db.gaps.record('where is the nearest pharmacy');
    db.close();
    writeFileSync(join(dir, 'good.yaml'), `storage:\n  path: ${path}\n`);
    let { byName } = await doctorJson(['-c', join(dir, 'good.yaml'), ...testSet]);
    expect(byName.get('database')).toEqual({ name: 'database', status: 'ok', detail: `${path}: sound; 1 upcoming or past appointment booked, 0 leads, 1 unanswered questions` });
    writeFileSync(join(dir, 'junk.sqlite'), 'this is not a database, just some text that is long enough to look like a header');
    writeFileSync(join(dir, 'junk.yaml'), `storage:\n  path: ${join(dir, 'junk.sqlite')}\n`);
    ({ byName } = await doctorJson(['-c', join(dir, 'junk.yaml'), ...testSet]));
    expect(byName.get('database')).toMatchObject({ status: 'fail', detail: expect.stringContaining('junk.sqlite'), advice: expect.any(String) });
  }, 60_000);

  it('with the libgpiod tools (stand-ins on PATH) every pin is claimed and released, the LED left off', async () => {
    gpiod = createFakeGpiod({ version: 2 });
    const { byName } = await doctorJson(['-c', pinsConfig(tempDir()), ...testSet], { HOME: bareHome(), PATH: gpiod.env.PATH, KIOSK_FAKE_GPIO_DIR: gpiod.stateDir });
    expect(byName.get('gpio')).toEqual({
      name: 'gpio',
      status: 'ok',
      detail: 'gpiod (libgpiod v2 tools, gpiodetect lists gpiochip0 [pinctrl-rp1]): claimed and released button BCM 17, LED status BCM 27',
    });
    expect(gpiod.holders()).toEqual([]);
    expect(gpiod.setLog().map((s) => [s.line, s.value])).toEqual([[27, 0]]);
  }, 60_000);

  it('a gpiochip this user may not open is named with its owner and mode, and the group to join', () => {
    // As an unprivileged user (root may open anything), against nodes with a gpiochip's permissions.
    const dir = tempDir();
    chmodSync(dir, 0o755);
    for (const name of ['gpiochip0', 'gpiochip4']) {
      writeFileSync(join(dir, name), '');
      chmodSync(join(dir, name), 0o660);
    }
    const script =
      `const m = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/doctor/gpioChips.js')).href)});` +
      `const chips = m.listGpioChips(${JSON.stringify(dir)});` +
      'console.log(JSON.stringify({ chips, problem: m.chipAccessProblem(chips[0]) }));';
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    const { chips, problem } = JSON.parse(out) as { chips: { path: string; accessible: boolean; owner: string }[]; problem: { detail: string; advice: string } };
    expect(chips.map((c) => [c.path, c.accessible, c.owner])).toEqual([
      [join(dir, 'gpiochip0'), false, 'root:root 660'],
      [join(dir, 'gpiochip4'), false, 'root:root 660'],
    ]);
    expect(problem.detail).toBe(`${join(dir, 'gpiochip0')} (root:root 660) cannot be opened by nobody, who is not in the root group`);
    expect(problem.advice).toMatch(/^add the user to the group: `sudo usermod -aG root nobody`, then log in again \(the service gets it from SupplementaryGroups=root\)$/);
  });

  it('a line held by another program is a fail line naming the pin, with what to do', async () => {
    gpiod = createFakeGpiod({ version: 1 });
    gpiod.fail('gpioset', 'busy');
    const { byName } = await doctorJson(['-c', pinsConfig(tempDir(), 'gpiod'), ...testSet], { HOME: bareHome(), PATH: gpiod.env.PATH, KIOSK_FAKE_GPIO_DIR: gpiod.stateDir });
    const gpio = byName.get('gpio')!;
    expect(gpio.status).toBe('fail');
    expect(gpio.detail).toMatch(/^gpiod \(libgpiod v1 tools, .*\): claimed button BCM 17, but LED status BCM 27: gpioset could not drive BCM 27 on gpiochip0: .*busy/i);
    expect(gpio.advice).toMatch(/gpioinfo gpiochip0.*sudo systemctl stop kiosk-voice/);
    expect(gpiod.holders()).toEqual([]);
  }, 60_000);
});

describe('kiosk-voice doctor: model files', () => {
  /** The test set fetched into a directory of its own, the way an operator would (copies from the mirror). */
  async function fetchTestSet(dir: string): Promise<void> {
    const fetched = await runCli(['models', 'fetch', '--set', 'test', '--dir', dir], { env: { KIOSK_MODELS_MIRROR: sharedModelsDir } });
    expect(fetched.code, fetched.stderr).toBe(0);
  }

  it('a corrupted and a missing file fail the check by name; the fetch it advises makes it pass again', async () => {
    const dir = tempDir();
    await fetchTestSet(dir);
    const args = ['--models', 'test', '--models-dir', dir];
    expect((await doctorJson(args)).byName.get('models')?.status).toBe('ok');

    // One byte flipped in the middle of the LLM: same size, other hash.
    const gguf = join(dir, 'llm/stories260K.gguf');
    const fd = openSync(gguf, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, 500_000);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, 500_000);
    closeSync(fd);
    rmSync(join(dir, 'vad/silero_vad_v5.onnx'));

    const { byName, report } = await doctorJson(args);
    const models = byName.get('models')!;
    expect(models.status).toBe('fail');
    expect(models.detail).toMatch(/^2 of 7 model files bad: vad\/silero_vad_v5\.onnx \(vad\.model\): missing; llm\/stories260K\.gguf \(llm\.model\): sha256 [0-9a-f]{64}, the manifest says 270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d$/);
    expect(models.advice).toBe(`run \`kiosk-voice models fetch --set test --dir ${dir}\` to replace them`);
    expect(report.exitCode).toBe(2);

    await fetchTestSet(dir);
    expect((await doctorJson(args)).byName.get('models')).toMatchObject({ status: 'ok' });
  }, 90_000);

  it('files outside the manifest still get the engines\' start-up checks: a GGUF that is not one, a VAD that is not Silero', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'llm'));
    writeFileSync(join(dir, 'llm/notes.gguf'), 'these are my notes, not a model\n');
    const config = join(dir, 'kiosk.yaml');
    // The LLM where a VAD should be: an ONNX parser would not accept it, the GGUF check would.
    writeFileSync(config, `models: { dir: ${dir} }\nvad: { model: ${sharedFile('llm/stories260K.gguf')} }\nllm: { model: llm/notes.gguf }\n`);
    const models = (await doctorJson(['-c', config])).byName.get('models')!;
    expect(models.status).toBe('fail');
    expect(models.detail).toContain(`vad.model (${sharedFile('llm/stories260K.gguf')}) is not an ONNX model`);
    expect(models.detail).toContain(`llm.model (${join(dir, 'llm/notes.gguf')}) is not a GGUF model (it starts with "thes")`);
    expect(models.advice).toMatch(/not all in the manifest, so `kiosk-voice models fetch` cannot/);
  }, 60_000);
});

describe('kiosk-voice doctor: bad input', () => {
  it('an unknown flag or a missing value is one line on stderr and exit code 2', async () => {
    for (const [args, said] of [
      [['--bogus'], "unknown option '--bogus'"],
      [['--config'], "option '-c, --config <file>' argument missing"],
    ] as const) {
      const result = await doctor([...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`kiosk-voice doctor: ${said} — see \`kiosk-voice doctor --help\`\n`);
    }
  }, 30_000);

  it('a configuration that does not load is the config line failing; the checks that need it are left out, the rest still run', async () => {
    const { report, byName } = await doctorJson(['--models', 'nope']);
    expect(report.checks.map((c) => c.name)).toEqual(CONFIG_FREE);
    expect(byName.get('config')).toEqual({
      name: 'config',
      status: 'fail',
      detail: 'unknown model set "nope"',
      advice: 'use one of: test, pi5, pi5-offline-asr, pi4; the checks that need the configuration were not run',
    });
    expect(report.exitCode).toBe(2);
  }, 30_000);

  it('--help documents the exit codes', async () => {
    const result = await doctor(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Exit code: 0 when every check is ok, 1 when the worst is a warning, 2 when a check failed/);
  }, 30_000);
});
