import { expect } from 'vitest';
import { ConfigError } from '../../src/config/ConfigError.js';

/** Runs `fn`, expects it to throw a ConfigError, and returns the one line a user would see. */
export function configErrorLine(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const line = (error as ConfigError).toUserLine();
    expect(line).not.toContain('\n');
    return line;
  }
  throw new Error('expected a ConfigError');
}
