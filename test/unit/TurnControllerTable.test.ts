import { afterEach, describe, expect, it, vi } from 'vitest';
import { synthesizeTone } from '../../src/audio/earcons.js';
import { configSchema } from '../../src/config/schema.js';
import { LED_PATTERNS, Leds } from '../../src/hw/Leds.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { FixedPrompts } from '../../src/turn/FixedPrompts.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import { TurnController } from '../../src/turn/TurnController.js';
import type { TurnState } from '../../src/turn/TurnState.js';
import { FakeBrain, FakeEars, FakeMouth, FakeSpeaker } from '../fakes/FakeEngines.js';
import { FakeGpio } from '../fakes/FakeGpio.js';

/**
 * Every input from every state, as a table: the button (press = trigger), the wake phrase, MQTT,
 * a double tap (repeat), a long press (cancel), mute, unmute and the visitor starting to speak.
 * Mode `button+wake`, half-duplex, follow-up on.
 */
type Input = 'button' | 'wake' | 'mqtt' | 'repeat' | 'cancel' | 'mute' | 'unmute' | 'speech';
const INPUTS: Input[] = ['button', 'wake', 'mqtt', 'repeat', 'cancel', 'mute', 'unmute', 'speech'];

const TABLE: Record<TurnState, Record<Input, TurnState>> = {
  idle: { button: 'listening', wake: 'listening', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'idle', speech: 'idle' },
  listening: { button: 'listening', wake: 'listening', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'listening', speech: 'listening' },
  thinking: { button: 'listening', wake: 'thinking', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'thinking', speech: 'thinking' },
  speaking: { button: 'listening', wake: 'speaking', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'speaking', speech: 'speaking' },
  followUp: { button: 'listening', wake: 'listening', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'followUp', speech: 'listening' },
  muted: { button: 'muted', wake: 'muted', mqtt: 'muted', repeat: 'muted', cancel: 'muted', mute: 'muted', unmute: 'idle', speech: 'muted' },
  error: { button: 'listening', wake: 'listening', mqtt: 'listening', repeat: 'speaking', cancel: 'idle', mute: 'muted', unmute: 'error', speech: 'error' },
};

async function setup() {
  const config = configSchema.parse({ turn: { trigger: 'button+wake', followUpSeconds: 6 } });
  const ears = new FakeEars();
  const brain = new FakeBrain();
  const mouth = new FakeMouth();
  const prompts = await FixedPrompts.synthesize(mouth, { acknowledgement: 'One moment.', apology: 'Sorry.', fallback: 'Ask the desk.', notUnderstood: 'Again?', disclosure: 'I am an automated assistant.' });
  vi.useFakeTimers({ now: 1_000_000 });
  const gpio = new FakeGpio(() => Date.now());
  const leds = await Leds.open(gpio, configSchema.parse({ hw: { gpio: { leds: { status: 27 } } } }).hw.gpio.leds, createLogger('silent'));
  const controller = new TurnController({
    config,
    triggerMode: 'button+wake',
    ears,
    brain,
    mouth,
    speaker: new PlaybackLedger(new FakeSpeaker()),
    prompts,
    earcons: { listening: synthesizeTone([[880, 100]], 16000, 0.3), error: synthesizeTone([[300, 200]], 16000, 0.3) },
    logger: createLogger('silent'),
    now: () => Date.now(),
  });
  const patterns: string[] = [];
  // Wired as the daemon wires them: the LEDs follow stateChanged and nothing else.
  controller.on('stateChanged', (change) => {
    leds.show(change.to);
    patterns.push(LED_PATTERNS[change.to].name);
  });
  controller.start();
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
  return { controller, ears, brain, tick, gpio, leds, patterns };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Drives a fresh controller into `state`, with one answer already given (so there is something to repeat). */
async function reach(t: Setup, state: TurnState): Promise<void> {
  const { controller, ears, brain, tick } = t;
  brain.next = { kind: 'text', chunks: ['Hello.'] };
  controller.trigger('button');
  ears.say('hi', Date.now());
  await tick(3000);
  expect(controller.state).toBe('followUp');
  switch (state) {
    case 'followUp':
      break;
    case 'idle':
      await tick(6000);
      break;
    case 'listening':
      controller.trigger('button');
      break;
    case 'thinking':
      brain.next = { kind: 'hang' };
      controller.trigger('button');
      ears.say('a hard one', Date.now());
      await tick(0);
      break;
    case 'speaking':
      brain.next = { kind: 'text', chunks: ['A long answer that goes on for quite a few words, so it keeps playing for a while.'] };
      controller.trigger('button');
      ears.say('tell me', Date.now());
      await tick(0);
      break;
    case 'muted':
      controller.mute();
      break;
    case 'error':
      brain.next = { kind: 'fail', message: 'model crashed' };
      controller.trigger('button');
      ears.say('oops', Date.now());
      await tick(0);
      break;
  }
  expect(controller.state).toBe(state);
}

function apply(t: Setup, input: Input): void {
  const { controller } = t;
  switch (input) {
    case 'button':
    case 'mqtt':
      return controller.trigger(input);
    case 'wake':
      return controller.onHeard({ type: 'wake', phrase: 'hey kiosk', at: Date.now() });
    case 'repeat':
      return controller.repeatLast();
    case 'cancel':
      return controller.cancel('longPress');
    case 'mute':
      return controller.mute();
    case 'unmute':
      return controller.unmute();
    case 'speech':
      return controller.onHeard({ type: 'speechStart', utteranceId: 999, at: Date.now() });
  }
}

afterEach(() => vi.useRealTimers());

describe('TurnController: every input from every state', () => {
  for (const [from, row] of Object.entries(TABLE) as [TurnState, Record<Input, TurnState>][]) {
    for (const input of INPUTS) {
      it(`${from} + ${input} → ${row[input]}`, async () => {
        const t = await setup();
        await reach(t, from);
        apply(t, input);
        expect(t.controller.state).toBe(row[input]);
        // Whatever happened, the kiosk comes back to rest by itself.
        await t.tick(120_000);
        expect(['idle', 'muted']).toContain(t.controller.state);
        if (t.controller.state === 'muted') {
          await t.tick(3_600_000);
          expect(t.controller.state).toBe('idle');
        }
        vi.useRealTimers();
      });
    }
  }
});

describe('TurnController and the LEDs', () => {
  it('a whole turn drives the status LED through the pattern of each state, and ends dark', async () => {
    const t = await setup();
    const start = Date.now();
    await reach(t, 'idle');
    expect(t.patterns).toEqual(['solid', 'slow blink (1 Hz)', 'pulse (150/150 ms)', 'breath (100 ms dark every 1 s)', 'off']);
    // Lit at the press (listening is solid), blinking on the way, dark at the end.
    const sets = t.gpio.setsFor(27);
    expect(sets[0]).toMatchObject({ on: true, at: start });
    expect(sets.filter((s) => s.on).length).toBeGreaterThan(3);
    expect(t.gpio.level(27)).toBe(false);
    await t.leds.close();
  });
});
