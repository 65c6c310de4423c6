import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import { explainAddonError, failedAddonPackage } from '../../src/doctor/addonLoadError.js';
import { judgeTemperature } from '../../src/doctor/cpuChecks.js';
import { configuredPins } from '../../src/doctor/gpioCheck.js';
import { formatDbfs, pcmLevel } from '../../src/doctor/pcmLevel.js';
import { judgeDisk, judgeMemory, memoryNeededBytes, parseMeminfo } from '../../src/doctor/resourceChecks.js';
import { judgeService, parseSystemctlShow } from '../../src/doctor/systemdCheck.js';
import { judgeThrottled, parseThrottled } from '../../src/doctor/throttleFlags.js';
import { usedModelFiles } from '../../src/doctor/usedModelFiles.js';
import { judgeNodeVersion } from '../../src/doctor/versionChecks.js';
import { decodeThrottled, readThermalZones } from '../../src/system/cpuReadings.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kv-doctor-unit-');

describe('doctor: throttle flags (vcgencmd get_throttled)', () => {
  it('parses the firmware output', () => {
    expect(parseThrottled('throttled=0x0\n')).toBe(0);
    expect(parseThrottled('throttled=0x50005')).toBe(0x50005);
    expect(parseThrottled('throttled=0xE0000')).toBe(0xe0000);
    expect(parseThrottled('VCHI initialization failed')).toBeUndefined();
  });

  it('decodes every documented bit, now and since boot', () => {
    expect(decodeThrottled(0)).toEqual([]);
    expect(decodeThrottled(0xf000f).map((f) => `${f.condition} ${f.when}`)).toEqual([
      'under-voltage now',
      'frequency capped now',
      'throttled now',
      'soft temperature limit now',
      'under-voltage since boot',
      'frequency capped since boot',
      'throttled since boot',
      'soft temperature limit since boot',
    ]);
    // Bits the firmware may add later are not misread as ours.
    expect(decodeThrottled(0x80000000 + 0x4)).toEqual([{ bit: 2, when: 'now', condition: 'throttled' }]);
  });

  it('under-voltage now fails; anything else, now or since boot, warns; nothing is ok', () => {
    expect(judgeThrottled(0)).toMatchObject({ status: 'ok', detail: expect.stringContaining('throttled=0x0') });
    const now = judgeThrottled(0x50005);
    expect(now.status).toBe('fail');
    // The sticky "since boot" bit of a condition that is on now is not repeated.
    expect(now.detail).toBe('now: under-voltage, throttled (throttled=0x50005)');
    expect(now.advice).toMatch(/power supply/);
    expect(now.advice).toMatch(/cool the board/);
    const past = judgeThrottled(0x10000);
    expect(past).toMatchObject({ status: 'warn', detail: 'since boot: under-voltage (throttled=0x10000)' });
    expect(past.advice).not.toMatch(/cool/);
    expect(judgeThrottled(0x80008)).toMatchObject({ status: 'warn', detail: 'now: soft temperature limit (throttled=0x80008)' });
  });
});

describe('doctor: CPU temperature', () => {
  it('the hottest zone decides: warn from 70 °C, fail from 80 °C', () => {
    const zone = (celsius: number) => [{ zone: 'thermal_zone0', type: 'cpu-thermal', celsius }];
    expect(judgeTemperature(zone(69.9))).toEqual({ status: 'ok', detail: 'cpu-thermal 69.9 °C' });
    expect(judgeTemperature(zone(70))).toMatchObject({ status: 'warn', advice: expect.stringMatching(/heatsink/) });
    expect(judgeTemperature(zone(80))).toMatchObject({ status: 'fail' });
    expect(judgeTemperature([...zone(45), { zone: 'thermal_zone1', type: 'gpu', celsius: 75.5 }]).detail).toMatch(/^gpu 75\.5 °C \(also cpu-thermal 45\.0 °C\)/);
    expect(judgeTemperature([])).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no thermal sensor/) });
  });

  it('reads millidegrees and types from a sysfs-shaped tree, skipping unreadable zones', () => {
    const root = tempDir();
    for (const [zone, type, temp] of [
      ['thermal_zone0', 'cpu-thermal', '52123\n'],
      ['thermal_zone1', 'broken', 'n/a\n'],
    ] as const) {
      mkdirSync(join(root, zone));
      writeFileSync(join(root, zone, 'type'), `${type}\n`);
      writeFileSync(join(root, zone, 'temp'), temp);
    }
    mkdirSync(join(root, 'cooling_device0'));
    expect(readThermalZones(root)).toEqual([{ zone: 'thermal_zone0', type: 'cpu-thermal', celsius: 52.123 }]);
    expect(readThermalZones(join(root, 'absent'))).toEqual([]);
  });
});

