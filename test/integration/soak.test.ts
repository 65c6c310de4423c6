import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SoakReport } from '../../src/bench/soakReport.js';
import { repoRoot } from '../helpers/sharedModels.js';

/**
 * The CI-sized soak: `scripts/soak.ts` (what `npm run soak` runs) through the real daemon with the
 * fake ALSA devices, asserting the soak targets. 60 turns take about 4 minutes here. The warm-up is
 * the first 20 turns: the daemon's RSS settles within ~10 turns (lazy compilation, the V8 heap
 * sizing itself, the model's context filling) and is flat after that, so 40 measured turns can
 * show a leak of a few tens of KB per turn, not a slow one: that takes the 1000-turn run (README).
 */
const TURNS = 60;
const WARM_UP = 20;

function runSoak(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsx = resolve(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [tsx, resolve(repoRoot, 'scripts/soak.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT'); // the soak stops its daemon and fake devices on SIGINT
      fail(new Error(`the soak did not finish within ${timeoutMs / 1000} s; its progress:\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`);

describe('soak (CI size) through the real daemon', () => {
  it(`answers ${TURNS} questions in a row with flat memory, fds and processes and a responsive event loop`, async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runSoak(['--turns', String(TURNS), '--warm-up', String(WARM_UP), '--json'], 9 * 60_000);
    let report: SoakReport;
    try {
      report = JSON.parse(stdout) as SoakReport;
    } catch {
      throw new Error(`the soak printed no report (exit code ${code}); its output:\n${stderr}`);
    }
    console.log(
      [
        `soak, ${TURNS} turns (warm-up ${WARM_UP}) in ${Math.round((Date.now() - started) / 1000)} s:`,
        `  daemon RSS ${mb(report.rssBytes.warmUp)} → ${mb(report.rssBytes.end)} (${report.rssBytes.growthPct?.toFixed(1)} %)` +
          `, with children ${mb(report.treeRssBytes.warmUp)} → ${mb(report.treeRssBytes.end)} (${report.treeRssBytes.growthPct?.toFixed(1)} %)`,
        `  heap ${mb(report.heapUsedBytes.warmUp)} → ${mb(report.heapUsedBytes.end)}; fds ${report.openFds.warmUp} → ${report.openFds.end}` +
          `; processes ${report.processes.warmUp} → ${report.processes.end}; threads ${report.threads.warmUp} → ${report.threads.end}`,
        `  event-loop lag p99 ${report.eventLoopLagP99Ms} ms (max ${report.eventLoopLagMaxMs} ms); worker restarts ${report.workerRestarts}`,
        `  ${report.answered} answered of ${report.asked}; end of speech → first audio p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms`,
        ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
      ].join('\n'),
    );
    expect(report.checks.filter((c) => !c.ok), stderr).toEqual([]);
    expect(report.answered).toBe(TURNS);
    expect(report.turnsLogged).toBe(TURNS);
    expect(report.openFds.end).toBeLessThanOrEqual(report.openFds.warmUp!);
    expect(report.processes.end).toBeLessThanOrEqual(report.processes.warmUp!);
    expect(report.rssBytes.growthPct!).toBeLessThanOrEqual(10);
    expect(report.treeRssBytes.growthPct!).toBeLessThanOrEqual(10);
    expect(report.heapUsedBytes.growthPct!).toBeLessThanOrEqual(10);
    expect(report.eventLoopLagP99Ms!).toBeLessThanOrEqual(50);
    expect(report.workerRestarts).toBe(0);
    expect(report.pass).toBe(true);
    expect(code).toBe(0);
  }, 10 * 60_000);
});
