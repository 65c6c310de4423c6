import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DaemonHealth } from '../../src/app/KioskDaemon.js';
import { pipelineProblems, statusLine, type LivenessReading } from '../../src/app/pipelineProblems.js';
import { ServiceWatchdog } from '../../src/app/ServiceWatchdog.js';
import { createLogger } from '../../src/logging/createLogger.js';

function healthy(): DaemonHealth {
  return {
    state: 'idle',
    triggerMode: 'open-mic',
    mic: { state: 'running', backend: 'arecord', device: 'kmic', framesPerSecond: 50, xruns: 0, restarts: 0, lastError: undefined },
    micOpen: true,
    workers: (['ears', 'brain', 'mouth'] as const).map((name) => ({ name, state: 'ready' as const, restarts: 0, lastPongAgoMs: 400, lastError: undefined })),
    gpio: 'none',
    turns: 3,
    lastTurn: { path: 'rule', outcome: 'answered', endOfSpeechToFirstAudioMs: 480 },
    uptimeSeconds: 60,
  };
}

const reading = (change: (r: LivenessReading) => void = () => undefined): LivenessReading => {
  const r: LivenessReading = { health: healthy(), stateOverdueMs: 0, lag: { p99Ms: 2, maxMs: 15 } };
  change(r);
  return r;
};

describe('pipelineProblems', () => {
  it('is empty for a healthy pipeline', () => {
    expect(pipelineProblems(reading())).toEqual([]);
  });

  it('names a mic that delivers nothing, unless it was stopped on purpose', () => {
    expect(pipelineProblems(reading((r) => (r.health.mic = { ...r.health.mic, state: 'reopening', framesPerSecond: 0 })))).toEqual([
      'the microphone delivers no audio (reopening)',
    ]);
    expect(pipelineProblems(reading((r) => (r.health.mic = { ...r.health.mic, state: 'stopped', framesPerSecond: 0 })))).toEqual([]);
  });

  it('names a worker that is not ready or has not answered its heartbeat', () => {
    const problems = pipelineProblems(
      reading((r) => {
        r.health.workers[0] = { ...r.health.workers[0]!, state: 'restarting' };
        r.health.workers[1] = { ...r.health.workers[1]!, lastPongAgoMs: 3200 };
      }),
    );
    expect(problems).toEqual(['the ears worker is restarting', 'the brain worker has not answered for 3200 ms']);
  });

  it('names a state stuck past its maximum and a blocked event loop', () => {
    const problems = pipelineProblems(
      reading((r) => {
        r.health.state = 'thinking';
        r.stateOverdueMs = 2500;
        r.lag = { p99Ms: 40, maxMs: 4100 };
      }),
    );
    expect(problems).toEqual(['stuck in thinking for 2500 ms past its maximum', 'the event loop was blocked for 4100 ms']);
  });

  it('makes one STATUS line: the summary, or what is wrong', () => {
    expect(statusLine(healthy(), [])).toBe('idle · open-mic · mic running 50 fps · 3 turns · last answer 480 ms');
    expect(statusLine(healthy(), ['a', 'b'])).toBe('not healthy: a; b');
  });
});

describe('ServiceWatchdog', () => {
  afterEach(() => void vi.useRealTimers());

  it('feeds the watchdog on each check while alive, withholds it while not, and says so once per change', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger('info');
    logger.warn = ((_: unknown, msg: string) => void lines.push({ level: 40, msg })) as typeof logger.warn;
    logger.info = ((_: unknown, msg: string) => void lines.push({ level: 30, msg })) as typeof logger.info;
    let overdue = 0;
    // WatchdogSec=0.08 s: a check every 20 ms.
    const watchdog = new ServiceWatchdog({
      notifier: { watchdog: () => sent.push('W'), status: (text) => sent.push(text.startsWith('not healthy') ? 'sick' : 'fine') },
      subject: { health: healthy, stateOverdueMs: () => overdue },
      watchdogUsec: 80_000,
      logger,
    });
    watchdog.start();
    vi.advanceTimersByTime(40);
    overdue = 5000;
    vi.advanceTimersByTime(40);
    overdue = 0;
    vi.advanceTimersByTime(20);
    watchdog.stop();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual(['W', 'fine', 'W', 'fine', 'sick', 'sick', 'W', 'fine']);
    expect(lines).toEqual([
      { level: 40, msg: 'the pipeline is not alive: the systemd watchdog is not fed until it is' },
      { level: 30, msg: 'the pipeline is alive again' },
    ]);
  });
});