describe('doctor: memory and disk', () => {
  it('reads MemAvailable and MemTotal in bytes', () => {
    const text = 'MemTotal:        8052700 kB\nMemFree:          100000 kB\nMemAvailable:    6000000 kB\n';
    expect(parseMeminfo(text)).toEqual({ availableBytes: 6000000 * 1024, totalBytes: 8052700 * 1024 });
    expect(parseMeminfo('MemTotal: 1 kB\n').availableBytes).toBeUndefined();
  });

  it('warns below the estimate for the model set, fails when not even the files fit', () => {
    const models = 1.1e9; // the pi5 set
    const needed = memoryNeededBytes(models);
    expect(needed).toBe(1.1e9 * 1.2 + 300e6);
    expect(judgeMemory(needed + 1, models).status).toBe('ok');
    expect(judgeMemory(needed - 1, models)).toMatchObject({ status: 'warn', advice: expect.stringMatching(/smaller model set/) });
    expect(judgeMemory(models - 1, models).status).toBe('fail');
    expect(judgeMemory(6e9, models).detail).toBe('6 GB available; the configured models need about 1.6 GB (1.1 GB of model files × 1.2 + 300 MB for the daemon)');
  });

  it('fails below 100 MB free, warns below 1 GB', () => {
    expect(judgeDisk('state', '/var/lib/kiosk-voice', 99e6, 32e9).status).toBe('fail');
    expect(judgeDisk('state', '/var/lib/kiosk-voice', 500e6, 32e9)).toMatchObject({ status: 'warn', advice: expect.stringMatching(/df -h/) });
    expect(judgeDisk('models', '/m', 20e9, 32e9)).toEqual({ status: 'ok', detail: 'models /m: 20 GB free (63 %)' });
  });
});

describe('doctor: Node version', () => {
  it('fails below 20; 20 works with 22/24 recommended; 22 and 24 are plainly ok', () => {
    expect(judgeNodeVersion('v18.19.0', 'arm64')).toMatchObject({ status: 'fail', detail: 'Node v18.19.0 (arm64): kiosk-voice needs Node 20 or later' });
    expect(judgeNodeVersion('v20.20.2', 'x64')).toEqual({ status: 'ok', detail: 'Node v20.20.2 (x64), supported; 22 or 24 recommended on a Pi (20 is past end of life)' });
    expect(judgeNodeVersion('v22.21.1', 'arm64')).toEqual({ status: 'ok', detail: 'Node v22.21.1 (arm64)' });
    expect(judgeNodeVersion('v24.1.0', 'arm64')).toEqual({ status: 'ok', detail: 'Node v24.1.0 (arm64)' });
    expect(judgeNodeVersion('v23.0.0', 'arm64').detail).toMatch(/not an LTS release/);
  });
});

