import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema, type KioskConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/createLogger.js';
import { FixedPrompts } from '../../src/turn/FixedPrompts.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import { TurnController } from '../../src/turn/TurnController.js';
import { markProblems, type Turn } from '../../src/turn/Turn.js';
import type { EndpointDecision } from '../../src/turn/endpointing/EndpointDecision.js';
import { FakeBrain, FakeEars, FakeMouth, FakeSpeaker } from '../fakes/FakeEngines.js';

const PROMPTS = { acknowledgement: 'One moment.', apology: 'Sorry.', fallback: 'Please ask at the desk.', notUnderstood: 'Say again?', disclosure: 'I am an automated assistant.' };

async function setup(overrides: KioskConfigInput = {}, { disclose = false } = {}) {
  const config = configSchema.parse(overrides);
  const ears = new FakeEars();
  const brain = new FakeBrain();
  const mouth = new FakeMouth();
  const sink = new FakeSpeaker();
  const prompts = await FixedPrompts.synthesize(mouth, PROMPTS);
  mouth.spoken.length = 0;
  vi.useFakeTimers({ now: 1_000_000 });
  const controller = new TurnController({
    config,
    triggerMode: 'open-mic',
    ears,
    brain,
    mouth,
    speaker: new PlaybackLedger(sink),
    prompts,
    earcons: { listening: undefined, error: undefined },
    logger: createLogger('silent'),
    now: () => Date.now(),
    disclose,
  });
  const turns: Turn[] = [];
  controller.on('turn', (t) => turns.push(t));
  controller.start();
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
  return { controller, ears, brain, mouth, sink, turns, tick };
}

afterEach(() => vi.useRealTimers());

const decision = (silenceMs: number): EndpointDecision => ({ backend: 'lexical', verdict: 'complete', reason: 'question with object', requiredSilenceMs: 220, silenceMs, resumedPauses: 0, decidedAt: Date.now() });

/** The ears' side of one utterance: speech, a pause with the words so far, and later the end. */
function utterance(ears: FakeEars) {
  const id = ears.startSpeech(Date.now());
  return {
    id,
    pause: (text: string) => ears.hear({ type: 'pause', utteranceId: id, text, at: Date.now() }),
    resume: () => ears.hear({ type: 'resume', utteranceId: id, at: Date.now() }),
    end: (text: string, speechEndAt: number) => {
      const now = Date.now();
      ears.hear({ type: 'speechEnd', utteranceId: id, samples: [0, 16000], speechStartAt: speechEndAt - 1000, speechEndAt, endpointAt: now, endpoint: decision(now - speechEndAt) });
      ears.hear({ type: 'final', utteranceId: id, text, at: now, asrComputeMs: 0 });
    },
  };
}

