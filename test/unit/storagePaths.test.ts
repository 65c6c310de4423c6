import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dayWindow } from '../../src/storage/dayWindow.js';
import { OperatorInputError } from '../../src/storage/OperatorInputError.js';
import { resolveStoragePath } from '../../src/storage/resolveStoragePath.js';
import { thrown } from '../helpers/thrown.js';

describe('resolveStoragePath', () => {
  it('puts a relative path in $STATE_DIRECTORY (its first entry), else the current directory', () => {
    expect(resolveStoragePath({ path: 'frontdesk.sqlite' }, { STATE_DIRECTORY: '/var/lib/kiosk-voice' })).toBe('/var/lib/kiosk-voice/frontdesk.sqlite');
    expect(resolveStoragePath({ path: 'db/desk.sqlite' }, { STATE_DIRECTORY: '/var/lib/kiosk-voice:/var/lib/other' })).toBe('/var/lib/kiosk-voice/db/desk.sqlite');
    expect(resolveStoragePath({ path: 'desk.sqlite' }, {})).toBe(join(process.cwd(), 'desk.sqlite'));
  });

  it('defaults to frontdesk.sqlite and leaves absolute paths and :memory: alone', () => {
    expect(resolveStoragePath({}, { STATE_DIRECTORY: '/state' })).toBe('/state/frontdesk.sqlite');
    // Outside systemd, unset: the user's state directory, never the directory the kiosk started in.
    expect(resolveStoragePath({}, { XDG_STATE_HOME: '/home/pi/.state', HOME: '/home/pi' })).toBe('/home/pi/.state/kiosk-voice/frontdesk.sqlite');
    expect(resolveStoragePath({}, { HOME: '/home/pi' })).toBe('/home/pi/.local/state/kiosk-voice/frontdesk.sqlite');
    expect(resolveStoragePath({ path: '/data/desk.sqlite' }, { STATE_DIRECTORY: '/state' })).toBe('/data/desk.sqlite');
    expect(resolveStoragePath({ path: ':memory:' }, { STATE_DIRECTORY: '/state' })).toBe(':memory:');
  });
});

describe('dayWindow', () => {
  it('takes days in the site zone, both inclusive', () => {
    expect(dayWindow('2026-12-08', '2026-12-08', 'Europe/London')).toEqual({ fromUtc: '2026-12-08T00:00:00.000Z', toUtc: '2026-12-09T00:00:00.000Z' });
    expect(dayWindow('2026-07-08', undefined, 'Europe/London')).toEqual({ fromUtc: '2026-07-07T23:00:00.000Z' });
    expect(dayWindow(undefined, '2026-12-08', 'America/New_York')).toEqual({ toUtc: '2026-12-09T05:00:00.000Z' });
    expect(dayWindow(undefined, undefined, 'UTC')).toEqual({});
  });

  it('spans a DST day as it is: 25 hours when the clocks go back', () => {
    const { fromUtc, toUtc } = dayWindow('2026-10-25', '2026-10-25', 'Europe/London');
    expect(Date.parse(toUtc!) - Date.parse(fromUtc!)).toBe(25 * 3600_000);
  });

  it('refuses what is not a YYYY-MM-DD date, and a range that ends before it starts', () => {
    for (const bad of ['2026-13-01', '2026-02-30', '8/12/2026', 'tomorrow', '2026-12-8']) {
      const error = thrown(OperatorInputError, () => dayWindow(bad, undefined, 'UTC'));
      expect(error.toUserLine()).toBe(`--from ${JSON.stringify(bad)} is not a date — write it as YYYY-MM-DD, e.g. --from 2026-12-08`);
    }
    thrown(OperatorInputError, () => dayWindow(undefined, 'soon', 'UTC'));
    expect(thrown(OperatorInputError, () => dayWindow('2026-12-09', '2026-12-08', 'UTC')).message).toBe('--to 2026-12-08 is before --from 2026-12-09');
  });
});
