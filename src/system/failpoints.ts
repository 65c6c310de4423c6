import { KioskVoiceError } from '../errors.js';

/**
 * Fault injection for the fault tests and for operators rehearsing a failure: a named point in the
 * code that, when `KIOSK_VOICE_FAILPOINTS` names it, hangs, blocks, throws or delays right there.
 * A hang in a native call cannot be produced on demand any other way, and the watchdog has to be
 * shown to catch exactly that. Without the variable every point is a no-op.
 *
 * The variable is a comma-separated list of `point=action[@when]`:
 * - actions: `hang` (the thread stops for good), `block:MS` (the thread stops for MS ms), `throw`
 *   (the caller gets an error), `crash` (an uncaught error right after: a worker dies of it),
 *   `exit:CODE` (in a worker this ends the thread), `delay:MS` (async points only: waits, the
 *   thread stays free);
 * - when: `@N` only the Nth time the point is reached, `@N+` the Nth time and after; default every
 *   time. A trailing `!` (`@N!`, `@N+!`, or `!` alone) fires only in a worker's first run, not after
 *   the supervisor restarted it, so a fault strikes once instead of at every restart.
 *
 * Example: `KIOSK_VOICE_FAILPOINTS='brain.reply=hang@2,brain.load=delay:8000'`.
 * Each thread or process counts its own hits (a restarted worker starts again at 1).
 */
export const FAILPOINTS = {
  'brain.load': 'the brain worker, before loading the LLM (async)',
  'brain.reply': 'the brain worker, on each reply request',
  'brain.generate': 'the brain worker, between pieces of text while the LLM generates (its native evaluation in flight)',
  'mouth.speak': 'the mouth worker, on each phrase to synthesise',
  'ears.audio': 'the ears worker, on each audio frame',
  'main.thinking': 'the main thread, each time a turn starts thinking',
} as const;

export type FailpointName = keyof typeof FAILPOINTS;

type Action = { kind: 'hang' } | { kind: 'block'; ms: number } | { kind: 'throw' } | { kind: 'crash' } | { kind: 'exit'; code: number } | { kind: 'delay'; ms: number };

interface Rule {
  action: Action;
  from: number;
  onlyOnce: boolean;
  firstRunOnly: boolean;
}

export class FailpointSpecError extends KioskVoiceError {}

/** The fault a `throw` failpoint raises, named so logs show it was injected. */
export class InjectedFault extends KioskVoiceError {}

const ENV = 'KIOSK_VOICE_FAILPOINTS';

function parseAction(text: string, entry: string): Action {
  const [kind, arg] = text.split(':');
  const number = (what: string) => {
    const value = Number(arg);
    if (arg === undefined || !Number.isInteger(value) || value < 0) {
      throw new FailpointSpecError(`${ENV}: "${entry}" needs ${what}`, `write e.g. ${kind}:1000`);
    }
    return value;
  };
  switch (kind) {
    case 'hang':
    case 'throw':
    case 'crash':
      return { kind };
    case 'block':
    case 'delay':
      return { kind, ms: number('a time in ms') };
    case 'exit':
      return { kind, code: number('an exit code') };
    default:
      throw new FailpointSpecError(`${ENV}: "${entry}" has an unknown action "${kind}"`, 'use hang, block:MS, throw, crash, exit:CODE or delay:MS');
  }
}

/** Parses the variable's value; throws {@link FailpointSpecError} naming the bad entry. */
export function parseFailpoints(spec: string): Map<FailpointName, Rule> {
  const rules = new Map<FailpointName, Rule>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([\w.]+)=([\w:]+)(?:@(\d+)(\+)?)?(!)?$/.exec(entry);
    if (!match) throw new FailpointSpecError(`${ENV}: "${entry}" is not point=action[@N[+]][!]`, 'e.g. brain.reply=hang@2');
    const [, name, actionText, when, orLater, firstRun] = match;
    if (!(name! in FAILPOINTS)) {
      throw new FailpointSpecError(`${ENV}: unknown point "${name}"`, `known points: ${Object.keys(FAILPOINTS).join(', ')}`);
    }
    rules.set(name as FailpointName, {
      action: parseAction(actionText!, entry),
      from: when === undefined ? 1 : Number(when),
      onlyOnce: when !== undefined && orLater === undefined,
      firstRunOnly: firstRun !== undefined,
    });
  }
  return rules;
}

let rules: Map<FailpointName, Rule> | undefined;
const hits = new Map<FailpointName, number>();
/** 0 in the main thread and in a worker's first run; the supervisor's restart count after. */
let run = 0;

/** Called by a worker at start with how many times it has been restarted. */
export function setFailpointRun(restarts: number): void {
  run = restarts;
}

function ruleFor(name: FailpointName): Rule | undefined {
  rules ??= parseFailpoints(process.env[ENV] ?? '');
  if (rules.size === 0) return undefined;
  const rule = rules.get(name);
  if (!rule || (rule.firstRunOnly && run > 0)) return undefined;
  const hit = (hits.get(name) ?? 0) + 1;
  hits.set(name, hit);
  const fires = rule.onlyOnce ? hit === rule.from : hit >= rule.from;
  return fires ? rule : undefined;
}

/** The points configured in the environment, for a warning at start-up; throws on a bad spec. */
export function activeFailpoints(): string[] {
  rules ??= parseFailpoints(process.env[ENV] ?? '');
  return [...rules.keys()];
}

function sleepThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function perform(name: FailpointName, action: Action): void {
  switch (action.kind) {
    case 'hang':
      for (;;) sleepThread(60_000);
    case 'block':
    case 'delay':
      return sleepThread(action.ms);
    case 'throw':
      throw new InjectedFault(`injected fault at ${name}`, `unset ${ENV}`);
    case 'crash':
      setImmediate(() => {
        throw new InjectedFault(`injected crash at ${name}`, `unset ${ENV}`);
      });
      return;
    case 'exit':
      process.exit(action.code);
  }
}

/** A synchronous point: here `delay` blocks the thread like `block`. */
export function failpoint(name: FailpointName): void {
  const rule = ruleFor(name);
  if (rule) perform(name, rule.action);
}

/** An asynchronous point: like {@link failpoint}, but `delay` waits without blocking the thread. */
export async function failpointAsync(name: FailpointName): Promise<void> {
  const rule = ruleFor(name);
  if (!rule) return;
  if (rule.action.kind === 'delay') {
    const { ms } = rule.action;
    await new Promise((resolve) => setTimeout(resolve, ms));
  } else {
    perform(name, rule.action);
  }
}
