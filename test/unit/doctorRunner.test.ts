import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../../src/doctor/DoctorCheck.js';
import { buildReport, exitCodeFor, formatCheckLine, worstStatus } from '../../src/doctor/doctorReport.js';
import { runChecks } from '../../src/doctor/runChecks.js';
import { KioskVoiceError } from '../../src/errors.js';

const context = (ok = true): DoctorContext => ({
  load: ok ? { ok: true, config: parseConfig({}), modelsDir: '/models', warnings: [] } : { ok: false, error: new KioskVoiceError('bad config', 'fix it') },
  configFile: undefined,
  modelSet: undefined,
  env: {},
  logger: pino({ level: 'silent' }),
});

function check(name: string, run: DoctorCheck['run'], options: { timeoutMs?: number; needsConfig?: boolean } = {}): DoctorCheck {
  return { name, needsConfig: options.needsConfig ?? false, timeoutMs: () => options.timeoutMs ?? 1000, timeoutAdvice: `${name} hangs: look at it`, run };
}
const ok = (detail: string) => async (): Promise<CheckOutcome> => ({ status: 'ok', detail });

describe('doctor: the worst result decides the exit code', () => {
  it('0 for all ok, 1 when the worst is a warning, 2 for any failure', () => {
    expect(worstStatus([])).toBe('ok');
    expect(worstStatus([{ status: 'ok' }, { status: 'ok' }])).toBe('ok');
    expect(worstStatus([{ status: 'ok' }, { status: 'warn' }, { status: 'ok' }])).toBe('warn');
    expect(worstStatus([{ status: 'warn' }, { status: 'fail' }, { status: 'ok' }])).toBe('fail');
    expect([exitCodeFor('ok'), exitCodeFor('warn'), exitCodeFor('fail')]).toEqual([0, 1, 2]);
  });

  it('the report holds the checks, the worst and the exit code, and no empty advice', () => {
    const report = buildReport([
      { name: 'a', status: 'ok', detail: 'fine' },
      { name: 'b', status: 'warn', detail: 'hot', advice: 'cool it' },
    ]);
    expect(report).toEqual({
      checks: [
        { name: 'a', status: 'ok', detail: 'fine' },
        { name: 'b', status: 'warn', detail: 'hot', advice: 'cool it' },
      ],
      worst: 'warn',
      exitCode: 1,
    });
    expect(Object.keys(report.checks[0]!)).not.toContain('advice');
  });

  it('lines put status, name and detail in aligned columns, the advice after a dash', () => {
    const width = 'audio capture'.length;
    const lines = [
      formatCheckLine({ name: 'node', status: 'ok', detail: 'v22' }, width),
      formatCheckLine({ name: 'audio capture', status: 'fail', detail: 'no mic', advice: 'plug it in' }, width),
      formatCheckLine({ name: 'gpio', status: 'warn', detail: 'unused', advice: 'remove the pins' }, width),
    ];
    expect(lines).toEqual([
      'ok    node           v22',
      'fail  audio capture  no mic — plug it in',
      'warn  gpio           unused — remove the pins',
    ]);
    const detailColumn = lines.map((line) => line.search(/(v22|no mic|unused)/));
    expect(new Set(detailColumn).size).toBe(1);
  });
});

describe('doctor: running the checks', () => {
  it('runs them in order and reports each as soon as it is known', async () => {
    const seen: string[] = [];
    const results = await runChecks([check('one', ok('1')), check('two', ok('2'))], context(), { onResult: (r) => seen.push(r.name) });
    expect(results).toEqual([
      { name: 'one', status: 'ok', detail: '1' },
      { name: 'two', status: 'ok', detail: '2' },
    ]);
    expect(seen).toEqual(['one', 'two']);
  });

  it('a check that throws is a fail line with the error and its hint, never an exception', async () => {
    const results = await runChecks(
      [
        check('named', async () => {
          throw new KioskVoiceError('the mic is\nunplugged', 'plug it in');
        }),
        check('plain', async () => {
          throw new TypeError('x is undefined');
        }),
        check('after', ok('still runs')),
      ],
      context(),
    );
    expect(results[0]).toEqual({ name: 'named', status: 'fail', detail: 'the mic is unplugged', advice: 'plug it in' });
    expect(results[1]).toMatchObject({ name: 'plain', status: 'fail', detail: 'the check itself failed: x is undefined' });
    expect(results[1]!.advice).toMatch(/--log-level debug/);
    expect(results[2]).toEqual({ name: 'after', status: 'ok', detail: 'still runs' });
  });

  it('a check that hangs is cut off at its timeout: a fail line with its advice, its signal fired, and it cleaned up before the next check ran', async () => {
    const events: string[] = [];
    const hung = check(
      'hung device',
      (_context, signal) =>
        new Promise<CheckOutcome>(() => {
          signal.addEventListener('abort', () => {
            // Closing a device takes a moment; the next check must wait for it.
            setTimeout(() => events.push('hung device closed'), 50);
          });
        }),
      { timeoutMs: 100 },
    );
    const next = check('next', async () => {
      events.push('next ran');
      return { status: 'ok', detail: 'fine' };
    });
    const started = performance.now();
    const results = await runChecks([hung, next], context(), { cleanupGraceMs: 500 });
    expect(results[0]).toEqual({ name: 'hung device', status: 'fail', detail: 'no result within 0.1 s', advice: 'hung device hangs: look at it' });
    expect(results[1]).toMatchObject({ name: 'next', status: 'ok' });
    // The grace is a bound, not a wait: a check that never settles costs at most that much.
    expect(performance.now() - started).toBeLessThan(100 + 500 + 400);
    expect(events).toEqual(['hung device closed', 'next ran']);
  });

  it('a check whose signal reason it rethrows after the timeout still gives the timeout line', async () => {
    const rethrows = check('rethrows', (_c, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))), { timeoutMs: 100 });
    const [result] = await runChecks([rethrows], context());
    expect(result).toMatchObject({ status: 'fail', detail: 'no result within 0.1 s' });
  });

  it('leaves out the checks that need the configuration when it did not load', async () => {
    const results = await runChecks([check('config', ok('bad')), check('audio', ok('x'), { needsConfig: true }), check('node', ok('v22'))], context(false));
    expect(results.map((r) => r.name)).toEqual(['config', 'node']);
  });
});