describe('doctor: native addons', () => {
  // Node 22's own words for an addon built on Node 20, folded onto one line as the child sends it.
  const abiError =
    "The module '/srv/kiosk-voice/node_modules/epoll/build/Release/epoll.node' was compiled against a different Node.js version using " +
    'NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 127. Please try re-compiling or re-installing ' +
    'the module (for instance, using `npm rebuild` or `npm install`).';

  it('an addon of another ABI is said in a few words, naming the package to rebuild', () => {
    expect(explainAddonError(abiError)).toBe('/srv/kiosk-voice/node_modules/epoll/build/Release/epoll.node was built for another Node (ABI 115; this one needs 127)');
    expect(failedAddonPackage(abiError)).toBe('epoll');
    expect(failedAddonPackage("Cannot find module '/x/node_modules/@scope/pkg/build/Release/pkg.node'")).toBe('@scope/pkg');
    expect(explainAddonError('libportaudio.so.2: cannot open shared object file')).toBe('libportaudio.so.2: cannot open shared object file');
    expect(failedAddonPackage('libportaudio.so.2: cannot open shared object file')).toBeUndefined();
  });
});

describe('doctor: the service under systemd', () => {
  const show = (props: Record<string, string>) =>
    judgeService(parseSystemctlShow(Object.entries({ LoadState: 'loaded', UnitFileState: 'enabled', WatchdogUSec: '30s', NRestarts: '0', Result: 'success', ...props }).map(([k, v]) => `${k}=${v}`).join('\n')));

  it('parses `systemctl show` output', () => {
    expect(parseSystemctlShow('ActiveState=active\nSubState=running\nWatchdogUSec=30s\n\nNoEquals\n')).toEqual({ ActiveState: 'active', SubState: 'running', WatchdogUSec: '30s' });
  });

  it('active and running with a watchdog is ok; restarts, no watchdog, starting or stopped warn; failed fails', () => {
    expect(show({ ActiveState: 'active', SubState: 'running' })).toEqual({ status: 'ok', detail: 'active (running), enabled at boot, 0 restarts, watchdog 30s' });
    expect(show({ ActiveState: 'active', SubState: 'running', NRestarts: '3' })).toMatchObject({ status: 'warn', advice: expect.stringMatching(/restarted 3 times: `journalctl -u kiosk-voice.service -b`/) });
    expect(show({ ActiveState: 'active', SubState: 'running', WatchdogUSec: '0' })).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no watchdog/) });
    expect(show({ ActiveState: 'activating', SubState: 'start' }).status).toBe('warn');
    expect(show({ ActiveState: 'inactive', SubState: 'dead', UnitFileState: 'disabled' })).toMatchObject({ status: 'warn', advice: expect.stringMatching(/enable --now/) });
    expect(show({ ActiveState: 'failed', SubState: 'failed', Result: 'watchdog' })).toMatchObject({ status: 'fail', detail: expect.stringMatching(/result watchdog/) });
    expect(show({ LoadState: 'not-found', ActiveState: 'inactive' })).toMatchObject({ status: 'warn', detail: 'kiosk-voice.service is not installed' });
  });

  it("shows the daemon's STATUS= line, and fails while the daemon says it is not healthy", () => {
    expect(show({ ActiveState: 'active', SubState: 'running', StatusText: 'idle · button · mic running 50 fps · 3 turns' })).toEqual({
      status: 'ok',
      detail: 'active (running), enabled at boot, 0 restarts, watchdog 30s; says "idle · button · mic running 50 fps · 3 turns"',
    });
    expect(show({ ActiveState: 'active', SubState: 'running', StatusText: 'not healthy: the brain worker is restarting' })).toMatchObject({
      status: 'fail',
      advice: expect.stringMatching(/pipeline is not alive/),
    });
  });
});

