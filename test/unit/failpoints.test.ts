import { describe, expect, it } from 'vitest';
import { FailpointSpecError, parseFailpoints } from '../../src/system/failpoints.js';
import { thrown } from '../helpers/thrown.js';

describe('KIOSK_VOICE_FAILPOINTS', () => {
  it('parses points, actions and when they fire', () => {
    const rules = parseFailpoints('brain.reply=hang@2, main.thinking=block:4000@3+,mouth.speak=exit:1,brain.load=delay:500,ears.audio=crash@150!,brain.generate=hang!');
    expect(Object.fromEntries(rules)).toEqual({
      'brain.reply': { action: { kind: 'hang' }, from: 2, onlyOnce: true, firstRunOnly: false },
      'main.thinking': { action: { kind: 'block', ms: 4000 }, from: 3, onlyOnce: false, firstRunOnly: false },
      'mouth.speak': { action: { kind: 'exit', code: 1 }, from: 1, onlyOnce: false, firstRunOnly: false },
      'brain.load': { action: { kind: 'delay', ms: 500 }, from: 1, onlyOnce: false, firstRunOnly: false },
      'ears.audio': { action: { kind: 'crash' }, from: 150, onlyOnce: true, firstRunOnly: true },
      'brain.generate': { action: { kind: 'hang' }, from: 1, onlyOnce: false, firstRunOnly: true },
    });
    expect(parseFailpoints('').size).toBe(0);
  });

  it('refuses a bad spec in one line that names the entry and what is allowed', () => {
    for (const [spec, says] of [
      ['brain.nap=hang', /unknown point "brain.nap".*known points: brain.load/],
      ['brain.reply=explode', /unknown action "explode".*use hang/],
      ['brain.reply=block', /"brain.reply=block" needs a time in ms/],
      ['brain.reply', /is not point=action/],
    ] as const) {
      expect(thrown(FailpointSpecError, () => parseFailpoints(spec)).toUserLine()).toMatch(says);
    }
  });
});
