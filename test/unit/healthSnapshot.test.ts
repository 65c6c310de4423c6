import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DaemonHealth } from '../../src/app/KioskDaemon.js';
import { collectHealth, type HealthInput, type SystemReader } from '../../src/telemetry/healthSnapshot.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kv-health-unit-');

const daemon: DaemonHealth = {
  state: 'listening',
  triggerMode: 'wake',
  mic: { state: 'running', backend: 'arecord', device: 'default', framesPerSecond: 49.96, xruns: 2, restarts: 1, lastError: 'arecord: read error' },
  micOpen: true,
  workers: [
    { name: 'ears', state: 'ready', restarts: 0, lastPongAgoMs: 812.6, lastError: undefined },
    { name: 'brain', state: 'restarting', restarts: 3, lastPongAgoMs: undefined, lastError: 'worker exited with code 1' },
  ],
  gpio: 'none',
  turns: 12,
  lastTurn: { path: 'llm', outcome: 'answered', endOfSpeechToFirstAudioMs: 640 },
  uptimeSeconds: 3600,
};

const input: HealthInput = {
  daemon,
  version: '0.1.0',
  models: { asr: 'pocketsphinx-en-us', llm: 'stories260K', tts: 'espeak-ng' },
  volume: 0.8,
  wakeThreshold: 0.25,
  lastAnsweredAt: '2026-12-01T10:00:00.000Z',
};

/** A sysfs-shaped tree: thermal zones with millidegree readings and the firmware's get_throttled file. */
function sysfs(options: { zones?: Record<string, [type: string, temp: string]>; throttled?: string }): SystemReader {
  const root = tempDir();
  const thermalRoot = join(root, 'class/thermal');
  mkdirSync(thermalRoot, { recursive: true });
  for (const [zone, [type, temp]] of Object.entries(options.zones ?? {})) {
    mkdirSync(join(thermalRoot, zone));
    writeFileSync(join(thermalRoot, zone, 'type'), `${type}\n`);
    writeFileSync(join(thermalRoot, zone, 'temp'), `${temp}\n`);
  }
  const firmware = join(root, 'devices/platform/soc/soc:firmware');
  mkdirSync(firmware, { recursive: true });
  if (options.throttled !== undefined) writeFileSync(join(firmware, 'get_throttled'), `${options.throttled}\n`);
  return { thermalRoot, throttledFile: join(firmware, 'get_throttled') };
}

describe('collectHealth', () => {
  it('reads the hottest thermal zone and decodes the firmware throttle flags', () => {
    const system = sysfs({ zones: { thermal_zone0: ['cpu-thermal', '61234'], thermal_zone1: ['gpu', '48000'] }, throttled: '50005' });
    const health = collectHealth(input, system);
    expect(health.cpu).toEqual({
      temperatureC: 61.2,
      throttled: { raw: '0x50005', flags: ['under-voltage now', 'throttled now', 'under-voltage since boot', 'throttled since boot'] },
    });
  });

  it('accepts the value with a 0x prefix, and reports no flags for 0', () => {
    expect(collectHealth(input, sysfs({ throttled: '0x50005' })).cpu.throttled?.raw).toBe('0x50005');
    expect(collectHealth(input, sysfs({ throttled: '0' })).cpu.throttled).toEqual({ raw: '0x0', flags: [] });
  });

  it('leaves out what the machine does not expose or cannot be read', () => {
    expect(collectHealth(input, sysfs({})).cpu).toEqual({});
    expect(collectHealth(input, sysfs({ zones: { thermal_zone0: ['cpu-thermal', 'n/a'] }, throttled: 'garbage' })).cpu).toEqual({});
    const json = JSON.stringify(collectHealth(input, sysfs({})));
    expect(JSON.parse(json).cpu).toEqual({});
  });

  it('summarises the daemon, mic and workers, and passes on version, models, volume and wake threshold', () => {
    const health = collectHealth(input, sysfs({}));
    expect(health).toMatchObject({
      uptimeSeconds: 3600,
      state: 'listening',
      mic: { state: 'running', framesPerSecond: 50, xruns: 2, restarts: 1, backend: 'arecord', device: 'default' },
      workers: [
        { name: 'ears', state: 'ready', heartbeatAgeMs: 813, restarts: 0 },
        { name: 'brain', state: 'restarting', restarts: 3 },
      ],
      lastAnsweredAt: '2026-12-01T10:00:00.000Z',
      turns: 12,
      models: input.models,
      version: '0.1.0',
      volume: 0.8,
      wakeThreshold: 0.25,
    });
    expect(health.workers[1]).not.toHaveProperty('heartbeatAgeMs');
    expect(health.memory.rssBytes).toBeGreaterThan(0);
    expect(health.memory.heapUsedBytes).toBeGreaterThan(0);
    expect(health.memory.systemTotalBytes).toBeGreaterThanOrEqual(health.memory.systemFreeBytes);
    expect(health.load).toHaveLength(3);
    for (const load of health.load) expect(load).toBeGreaterThanOrEqual(0);
  });

  it('is plain JSON and carries no error text', () => {
    const health = collectHealth({ ...input, lastAnsweredAt: undefined }, sysfs({}));
    const json = JSON.stringify(health);
    expect(JSON.parse(json)).toEqual(health);
    expect(json).not.toMatch(/null|NaN|read error|exited with code/);
    expect(health).not.toHaveProperty('lastAnsweredAt');
  });
});