describe('doctor: capture level', () => {
  const s16 = (samples: number[]) => {
    const buffer = Buffer.alloc(samples.length * 2);
    samples.forEach((v, i) => buffer.writeInt16LE(v, i * 2));
    return buffer;
  };

  it('RMS and peak in dBFS over the channels the pipeline uses; digital silence is -∞', () => {
    const sine = Array.from({ length: 1600 }, (_, i) => Math.round(8192 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    const level = pcmLevel(s16(sine), 1);
    expect(level.frames).toBe(1600);
    expect(level.peakDbfs).toBeCloseTo(-12.04, 1);
    expect(level.rmsDbfs).toBeCloseTo(-15.05, 1);
    expect(formatDbfs(level.rmsDbfs)).toBe('-15.1 dBFS');

    const silent = pcmLevel(s16(new Array(320).fill(0)), 1);
    expect(silent.rmsDbfs).toBe(Number.NEGATIVE_INFINITY);
    expect(formatDbfs(silent.peakDbfs)).toBe('-∞ dBFS');
  });

  it('a silent mic channel is not hidden by a loud reference channel beside it', () => {
    // Two channels: 0 is the mic (silent), 1 the playback reference (full scale).
    const frames = s16(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0 : 32767)));
    expect(pcmLevel(frames, 2, [0]).peakDbfs).toBe(Number.NEGATIVE_INFINITY);
    expect(pcmLevel(frames, 2).peakDbfs).toBeCloseTo(0, 2);
    // A trailing partial frame is ignored.
    expect(pcmLevel(Buffer.concat([frames, Buffer.alloc(2)]), 2).frames).toBe(100);
  });
});

describe('doctor: what the configuration uses', () => {
  it('the model files of the selected backends only, resolved against models.dir', () => {
    const config = parseConfig({});
    expect(usedModelFiles(config, '/m').map((f) => [f.setting, f.path, f.kind])).toEqual([
      ['vad.model', '/m/vad/silero_vad_v5.onnx', 'sileroVad'],
      ['asr.pocketsphinx.python', '/usr/bin/python3', 'executable'],
      ['asr.pocketsphinx.hmm', '/usr/share/pocketsphinx/model/en-us/en-us', 'dir'],
      ['asr.pocketsphinx.lm', '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin', 'file'],
      ['asr.pocketsphinx.dict', '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict', 'file'],
      ['llm.model', '/m/llm/stories260K.gguf', 'gguf'],
      // A bare binary name is looked up on PATH, not under models.dir.
      ['tts.espeak.binary', 'espeak-ng', 'executable'],
    ]);
  });

  it('sherpa recognisers, voices and the wake phrase by their roles', () => {
    const config = parseConfig({
      asr: { backend: 'sherpa-online' },
      tts: { backend: 'sherpa', sherpa: { kind: 'vits', files: { model: 'tts/v.onnx', tokens: 'tts/tokens.txt', dataDir: 'tts/espeak-ng-data' } } },
      turn: { wake: { files: { encoder: 'kws/e.onnx', decoder: 'kws/d.onnx', joiner: 'kws/j.onnx', tokens: 'kws/tokens.txt', bpe: 'kws/bpe.model' } } },
    });
    const kinds = Object.fromEntries(usedModelFiles(config, '/m').map((f) => [f.setting, f.kind]));
    expect(kinds).toEqual({
      'vad.model': 'sileroVad',
      'asr.sherpaOnline.encoder': 'onnx',
      'asr.sherpaOnline.decoder': 'onnx',
      'asr.sherpaOnline.joiner': 'onnx',
      'asr.sherpaOnline.tokens': 'asrTokens',
      'llm.model': 'gguf',
      'tts.sherpa.files.model': 'onnx',
      'tts.sherpa.files.tokens': 'file',
      'tts.sherpa.files.dataDir': 'espeakData',
      'turn.wake.files.encoder': 'onnx',
      'turn.wake.files.decoder': 'onnx',
      'turn.wake.files.joiner': 'onnx',
      'turn.wake.files.tokens': 'asrTokens',
      'turn.wake.files.bpe': 'file',
    });
  });

  it('the button and every LED pin, button first', () => {
    const { hw } = parseConfig({ hw: { gpio: { button: { pin: 17 }, leds: { status: 27, micLive: 22 } } } });
    expect(configuredPins(hw.gpio)).toEqual([
      { role: 'button', pin: 17, direction: 'input' },
      { role: 'LED status', pin: 27, direction: 'output' },
      { role: 'LED micLive', pin: 22, direction: 'output' },
    ]);
    expect(configuredPins(parseConfig({}).hw.gpio)).toEqual([]);
  });
});
