import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { DaemonProcess, type LogLine } from '../helpers/daemonProcess.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { createFakeGpiod, type FakeGpiod } from '../helpers/fakeGpiod.js';
import { sharedFile } from '../helpers/sharedModels.js';
import { speakFixture } from '../helpers/spokenFixture.js';
import { useTempDirs } from '../helpers/tempDirs.js';

/**
 * The kiosk as a visitor meets it: `kiosk-voice run` with the real engines, the fake ALSA mic and
 * speaker, and the gpiod backend driving stand-in gpiomon/gpioset (v1 and v2 syntax) for the push
 * button and the LEDs. The mic plays the question once, 1.5 s after it is opened.
 */

const BUTTON = 17;
const STATUS_LED = 27;
const MIC_LED = 22;
const LONG_REPLY =
  'We are open from nine in the morning until half past five in the afternoon, from Monday to Friday. ' +
  'On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed all day.';

/** The question in the mic fixture answered on the rules path, without the model. */
const HOURS_RULE = 'dialog:\n  rules:\n    - match: [opening hours]\n      reply: We are open from 9 am to 5:30 pm, Monday to Friday.\n';

const isTurn = (line: LogLine) => line.msg === 'turn';
const states = (d: DaemonProcess) => d.logs.filter((l) => l.msg === 'state').map((l) => l.to as string);

