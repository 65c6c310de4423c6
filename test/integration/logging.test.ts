import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { cliPath } from '../helpers/runCli.js';
import { sharedModelsDir } from '../helpers/sharedModels.js';
import { useTempDirs } from '../helpers/tempDirs.js';

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs the daemon with stdout and stderr in files (as a service manager would give it streams),
 * waits until it listens, sends `signals` a moment apart, then SIGTERM.
 */
async function runDaemon(alsa: FakeAlsa, dir: string, options: { env?: NodeJS.ProcessEnv; args?: string[]; signals?: NodeJS.Signals[]; journal?: boolean }): Promise<Run> {
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const journal = options.journal ? { JOURNAL_STREAM: `${fstatSync(out).dev}:${fstatSync(out).ino}` } : {};
  const child = spawn(process.execPath, [cliPath, 'run', '--models', 'test', '--models-dir', sharedModelsDir, '--input-device', 'kmic', '--output-device', 'kspk', ...(options.args ?? [])], {
    env: { ...alsa.env, ...journal, ...options.env },
    stdio: ['ignore', out, err],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const both = () => readFileSync(outPath, 'utf8') + readFileSync(errPath, 'utf8');
  for (const deadline = Date.now() + 30_000; !/listening/.test(both()); ) {
    if (Date.now() > deadline) throw new Error(`the daemon did not start listening:\n${both()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const signal of options.signals ?? []) {
    child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  child.kill('SIGTERM');
  const code = await exited;
  closeSync(out);
  closeSync(err);
  return { stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), code };
}

const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; worker?: string });

describe('logging (the real daemon)', () => {
  const tempDir = useTempDirs('kiosk-logging-');
  let alsa: FakeAlsa | undefined;
  afterEach(async () => {
    await alsa?.close();
    alsa = undefined;
  });
  const fakeAlsa = async () => (alsa = await createFakeAlsa({ mics: { kmic: { audio: new Int16Array(16000), rate: 16000, channels: 1 } } }));

  it('under systemd (JOURNAL_STREAM names stdout) every line, workers included, goes to stdout with its journald priority', async () => {
    // SIGUSR1 so the workers log too (their shutdown lines are debug).
    const run = await runDaemon(await fakeAlsa(), tempDir(), { journal: true, signals: ['SIGUSR1'] });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^<[2-7]>\{"level":/);
    expect(lines.find((l) => l.includes('"msg":"listening"'))).toMatch(/^<6>/);
    expect(lines.find((l) => l.includes('"level":40'))).toMatch(/^<4>/);
    expect(lines.find((l) => l.includes('"worker":"ears"') && l.includes('engine disposed'))).toMatch(/^<7>/);
    expect(jsonLines(run.stderr)).toEqual([]);
  });

  it('without systemd, JSON lines go to stderr and stdout stays empty; --pretty writes human lines', async () => {
    const plain = await runDaemon(await fakeAlsa(), tempDir(), {});
    expect(plain.stdout).toBe('');
    expect(jsonLines(plain.stderr).some((l) => l.msg === 'listening')).toBe(true);
    await alsa!.close();
    const pretty = await runDaemon(await fakeAlsa(), tempDir(), { args: ['--pretty'] });
    expect(pretty.code).toBe(0);
    expect(jsonLines(pretty.stderr)).toEqual([]);
    expect(pretty.stderr).toMatch(/INFO.*listening/);
  });

  it('SIGUSR1 makes main thread and workers log debug lines; SIGUSR2 restores the configured level', async () => {
    const raised = await runDaemon(await fakeAlsa(), tempDir(), { signals: ['SIGUSR1'] });
    expect(raised.code).toBe(0);
    const lines = jsonLines(raised.stderr);
    expect(lines.some((l) => l.msg.startsWith('log level raised'))).toBe(true);
    // Shutdown's debug lines: the supervisor's on the main thread, each engine's in its worker.
    expect(lines.filter((l) => l.msg === 'worker stopped' && l.level === 20)).toHaveLength(3);
    expect(lines.filter((l) => l.msg === 'engine disposed').map((l) => l.worker).sort()).toEqual(['brain', 'ears', 'mouth']);
    await alsa!.close();

    const restored = await runDaemon(await fakeAlsa(), tempDir(), { signals: ['SIGUSR1', 'SIGUSR2'] });
    const after = jsonLines(restored.stderr);
    expect(after.some((l) => l.msg === 'log level back to the configured one')).toBe(true);
    expect(after.filter((l) => l.msg === 'engine disposed' || l.msg === 'worker stopped')).toEqual([]);
  });
});
