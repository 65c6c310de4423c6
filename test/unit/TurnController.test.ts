import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { synthesizeTone } from '../../src/audio/earcons.js';
import { configSchema, type KioskConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { FixedPrompts } from '../../src/turn/FixedPrompts.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import { TurnController, resolveTriggerMode, type TriggerMode } from '../../src/turn/TurnController.js';
import type { Turn } from '../../src/turn/Turn.js';
import { TURN_STATES, type StateChange, type TurnState } from '../../src/turn/TurnState.js';
import { FakeBrain, FakeEars, FakeMouth, FakeSpeaker } from '../fakes/FakeEngines.js';

const PROMPTS = { acknowledgement: 'One moment.', apology: 'Sorry, something went wrong.', fallback: 'Please ask at the desk.', notUnderstood: 'Say again?', disclosure: 'I am an automated assistant.' };

async function setup(mode: TriggerMode, overrides: KioskConfigInput = {}, { disclose = false } = {}) {
  const config = configSchema.parse({ ...overrides, turn: { followUpSeconds: 6, ...overrides.turn } });
  const ears = new FakeEars();
  const brain = new FakeBrain();
  const mouth = new FakeMouth();
  const sink = new FakeSpeaker();
  // Prompts are made with real timers, before the test's fake clock starts.
  const prompts = await FixedPrompts.synthesize(mouth, PROMPTS);
  mouth.spoken.length = 0;
  vi.useFakeTimers({ now: 1_000_000 });
  const earcons = { listening: synthesizeTone([[880, 100]], 16000, 0.3), error: synthesizeTone([[300, 200]], 16000, 0.3) };
  const controller = new TurnController({
    config,
    triggerMode: mode,
    ears,
    brain,
    mouth,
    speaker: new PlaybackLedger(sink),
    prompts,
    earcons,
    logger: createLogger('silent'),
    now: () => Date.now(),
    disclose,
  });
  const changes: StateChange[] = [];
  const turns: Turn[] = [];
  controller.on('stateChanged', (c) => changes.push(c));
  controller.on('turn', (t) => turns.push(t));
  controller.start();
  const states = () => changes.map((c) => c.to);
  /** Lets queued events and promise chains run, and the fake clock move on. */
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
  return { config, controller, ears, brain, mouth, sink, earcons, changes, turns, states, tick };
}

beforeEach(() => vi.useRealTimers());
afterEach(() => vi.useRealTimers());

describe('TurnController: triggers', () => {
  it('in button mode never answers speech nobody triggered, and keeps the mic closed while idle', async () => {
    const t = await setup('button');
    expect(t.controller.micOpen()).toBe(false);
    expect(t.ears.armed).toBe(false);
    t.ears.say('what are your opening hours', Date.now());
    await t.tick(5000);
    expect(t.brain.calls).toEqual([]);
    expect(t.changes).toEqual([]);
    expect(t.controller.state).toBe('idle');
  });

  it('a button press starts a turn with the chime at once; the whole turn runs idle→listening→thinking→speaking→followUp→idle', async () => {
    const t = await setup('button');
    t.brain.next = { kind: 'text', chunks: ['We open at nine ', 'and close at five.'] };
    const pressedAt = Date.now();
    t.controller.trigger('button');
    expect(t.sink.writes[0]).toEqual({ at: pressedAt, samples: t.earcons.listening.length });
    expect(t.controller.state).toBe('listening');
    expect(t.controller.micOpen()).toBe(true);
    expect(t.ears.armed).toBe(true);
    await t.tick(500);
    t.ears.say('when do you open', Date.now());
    await t.tick(0);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'when do you open' }]);
    expect(t.controller.state).toBe('speaking');
    // Half-duplex: the mic is closed while the kiosk speaks.
    expect(t.controller.micOpen()).toBe(false);
    await t.tick(10_000);
    expect(t.turns).toHaveLength(1);
    expect(t.turns[0]).toMatchObject({ id: 1, trigger: 'button', outcome: 'answered', reply: 'We open at nine and close at five.' });
    expect(t.states()).toEqual(['listening', 'thinking', 'speaking', 'followUp', 'idle']);
    expect(t.changes.every((c) => c.to === 'idle' || (c.turnId === 1 && c.trigger === 'button'))).toBe(true);
  });

  it('a trigger while listening is ignored; MQTT triggers like the button', async () => {
    const t = await setup('button');
    t.controller.trigger('mqtt');
    t.controller.trigger('button');
    expect(t.states()).toEqual(['listening']);
    expect(t.changes[0]!.trigger).toBe('mqtt');
  });

  it('listening with no speech ends quietly after listenTimeoutSeconds', async () => {
    const t = await setup('button', { turn: { listenTimeoutSeconds: 4 } });
    t.controller.trigger('button');
    await t.tick(3999);
    expect(t.controller.state).toBe('listening');
    await t.tick(1);
    expect(t.controller.state).toBe('idle');
    expect(t.changes.at(-1)!.reason).toBe('no speech');
    expect(t.brain.calls).toEqual([]);
  });

  it('open-mic: every utterance is a turn (trigger vad), and the kiosk rests in idle after answering', async () => {
    const t = await setup('open-mic');
    expect(t.controller.micOpen()).toBe(true);
    expect(t.ears.armed).toBe(true);
    t.ears.say('hello', Date.now());
    await t.tick(10_000);
    expect(t.turns.map((x) => x.trigger)).toEqual(['vad']);
    expect(t.states()).toEqual(['listening', 'thinking', 'speaking', 'idle']);
  });

  it('wake mode: the wake phrase starts a turn, the button does not; the ears only spot the phrase while idle', async () => {
    const t = await setup('wake');
    expect(t.ears.armed).toBe(false);
    expect(t.controller.micOpen()).toBe(true);
    t.controller.trigger('button');
    expect(t.controller.state).toBe('idle');
    t.ears.hear({ type: 'wake', phrase: 'hey kiosk', at: Date.now() });
    await t.tick(0);
    expect(t.controller.state).toBe('listening');
    expect(t.changes[0]!.trigger).toBe('wake');
  });

  it('resolves the default trigger mode from the config', () => {
    expect(resolveTriggerMode(configSchema.parse({}))).toBe('open-mic');
    expect(resolveTriggerMode(configSchema.parse({ hw: { gpio: { button: { pin: 17 } } } }))).toBe('button');
    expect(resolveTriggerMode(configSchema.parse({ turn: { trigger: 'wake' }, hw: { gpio: { button: { pin: 17 } } } }))).toBe('wake');
  });
});