describe('kiosk-voice run with a push button and LEDs (gpiod stand-ins, real engines, fake ALSA)', () => {
  let alsa: FakeAlsa | undefined;
  let gpiod: FakeGpiod | undefined;
  let daemon: DaemonProcess | undefined;
  const tempDir = useTempDirs('kv-daemon-');
  afterEach(async () => {
    daemon?.kill();
    await daemon?.exited;
    await gpiod?.close();
    await alsa?.close();
    daemon = alsa = gpiod = undefined;
  });

  async function start(version: 1 | 2, config: string, extraArgs: string[] = [], question = sharedFile('audio/flite_rms_opening_hours.wav')): Promise<DaemonProcess> {
    const { samples } = await loadWavForPipeline(question);
    const audio = new Int16Array(samples.length + 24_000 + 16_000 * 30);
    audio.set(samples, 24_000);
    alsa = await createFakeAlsa({ mics: { kmic: { audio, rate: 16000, channels: 1 } } });
    gpiod = createFakeGpiod({ version });
    const file = join(alsa.home, 'kiosk.yaml');
    writeFileSync(
      file,
      `hw:\n  gpio:\n    backend: gpiod\n    button: { pin: ${BUTTON} }\n    leds: { status: ${STATUS_LED}, micLive: ${MIC_LED} }\n${config}`,
    );
    const d = new DaemonProcess(['--config', file, '--input-device', 'kmic', '--output-device', 'kspk', ...extraArgs], {
      ...alsa.env,
      PATH: gpiod.env.PATH,
      KIOSK_FAKE_GPIO_DIR: gpiod.env.KIOSK_FAKE_GPIO_DIR,
    });
    daemon = d;
    await d.waitFor((l) => l.msg === 'capture state' && l.state === 'running', 30_000, 'capture running');
    // v1 gpiomon says nothing when it is ready: wait until it holds the button line.
    await vi.waitFor(() => expect(gpiod!.holders().some((h) => h.tool === 'gpiomon' && h.line === BUTTON)).toBe(true), { timeout: 5000 });
    return d;
  }

  /** What gpioset was last asked to drive a line to. */
  const lastSet = (line: number) => gpiod!.setLog().filter((s) => s.line === line).at(-1)?.value;

  it('button mode: speech without a press is never answered, and the mic stays closed', async () => {
    const d = await start(1, 'turn: { followUpSeconds: 0 }\n');
    expect(d.logs.find((l) => l.msg === 'turn controller ready')?.triggerMode).toBe('button');
    // The question plays 1.5–4.7 s after the mic opened; give an answer time to come.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(d.logs.filter(isTurn)).toEqual([]);
    expect(states(d)).toEqual([]);
    expect(gpiod!.setLog().filter((s) => s.line === MIC_LED && s.value === 1)).toEqual([]);
    expect(existsSync(alsa!.speakerFile) ? statSync(alsa!.speakerFile).size : 0).toBe(0);
    expect(await d.stop()).toBe(0);
  }, 60_000);

  it('a button line that cannot be had (permission denied) is one clear line; the kiosk then answers in open-mic mode', async () => {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    alsa = await createFakeAlsa({ mics: { kmic: { audio: samples, rate: 16000, channels: 1 } } });
    gpiod = createFakeGpiod({ version: 1 });
    gpiod.fail('gpiomon', 'permission');
    const file = join(alsa.home, 'kiosk.yaml');
    writeFileSync(file, `hw:\n  gpio:\n    backend: gpiod\n    button: { pin: ${BUTTON} }\n    leds: { status: ${STATUS_LED} }\n${HOURS_RULE}`);
    const d = new DaemonProcess(['--config', file, '--input-device', 'kmic', '--output-device', 'kspk'], {
      ...alsa.env,
      PATH: gpiod.env.PATH,
      KIOSK_FAKE_GPIO_DIR: gpiod.env.KIOSK_FAKE_GPIO_DIR,
    });
    daemon = d;
    const ready = await d.waitFor((l) => l.msg === 'turn controller ready', 30_000, 'controller ready');
    expect(ready.triggerMode).toBe('open-mic');
    const problems = d.logs.filter((l) => l.level >= 40 && /gpio|button/i.test(JSON.stringify(l)));
    expect(problems.some((l) => /permission/i.test(JSON.stringify(l)) && /gpio group/i.test(JSON.stringify(l)))).toBe(true);
    const turn = await d.waitFor(isTurn, 30_000, 'the answered turn');
    expect(turn).toMatchObject({ trigger: 'vad', path: 'rule' });
    expect(await d.stop()).toBe(0);
  }, 60_000);

  it('a tap then a question is answered; the LEDs follow idle→listening→thinking→speaking→idle; SIGTERM disposes the engines and turns the LEDs off', async () => {
    const d = await start(1, `turn: { followUpSeconds: 0 }\n${HOURS_RULE}`);
    await gpiod!.tap(80);
    const turn = await d.waitFor(isTurn, 30_000, 'the answered turn');
    expect(turn).toMatchObject({ trigger: 'button', path: 'rule', outcome: 'answered' });
    expect(turn.transcript).toContain('opening hours');
    await d.waitFor((l) => l.msg === 'state' && l.to === 'idle', 15_000, 'back to idle');
    expect(states(d)).toEqual(['listening', 'thinking', 'speaking', 'idle']);
    const transitions = d.logs.filter((l) => l.msg === 'state');
    expect(transitions.slice(0, 3).every((l) => l.turnId === 1 && l.trigger === 'button')).toBe(true);
    // Gestures are logged with the turn they acted on.
    expect(d.logs.filter((l) => l.msg === 'button').map((l) => [l.gesture, l.turnId])).toEqual([
      ['press', undefined],
      ['tap', 1],
    ]);
    // The status LED: lit (listening is solid) right after the press, dark again at idle.
    const statusSets = gpiod!.setLog().filter((s) => s.line === STATUS_LED);
    expect(statusSets.find((s) => s.value === 1)).toBeDefined();
    // The LED-off is a separate gpioset process, which may land a moment after the idle line.
    await vi.waitFor(() => expect(lastSet(STATUS_LED)).toBe(0), { timeout: 3000 });
    expect(gpiod!.setLog().some((s) => s.line === MIC_LED && s.value === 1)).toBe(true);

    const stopAt = Date.now();
    expect(await d.stop()).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5000);
    expect(d.logs.filter((l) => l.msg === 'engine disposed').map((l) => l.worker).sort()).toEqual(['brain', 'ears', 'mouth']);
    expect(lastSet(STATUS_LED)).toBe(0);
    expect(lastSet(MIC_LED)).toBe(0);
    await vi.waitFor(() => expect(gpiod!.holders()).toEqual([]), { timeout: 3000 });
    expect(d.logs.filter((l) => l.level >= 50)).toEqual([]);
  }, 90_000);

  it('SIGTERM while the answer is being spoken: the turn is cut, LEDs end dark, no line held, exit 0 within 5 s', async () => {
    const d = await start(2, '');
    await gpiod!.tap(80);
    await d.waitFor((l) => l.msg === 'state' && l.to === 'speaking', 30_000, 'speaking');
    expect(lastSet(STATUS_LED)).toBe(1);
    const stopAt = Date.now();
    expect(await d.stop()).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5000);
    const turn = d.logs.find(isTurn);
    expect(turn).toMatchObject({ trigger: 'button', outcome: 'interrupted' });
    expect(lastSet(STATUS_LED)).toBe(0);
    expect(lastSet(MIC_LED)).toBe(0);
    await vi.waitFor(() => expect(gpiod!.holders()).toEqual([]), { timeout: 3000 });
    expect(d.logs.some((l) => l.msg === 'stopped')).toBe(true);
  }, 60_000);

  it('hold-to-talk (gpiod v2): the pause after the question does not end the turn; the release does', async () => {
    const d = await start(2, 'turn: { followUpSeconds: 0 }\n');
    gpiod!.press();
    // The question ends 4.7 s after the mic opened; the VAD's endpoint passes while still held.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    expect(d.logs.filter(isTurn)).toEqual([]);
    expect(states(d)).toEqual(['listening']);
    const releasedAt = Date.now();
    gpiod!.release();
    const thinking = await d.waitFor((l) => l.msg === 'state' && l.to === 'thinking', 15_000, 'thinking after release');
    expect(thinking.time as number).toBeGreaterThanOrEqual(releasedAt);
    const turn = await d.waitFor(isTurn, 30_000, 'the answered turn');
    expect(turn.transcript).toContain('opening hours');
    // Held past the long-press time while talking: that is push-to-talk, not a cancel.
    expect(d.logs.filter((l) => l.msg === 'button').map((l) => l.gesture)).toEqual(['press', 'hold', 'longPress', 'release']);
    expect(await d.stop()).toBe(0);
  }, 90_000);

  it('double tap repeats the last answer; a long press wipes the visitor session', async () => {
    const d = await start(1, `turn: { followUpSeconds: 0 }\n${HOURS_RULE}`);
    await gpiod!.tap(80);
    await d.waitFor(isTurn, 30_000, 'the answered turn');
    await d.waitFor((l) => l.msg === 'state' && l.to === 'idle', 15_000, 'idle');
    const before = statSync(alsa!.speakerFile).size;
    await gpiod!.tap(60);
    await new Promise((resolve) => setTimeout(resolve, 120));
    await gpiod!.tap(60);
    const repeat = await d.waitFor((l) => l.msg === 'repeating the last answer', 5000, 'repeat');
    expect(repeat.reply).toMatch(/open from 9 am/);
    await d.waitFor((l) => l.msg === 'state' && l.to === 'idle' && (l.time as number) > (repeat.time as number), 15_000, 'idle after repeat');
    // The reply is about 3 s of speech at 22.05 kHz; the speaker got it again.
    expect(statSync(alsa!.speakerFile).size - before).toBeGreaterThan(2 * 22050 * 2);
    expect(d.logs.filter(isTurn)).toHaveLength(1);

    await gpiod!.hold(3300);
    const wiped = await d.waitFor((l) => l.msg === 'visitor session wiped', 5000, 'session wiped');
    expect(wiped.reason).toBe('longPress');
    await d.waitFor((l) => l.worker === 'brain' && l.msg === 'conversation forgotten', 5000, 'brain forgot');
    expect(await d.stop()).toBe(0);
  }, 90_000);

  it('barge-in: a press during a long answer silences the speaker within 100 ms and a new turn listens', async () => {
    // No chime, so that anything the speaker gets after the press is the cut answer.
    const d = await start(
      1,
      // A short disclosure: the first reply of the session starts with it, and the press must land in the reply.
      `turn: { followUpSeconds: 0, earcons: { enabled: false } }\nsite: { disclosure: "Hi." }\ndialog:\n  rules:\n    - match: [opening hours]\n      reply: "${LONG_REPLY}"\n`,
    );
    await gpiod!.tap(80);
    await d.waitFor((l) => l.msg === 'state' && l.to === 'speaking', 30_000, 'speaking');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The speaker file's size over time: the device takes audio at its rate, so the time the last
    // sound of the answer reached it is when the file grew past that sample.
    const growth: { at: number; bytes: number }[] = [];
    const pressedAt = Date.now();
    gpiod!.press();
    while (Date.now() - pressedAt < 1000) {
      growth.push({ at: Date.now(), bytes: statSync(alsa!.speakerFile).size });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    gpiod!.release();
    const spoken = readFileSync(alsa!.speakerFile);
    let lastSound = 0;
    for (let i = 0; i + 1 < spoken.length; i += 2) if (Math.abs(spoken.readInt16LE(i)) > 200) lastSound = i + 2;
    const silentFrom = growth.find((g) => g.bytes >= lastSound)?.at ?? pressedAt;
    expect(silentFrom - pressedAt).toBeLessThanOrEqual(100);
    const turn = await d.waitFor(isTurn, 5000, 'the interrupted turn');
    expect(turn.outcome).toBe('interrupted');
    const heard = turn.heard as string;
    expect(heard.length).toBeGreaterThan(0);
    expect(LONG_REPLY.startsWith(heard)).toBe(true);
    expect(heard.length).toBeLessThan(LONG_REPLY.length / 2);
    // The press started a new turn that listens.
    expect(states(d).slice(-1)).toEqual(['listening']);
    expect(await d.stop()).toBe(0);
  }, 90_000);

  it('barge-in on an LLM reply: the stored history ends where the audio stopped', async () => {
    // No opening hours configured: the question goes to the model.
    const d = await start(1, 'turn: { followUpSeconds: 0 }\nsite: { disclosure: "Hi." }\ndialog: { rules: [] }\nllm: { maxTokens: 200 }\n');
    await gpiod!.tap(80);
    await d.waitFor((l) => l.msg === 'state' && l.to === 'speaking', 30_000, 'speaking');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await gpiod!.tap(60);
    const turn = await d.waitFor(isTurn, 5000, 'the interrupted turn');
    expect(turn).toMatchObject({ path: 'llm', outcome: 'interrupted' });
    const truncated = await d.waitFor((l) => l.worker === 'brain' && l.msg === 'reply truncated to what the visitor heard', 5000, 'history truncated');
    expect(truncated.lastReply).toBe(turn.heard);
    expect((turn.reply as string).startsWith(turn.heard as string)).toBe(true);
    expect((turn.heard as string).length).toBeLessThan((turn.reply as string).length);
    expect(await d.stop()).toBe(0);
  }, 90_000);

  it('a visitor who asks for a person: a handoff is logged, said honestly, and the idle LEDs show staff were called', async () => {
    const question = speakFixture(join(tempDir(), 'person.wav'), ['can i talk to a person please'], 0.2);
    const allDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((day) => [day, [{ open: '00:00', close: '23:59' }]]));
    const site = { disclosure: 'Hi.', handoff: { contact: 'the reception team', staffedHours: allDay } };
    const d = await start(1, `turn: { followUpSeconds: 0 }\nsite: ${JSON.stringify(site)}\n`, [], question);
    await gpiod!.tap(80);
    const handoff = await d.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('visitor needs a person'), 30_000, 'the handoff');
    expect(handoff).toMatchObject({ level: 40, type: 'handoff', reason: 'asked', staffAvailable: true });
    const turn = await d.waitFor(isTurn, 30_000, 'the answered turn');
    expect(turn).toMatchObject({ path: 'rule', reply: "I've let the reception team know; someone will come to the desk shortly." });
    const idle = await d.waitFor((l) => l.msg === 'state' && l.to === 'idle', 15_000, 'idle');
    await new Promise((resolve) => setTimeout(resolve, 3200));
    // Idle, yet the status LED flashes twice every 1.5 s instead of staying dark.
    const flashes = gpiod!
      .setLog()
      .filter((s) => s.line === STATUS_LED && s.value === 1 && s.at > (idle.time as number) + 100)
      .map((s) => s.at);
    expect(flashes.length).toBeGreaterThanOrEqual(3);
    const gaps = flashes.slice(1).map((at, i) => at - flashes[i]!);
    expect(gaps.some((gap) => gap > 150 && gap < 400)).toBe(true);
    expect(gaps.some((gap) => gap > 1100 && gap < 1600)).toBe(true);
    expect(await d.stop()).toBe(0);
    expect(lastSet(STATUS_LED)).toBe(0);
  }, 90_000);

  it('wake mode: the wake phrase (a generated tiny spotter that fires on any sound) opens the turn mid-speech and the question is answered', async () => {
    // The generated keyword spotter emits the tokens of "hey kiosk" whenever it hears sound, so the
    // question itself wakes the kiosk; the ears are then armed mid-speech and hear the rest of it.
    const script = resolve(import.meta.dirname, '../fixtures/make_tiny_sherpa_models.py');
    const out = join(tempDir(), 'kws');
    const models = JSON.parse(execFileSync('/usr/bin/python3', [script, out], { encoding: 'utf8' })) as {
      kws: { encoder: string; decoder: string; joiner: string; tokens: string; bpe: string };
    };
    const { encoder, decoder, joiner, tokens, bpe } = models.kws;
    const d = await start(
      1,
      `turn:\n  trigger: wake\n  followUpSeconds: 0\n  wake: { phrases: [hey kiosk], files: { encoder: ${encoder}, decoder: ${decoder}, joiner: ${joiner}, tokens: ${tokens}, bpe: ${bpe} } }\n`,
    );
    expect(d.logs.find((l) => l.msg === 'turn controller ready')?.triggerMode).toBe('wake');
    const woke = await d.waitFor((l) => l.msg === 'wake phrase heard', 15_000, 'wake');
    expect(woke.phrase).toBe('hey kiosk');
    const turn = await d.waitFor(isTurn, 30_000, 'the answered turn');
    expect(turn.trigger).toBe('wake');
    expect(turn.transcript).toContain('hours');
    // The button does nothing in wake mode.
    await d.waitFor((l) => l.msg === 'state' && l.to === 'idle', 15_000, 'idle');
    await gpiod!.tap(80);
    await d.waitFor((l) => l.msg === 'trigger ignored' && l.source === 'button', 5000, 'button ignored');
    expect(await d.stop()).toBe(0);
  }, 90_000);
});
