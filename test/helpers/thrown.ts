import { expect } from 'vitest';

/** Runs `fn`, expects it to throw `type`, returns the error for further checks. */
export function thrown<T extends Error>(type: new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as T;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}