describe('TurnController: speculative replies', () => {
  it('hit: the reply made at the pause is held (nothing plays) and plays the moment the turn ends with the same words', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: ['We open ', 'at nine.'] };
    const u = utterance(t.ears);
    await t.tick(1200);
    const speechEnd = Date.now();
    await t.tick(150);
    u.pause('when do you open');
    await t.tick(50);
    // Made, synthesised, held: the visitor has not finished as far as the kiosk knows.
    expect(t.brain.speculations).toEqual([{ turnId: 1, text: 'when do you open' }]);
    expect(t.mouth.spoken).toEqual(['We open at nine.']);
    expect(t.sink.writes).toEqual([]);
    expect(t.controller.state).toBe('listening');
    // Half-duplex muting waits for audio that actually plays.
    expect(t.controller.micOpen()).toBe(true);
    await t.tick(20);
    const endAt = Date.now();
    u.end('When do you open?', speechEnd);
    await t.tick(0);
    expect(t.sink.writes[0]?.at).toBe(endAt);
    expect(t.controller.state).toBe('speaking');
    expect(t.brain.calls).toEqual([]);
    expect(t.brain.settlements).toEqual([{ turnId: 1, keep: true }]);
    await t.tick(5000);
    expect(t.turns).toHaveLength(1);
    const [turn] = t.turns;
    expect(turn).toMatchObject({ transcript: 'When do you open?', reply: 'We open at nine.', outcome: 'answered', speculation: { hits: 1, misses: 0, restarts: 0, declined: 0, wastedMs: 0 } });
    expect(turn!.marks.playbackStart! - turn!.marks.speechEnd!).toBe(endAt - speechEnd);
    expect(turn!.marks.speculationStart).toBeLessThan(turn!.marks.endpoint!);
    expect(turn!.endpoint).toMatchObject({ verdict: 'complete', requiredSilenceMs: 220 });
    expect(markProblems(turn!)).toEqual([]);
    // The engines' work overlapped the silence: none of it is on the way to the first audio.
    expect(turn!.compute).toMatchObject({ llm: 0, tts: 0, asr: 0 });
  });

  it('miss: the visitor goes on after the pause — nothing is played, the brain forgets it, and the whole request is answered once', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: ['Which day?'] };
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('is there a slot on');
    await t.tick(100);
    expect(t.brain.speculations).toHaveLength(1);
    u.resume();
    await t.tick(0);
    expect(t.brain.settlements).toEqual([{ turnId: 1, keep: false }]);
    t.brain.next = { kind: 'text', chunks: ['Yes, at ten.'] };
    await t.tick(900);
    const speechEnd = Date.now();
    await t.tick(220);
    u.end('is there a slot on thursday morning', speechEnd);
    await t.tick(5000);
    expect(t.sink.writes.length).toBeGreaterThan(0);
    expect(t.mouth.spoken).toEqual(['Which day?', 'Yes, at ten.']);
    expect(t.turns).toHaveLength(1);
    expect(t.turns[0]).toMatchObject({ transcript: 'is there a slot on thursday morning', reply: 'Yes, at ten.', speculation: { hits: 0, misses: 1, restarts: 0 } });
    expect(t.turns[0]!.speculation!.wastedMs).toBeGreaterThanOrEqual(0);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'is there a slot on thursday morning' }]);
  });

  it('miss while the reply is still being made: generation is aborted and nothing reaches the speaker', async () => {
    const t = await setup();
    t.brain.next = { kind: 'manual' };
    const u = utterance(t.ears);
    await t.tick(800);
    u.pause('could you check');
    await t.tick(10);
    t.brain.send('Sure, ');
    await t.tick(10);
    u.resume();
    await t.tick(0);
    expect(t.brain.aborted).toBe(1);
    expect(t.sink.writes).toEqual([]);
    expect(t.brain.settlements).toEqual([{ turnId: 1, keep: false }]);
  });

  it('restart: the final words differ from the pause\'s — the held reply is thrown away and the final words are answered', async () => {
    const t = await setup();
    t.brain.next = { kind: 'text', chunks: ['We close at five.'] };
    const u = utterance(t.ears);
    await t.tick(1000);
    const speechEnd = Date.now();
    u.pause('what time do you close');
    await t.tick(100);
    t.brain.next = { kind: 'text', chunks: ['We open at nine.'] };
    u.end('what time do you open', speechEnd);
    await t.tick(5000);
    expect(t.brain.settlements).toEqual([{ turnId: 1, keep: false }]);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'what time do you open' }]);
    expect(t.turns).toHaveLength(1);
    expect(t.turns[0]).toMatchObject({ reply: 'We open at nine.', speculation: { hits: 0, misses: 0, restarts: 1 } });
    expect(t.turns[0]!.marks.speculationStart).toBeUndefined();
    expect(markProblems(t.turns[0]!)).toEqual([]);
  });

  it('the same words up to case and punctuation are a hit', async () => {
    const t = await setup();
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('Are you open on Saturday');
    await t.tick(50);
    u.end('are you open on saturday?', Date.now() - 220);
    await t.tick(5000);
    expect(t.turns[0]?.speculation).toMatchObject({ hits: 1 });
    expect(t.brain.calls).toEqual([]);
  });

  it('declined: words the dialog would act on are not answered ahead; the final words are answered as usual', async () => {
    const t = await setup();
    t.brain.declineSpeculation = true;
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('yes please');
    await t.tick(50);
    u.end('yes please', Date.now() - 220);
    await t.tick(5000);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'yes please' }]);
    expect(t.turns[0]?.speculation).toMatchObject({ hits: 0, declined: 1, wastedMs: 0 });
  });

  it('declined only after the turn ended (a tool call partway): the final words are asked for real and answered, the kiosk never stuck', async () => {
    const t = await setup();
    t.brain.declineSpeculation = true;
    t.brain.declineAfterMs = 200;
    t.brain.next = { kind: 'text', chunks: ['Someone is on the way.'] };
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('can i speak to a person');
    await t.tick(50);
    u.end('can i speak to a person', Date.now() - 220);
    await t.tick(0);
    expect(t.controller.state).toBe('thinking');
    await t.tick(5000);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'can i speak to a person' }]);
    expect(t.turns).toHaveLength(1);
    expect(t.turns[0]).toMatchObject({ outcome: 'answered', reply: 'Someone is on the way.' });
    expect(t.controller.state).toBe('idle');
  });

  it('the disclosure of a new visitor waits for the reply that plays, not the one that was thrown away', async () => {
    const t = await setup({}, { disclose: true });
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('hello');
    await t.tick(50);
    expect(t.sink.writes).toEqual([]);
    u.resume();
    await t.tick(500);
    u.end('hello there', Date.now() - 220);
    await t.tick(5000);
    expect(t.turns[0]?.marks.disclosed).toBeDefined();
  });

  it('with turn.endpointing.speculate off, a pause starts nothing', async () => {
    const t = await setup({ turn: { endpointing: { speculate: false } } });
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('when do you open');
    await t.tick(50);
    expect(t.brain.speculations).toEqual([]);
    u.end('when do you open', Date.now() - 220);
    await t.tick(5000);
    expect(t.brain.calls).toEqual([{ turnId: 1, text: 'when do you open' }]);
    expect(t.turns[0]?.speculation).toBeUndefined();
  });

  it('a speculation dies with its turn: a cancel throws it away', async () => {
    const t = await setup();
    t.brain.next = { kind: 'hang' };
    const u = utterance(t.ears);
    await t.tick(1000);
    u.pause('tell me a story');
    await t.tick(50);
    t.controller.cancel('longPress');
    await t.tick(0);
    expect(t.brain.settlements).toEqual([{ turnId: 1, keep: false }]);
    expect(t.brain.aborted).toBe(1);
    expect(t.sink.writes).toEqual([]);
  });
});