describe('TurnController: follow-up and session', () => {
  it('a question in the follow-up window needs no trigger; after it the window closes', async () => {
    const t = await setup('button');
    t.controller.trigger('button');
    t.ears.say('first question', Date.now());
    await t.tick(3000);
    expect(t.controller.state).toBe('followUp');
    expect(t.controller.micOpen()).toBe(true);
    t.ears.say('and a second one', Date.now());
    await t.tick(3000);
    expect(t.turns.map((x) => x.trigger)).toEqual(['button', 'followUp']);
    await t.tick(6000);
    expect(t.controller.state).toBe('idle');
  });

  it('the half-duplex echo tail keeps the mic closed just after the kiosk stops speaking', async () => {
    const t = await setup('button', { turn: { echoTailMs: 300 } });
    t.controller.trigger('button');
    t.ears.say('hi', Date.now());
    for (let i = 0; i < 100 && t.controller.state !== 'followUp'; i++) await t.tick(10);
    expect(t.controller.state).toBe('followUp');
    expect(t.controller.micOpen()).toBe(false);
    await t.tick(300);
    expect(t.controller.micOpen()).toBe(true);
  });

  it('wipes the visitor session after sessionIdleSeconds without a turn', async () => {
    const t = await setup('button', { turn: { sessionIdleSeconds: 30, followUpSeconds: 0 } });
    const wiped: string[] = [];
    t.controller.on('sessionWiped', (w) => wiped.push(w.reason));
    t.controller.trigger('button');
    t.ears.say('hi', Date.now());
    await t.tick(3000);
    expect(t.controller.state).toBe('idle');
    await t.tick(26_000);
    expect(wiped).toEqual([]);
    await t.tick(5000);
    expect(wiped).toEqual(['idle']);
    expect(t.brain.newConversations).toBe(1);
  });
});

