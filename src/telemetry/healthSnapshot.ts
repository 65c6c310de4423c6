import { freemem, loadavg, totalmem } from 'node:os';
import type { DaemonHealth } from '../app/KioskDaemon.js';
import { decodeThrottled, GET_THROTTLED_FILE, readThermalZones, readThrottled, THERMAL_ROOT } from '../system/cpuReadings.js';

/** Where the kernel's readings are; tests point these at temp trees shaped like sysfs. */
export interface SystemReader {
  thermalRoot: string;
  throttledFile: string;
}

const SYSFS: SystemReader = { thermalRoot: THERMAL_ROOT, throttledFile: GET_THROTTLED_FILE };

/** What the daemon knows beyond its own health, passed in by whoever publishes. */
export interface HealthInput {
  daemon: DaemonHealth;
  version: string;
  /** Model ids by role (asr, llm, tts…). */
  models: Record<string, string>;
  /** Playback volume now (0–2). */
  volume: number;
  /** The wake phrase's detection threshold now, for Home Assistant's wake-sensitivity number. */
  wakeThreshold: number;
  /** When a turn was last answered (ISO 8601). */
  lastAnsweredAt?: string;
}

/** What `<base>/health` carries: JSON values only, and nothing secret. */
export interface HealthPayload {
  uptimeSeconds: number;
  state: DaemonHealth['state'];
  mic: {
    state: DaemonHealth['mic']['state'];
    framesPerSecond: number;
    xruns: number;
    restarts: number;
    backend?: NonNullable<DaemonHealth['mic']['backend']>;
    device: string;
  };
  workers: { name: string; state: DaemonHealth['workers'][number]['state']; heartbeatAgeMs?: number; restarts: number }[];
  lastAnsweredAt?: string;
  turns: number;
  /** Each field only where this machine exposes it (a Pi has both; a container often neither). */
  cpu: { temperatureC?: number; throttled?: { raw: string; flags: string[] } };
  memory: { rssBytes: number; heapUsedBytes: number; systemFreeBytes: number; systemTotalBytes: number };
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number];
  models: Record<string, string>;
  version: string;
  volume: number;
  wakeThreshold: number;
}

const tenth = (value: number) => Math.round(value * 10) / 10;
const hundredth = (value: number) => Math.round(value * 100) / 100;

/** CPU heat (the hottest zone) and the Pi firmware's throttle flags, where the machine has them. */
export function cpuReadings(system: SystemReader = SYSFS): HealthPayload['cpu'] {
  const cpu: HealthPayload['cpu'] = {};
  const zones = readThermalZones(system.thermalRoot);
  // The hottest zone, as the doctor judges it: that is the one that makes the firmware throttle.
  if (zones.length > 0) cpu.temperatureC = tenth(Math.max(...zones.map((zone) => zone.celsius)));
  const throttled = readThrottled(system.throttledFile);
  if (throttled !== undefined) {
    cpu.throttled = { raw: `0x${throttled.toString(16)}`, flags: decodeThrottled(throttled).map((flag) => `${flag.condition} ${flag.when}`) };
  }
  return cpu;
}

/** A snapshot of the kiosk's health for MQTT: the daemon's parts, CPU heat and throttling, memory and load. */
export function collectHealth(input: HealthInput, system: SystemReader = SYSFS): HealthPayload {
  const { daemon } = input;
  const { mic } = daemon;
  const memory = process.memoryUsage();
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg().map(hundredth);
  return {
    uptimeSeconds: daemon.uptimeSeconds,
    state: daemon.state,
    mic: {
      state: mic.state,
      framesPerSecond: tenth(mic.framesPerSecond),
      xruns: mic.xruns,
      restarts: mic.restarts,
      ...(mic.backend === undefined ? {} : { backend: mic.backend }),
      device: mic.device,
    },
    workers: daemon.workers.map((worker) => ({
      name: worker.name,
      state: worker.state,
      ...(worker.lastPongAgoMs === undefined ? {} : { heartbeatAgeMs: Math.round(worker.lastPongAgoMs) }),
      restarts: worker.restarts,
    })),
    ...(input.lastAnsweredAt === undefined ? {} : { lastAnsweredAt: input.lastAnsweredAt }),
    turns: daemon.turns,
    cpu: cpuReadings(system),
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, systemFreeBytes: freemem(), systemTotalBytes: totalmem() },
    load: [load1, load5, load15],
    models: { ...input.models },
    version: input.version,
    volume: input.volume,
    wakeThreshold: input.wakeThreshold,
  };
}
