import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LogDestination } from '../../src/logging/LogDestination.js';

describe('LogDestination', () => {
  it('prefixes each line with its syslog priority for journald', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kiosk-log-')), 'out');
    const fd = openSync(path, 'w');
    const logger = pino({ level: 'trace', base: {} }, new LogDestination(fd, true));
    logger.fatal('f');
    logger.error('e');
    logger.warn('w');
    logger.info('i');
    logger.debug('d');
    closeSync(fd);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(0, 12))).toEqual([
      '<2>{"level":',
      '<3>{"level":',
      '<4>{"level":',
      '<6>{"level":',
      '<7>{"level":',
    ]);
  });

  it('never throws when the disk is full: the line is dropped and counted', () => {
    const fd = openSync('/dev/full', 'w');
    const destination = new LogDestination(fd, false);
    const logger = pino({ base: {} }, destination);
    expect(() => {
      logger.info('one');
      logger.error('two');
    }).not.toThrow();
    closeSync(fd);
    expect(destination.dropped).toEqual({ lines: 2, lastError: 'ENOSPC' });
  });
});