describe('TurnController: the disclosure', () => {
  it('the first reply of a visitor session starts with the pre-made disclosure; it is not the reply, and comes again only after a wipe', async () => {
    const t = await setup('button', { turn: { followUpSeconds: 0, earcons: { enabled: false } } }, { disclose: true });
    const disclosure = (await FixedPrompts.synthesize(new FakeMouth(), PROMPTS)).get('disclosure').samples.length;
    t.brain.next = { kind: 'text', chunks: ['We open at nine.'] };
    t.controller.trigger('button');
    t.ears.say('when do you open', Date.now());
    await t.tick(5000);
    const total = (from: number, to = t.sink.writes.length) => t.sink.writes.slice(from, to).reduce((n, w) => n + w.samples, 0);
    // Played from the prompt made at start (no TTS now), then the reply's audio.
    expect(t.mouth.spoken).toEqual(['We open at nine.']);
    const firstTurn = total(0);
    expect(t.turns[0]).toMatchObject({ reply: 'We open at nine.', outcome: 'answered' });
    expect(t.turns[0]!.marks.disclosed).toBeLessThanOrEqual(t.turns[0]!.marks.playbackStart!);

    const writes = t.sink.writes.length;
    t.brain.next = { kind: 'text', chunks: ['We open at nine.'] };
    t.controller.trigger('button');
    t.ears.say('when do you open', Date.now());
    await t.tick(5000);
    // The same reply again, without the disclosure in front.
    expect(firstTurn - total(writes)).toBe(disclosure);
    expect(t.turns[1]!.marks.disclosed).toBeUndefined();

    t.controller.wipeSession('test');
    const afterWipe = t.sink.writes.length;
    t.brain.next = { kind: 'text', chunks: ['We open at nine.'] };
    t.controller.trigger('button');
    t.ears.say('when do you open', Date.now());
    await t.tick(5000);
    expect(total(afterWipe)).toBe(firstTurn);
    expect(t.turns[2]!.marks.disclosed).toBeDefined();
  });

  it('a new visitor whose answer is slow hears the disclosure instead of the acknowledgement', async () => {
    const t = await setup('button', { turn: { followUpSeconds: 0, earcons: { enabled: false }, acknowledgeAfterMs: 300 } }, { disclose: true });
    t.brain.next = { kind: 'manual' };
    t.controller.trigger('button');
    t.ears.say('hello', Date.now());
    await t.tick(1500);
    t.brain.send('Slowly.');
    t.brain.end();
    await t.tick(5000);
    expect(t.turns[0]).toMatchObject({ reply: 'Slowly.', outcome: 'answered' });
    expect(t.turns[0]!.marks.acknowledged).toBeUndefined();
    expect(t.turns[0]!.marks.disclosed).toBeDefined();
  });
});

describe('TurnController: the button', () => {
  it('barge-in: a press while speaking cuts playback at once, tells the brain what was heard, and listens', async () => {
    const t = await setup('button');
    const words = 'We are open from nine in the morning until half past five in the afternoon from Monday to Friday.';
    t.brain.next = { kind: 'text', chunks: [words] };
    t.controller.trigger('button');
    t.ears.say('when are you open', Date.now());
    await t.tick(0);
    expect(t.controller.state).toBe('speaking');
    // 19 words at 0.1 s each: cut after 0.6 s of the reply (plus the 0.1 s chime before it).
    await t.tick(700);
    const pressedAt = Date.now();
    t.controller.trigger('button');
    expect(t.sink.stops).toContain(pressedAt);
    expect(t.controller.state).toBe('listening');
    await t.tick(0);
    expect(t.turns[0]).toMatchObject({ outcome: 'interrupted' });
    expect(t.turns[0]!.marks.bargeIn).toBe(pressedAt);
    expect(t.brain.truncations).toHaveLength(1);
    const heard = t.brain.truncations[0]!.heardText;
    expect(words.startsWith(heard)).toBe(true);
    expect(heard.split(' ').length).toBeGreaterThanOrEqual(5);
    expect(heard.split(' ').length).toBeLessThanOrEqual(7);
    expect(t.changes.at(-1)).toMatchObject({ from: 'speaking', to: 'listening', turnId: 2, trigger: 'button' });
  });

  it('push-to-talk: pauses while held do not end the turn; the release does, with every utterance heard', async () => {
    const t = await setup('button');
    t.controller.trigger('button');
    t.controller.holdToTalk();
    t.ears.say('I would like', Date.now());
    await t.tick(2000);
    t.ears.say('to book a room', Date.now());
    await t.tick(2000);
    expect(t.controller.state).toBe('listening');
    expect(t.brain.calls).toEqual([]);
    t.controller.endOfSpeech();
    await t.tick(0);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'I would like to book a room' }]);
    expect(t.controller.state).toBe('speaking');
  });

  it('push-to-talk: a release without speech goes back to idle', async () => {
    const t = await setup('button');
    t.controller.trigger('button');
    t.controller.holdToTalk();
    await t.tick(20_000);
    expect(t.controller.state).toBe('listening');
    t.controller.endOfSpeech();
    expect(t.ears.endUtteranceCalls).toBe(1);
    await t.tick(0);
    expect(t.controller.state).toBe('idle');
    expect(t.changes.at(-1)!.reason).toBe('released without speech');
  });

  it('double tap repeats the last answer from memory, without the brain or the mouth', async () => {
    const t = await setup('button', { turn: { followUpSeconds: 0 } });
    t.brain.next = { kind: 'text', chunks: ['Room four is upstairs.'] };
    t.controller.trigger('button');
    t.ears.say('where is room four', Date.now());
    await t.tick(5000);
    const answerSamples = t.sink.writes.slice(1).reduce((n, w) => n + w.samples, 0);
    const spoken = t.mouth.spoken.length;
    t.sink.writes.length = 0;
    t.controller.trigger('button');
    t.controller.repeatLast();
    expect(t.controller.state).toBe('speaking');
    await t.tick(5000);
    expect(t.sink.writes.slice(1).reduce((n, w) => n + w.samples, 0)).toBe(answerSamples);
    expect(t.brain.calls).toHaveLength(1);
    expect(t.mouth.spoken).toHaveLength(spoken);
    expect(t.controller.state).toBe('idle');
  });

  it('long press cancels everything and wipes the session, but not while the visitor talks during push-to-talk', async () => {
    const t = await setup('button');
    t.brain.next = { kind: 'text', chunks: ['A long answer that goes on and on and on for a while.'] };
    t.controller.trigger('button');
    t.ears.say('tell me everything', Date.now());
    await t.tick(200);
    expect(t.controller.state).toBe('speaking');
    t.controller.cancel('longPress');
    expect(t.controller.state).toBe('idle');
    expect(t.brain.newConversations).toBe(1);
    t.controller.repeatLast();
    expect(t.controller.state).toBe('idle');

    t.controller.trigger('button');
    t.controller.holdToTalk();
    t.ears.startSpeech(Date.now());
    await t.tick(0);
    t.controller.cancel('longPress');
    expect(t.controller.state).toBe('listening');
  });
});

describe('TurnController: budgets and failures', () => {
  it('a model that never yields: the acknowledgement plays, then the apology; the next turn works', async () => {
    const t = await setup('button', { turn: { acknowledgeAfterMs: 1200, firstTokenTimeoutMs: 4000, errorSeconds: 2 } });
    t.brain.next = { kind: 'hang' };
    t.controller.trigger('button');
    t.ears.say('a hard question', Date.now());
    await t.tick(0);
    const askedAt = Date.now();
    const before = t.sink.writes.length;
    await t.tick(1200);
    expect(t.sink.writes.length).toBe(before + 1);
    expect(t.controller.state).toBe('thinking');
    await t.tick(2800);
    expect(t.brain.aborted).toBe(1);
    expect(t.controller.state).toBe('error');
    expect(t.turns[0]).toMatchObject({ outcome: 'failed', path: 'fallback', reply: PROMPTS.apology });
    expect(Date.now() - askedAt).toBeLessThanOrEqual(4000);
    expect(t.controller.micOpen()).toBe(false);
    await t.tick(5000);
    expect(t.controller.state).toBe('idle');
    t.brain.next = { kind: 'text', chunks: ['Fine now.'] };
    t.controller.trigger('button');
    t.ears.say('again', Date.now());
    await t.tick(3000);
    expect(t.turns[1]).toMatchObject({ outcome: 'answered', reply: 'Fine now.' });
  });

  it('a failing brain or mouth ends in the error pattern with an apology, then idle', async () => {
    for (const fault of ['brain', 'mouth'] as const) {
      const t = await setup('button', { turn: { followUpSeconds: 0 } });
      if (fault === 'brain') t.brain.next = { kind: 'fail', message: 'model crashed' };
      else t.mouth.failNext = 'synthesiser crashed';
      t.controller.trigger('button');
      t.ears.say('hello', Date.now());
      await t.tick(10);
      expect(t.controller.state, fault).toBe('error');
      expect(t.turns[0]!.problem).toMatch(/crashed/);
      await t.tick(10_000);
      expect(t.states().slice(-2)).toEqual(['error', 'idle']);
      vi.useRealTimers();
    }
  });

  it('nothing recognised: the not-understood prompt plays and the turn counts as answered', async () => {
    const t = await setup('button', { turn: { followUpSeconds: 0 } });
    t.controller.trigger('button');
    t.ears.say('', Date.now());
    await t.tick(5000);
    expect(t.turns[0]).toMatchObject({ path: 'fallback', reply: 'Sorry, I did not catch that. Could you say it again?', outcome: 'answered' });
    expect(t.brain.calls).toEqual([]);
  });
});

describe('TurnController: the state table', () => {
  it('every state but idle has a finite maximum duration', async () => {
    const t = await setup('button');
    for (const state of TURN_STATES) {
      const max = t.controller.maxDurationMs(state);
      if (state === 'idle') expect(max).toBeUndefined();
      else expect(max, state).toBeGreaterThan(0);
    }
  });

  it('muted ignores triggers, closes the mic, and times out back to idle', async () => {
    const t = await setup('button', { turn: { maxMutedSeconds: 10 } });
    t.controller.mute();
    t.controller.trigger('button');
    expect(t.controller.state).toBe('muted');
    expect(t.controller.micOpen()).toBe(false);
    await t.tick(10_000);
    expect(t.controller.state).toBe('idle');
    t.controller.mute();
    t.controller.unmute();
    expect(t.controller.state).toBe('idle');
    expect(t.states()).toEqual(['muted', 'idle', 'muted', 'idle']);
  });

  it("an operator's announcement plays while the kiosk rests, is refused while a visitor is served or it is muted, and a press cuts it", async () => {
    const t = await setup('button', { turn: { followUpSeconds: 0 } });
    const second = new Int16Array(16000).fill(1000);
    const played = t.controller.announce([second]);
    expect(t.controller.state).toBe('speaking');
    expect(t.controller.micOpen()).toBe(false);
    await t.tick(1100);
    await expect(played).resolves.toBe(true);
    expect(t.controller.state).toBe('idle');
    expect(t.changes.map((c) => c.reason)).toEqual(['announcement', 'announced']);

    t.controller.trigger('button');
    await expect(t.controller.announce([second])).rejects.toThrow('the kiosk is listening');
    t.controller.cancel('test');
    t.controller.mute();
    await expect(t.controller.announce([second])).rejects.toThrow('the kiosk is muted');
    t.controller.unmute();

    const cut = t.controller.announce([second]);
    await t.tick(300);
    t.controller.trigger('button');
    await t.tick(1000);
    await expect(cut).resolves.toBe(false);
    expect(t.controller.state).toBe('listening');
  });

  it('a mouth that never finishes cannot keep the kiosk busy: the turn deadline ends it in error, then idle', async () => {
    const t = await setup('button', { turn: { maxTurnSeconds: 10, followUpSeconds: 0 } });
    t.mouth.hangNext = true;
    t.controller.trigger('button');
    t.ears.say('hello', Date.now());
    await t.tick(9_999);
    expect(t.controller.state).toBe('thinking');
    await t.tick(1);
    expect(t.controller.state).toBe('error');
    expect(t.turns[0]!.problem).toMatch(/did not finish within 10 s/);
    await t.tick(10_000);
    const visited = new Set<TurnState>(t.states());
    expect([...visited].sort()).toEqual(['error', 'idle', 'listening', 'thinking']);
    expect(t.controller.state).toBe('idle');
  });

  it('voice barge-in (full duplex) cuts the reply when the visitor starts speaking; half-duplex does not', async () => {
    for (const fullDuplex of [true, false]) {
      const t = await setup('button', { audio: { fullDuplex }, turn: { bargeIn: 'voice' } });
      t.brain.next = { kind: 'text', chunks: ['One two three four five six seven eight nine ten eleven twelve.'] };
      t.controller.trigger('button');
      t.ears.say('count', Date.now());
      await t.tick(300);
      expect(t.controller.state).toBe('speaking');
      t.ears.startSpeech(Date.now());
      await t.tick(0);
      expect(t.controller.state).toBe(fullDuplex ? 'listening' : 'speaking');
      vi.useRealTimers();
    }
  });
});
