import { afterEach, describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { DaemonProcess as Daemon, type LogLine } from '../helpers/daemonProcess.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { FakeNotifySocket, longestGap } from '../helpers/fakeNotifySocket.js';
import { sharedFile } from '../helpers/sharedModels.js';

/** WatchdogSec=2 as systemd would pass it: the daemon checks the pipeline every 500 ms. */
const WATCHDOG_USEC = 2_000_000;
const isTurn = (line: LogLine) => line.msg === 'turn';

describe('systemd notify protocol (a fake NOTIFY_SOCKET the test owns, the real daemon)', () => {
  let alsa: FakeAlsa | undefined;
  let daemon: Daemon | undefined;
  let notify: FakeNotifySocket | undefined;
  afterEach(async () => {
    daemon?.kill();
    await alsa?.close();
    await notify?.close();
    daemon = alsa = notify = undefined;
  });

  async function start(env: NodeJS.ProcessEnv = {}, question = true): Promise<{ d: Daemon; n: FakeNotifySocket }> {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    alsa = await createFakeAlsa({ mics: { kmic: { audio: question ? samples : new Int16Array(16000), rate: 16000, channels: 1 } } });
    notify = await FakeNotifySocket.create();
    daemon = new Daemon(['--input-device', 'kmic', '--output-device', 'kspk'], {
      ...alsa.env,
      NOTIFY_SOCKET: notify.path,
      WATCHDOG_USEC: String(WATCHDOG_USEC),
      ...env,
    });
    return { d: daemon, n: notify };
  }

  it('READY=1 only once models are loaded and audio is open; WATCHDOG while alive; STATUS in one line; STOPPING on SIGTERM mid-reply, exit 0 within 5 s', async () => {
    const { d, n } = await start();
    const extend = await n.waitFor((m) => 'EXTEND_TIMEOUT_USEC' in m.fields, 30_000, 'EXTEND_TIMEOUT_USEC while loading');
    const ready = await n.waitFor((m) => m.fields.READY === '1', 30_000, 'READY=1');
    const controllerReady = d.logs.find((l) => l.msg === 'turn controller ready');
    expect(controllerReady, 'the daemon logged "turn controller ready" before READY=1').toBeDefined();
    expect(ready.at).toBeGreaterThanOrEqual(controllerReady!.time as number);
    expect(extend.at).toBeLessThanOrEqual(ready.at);
    expect(Number(extend.fields.EXTEND_TIMEOUT_USEC)).toBeGreaterThanOrEqual(10_000_000);

    await d.waitFor((l) => l.msg === 'state' && l.to === 'speaking', 30_000, 'speaking');
    const watchdogs = n.with('WATCHDOG').filter((m) => m.at > ready.at);
    expect(watchdogs.length, n.summary()).toBeGreaterThanOrEqual(2);
    expect(longestGap(watchdogs, watchdogs[0]!.at, Date.now())).toBeLessThan(WATCHDOG_USEC / 1000);
    for (const m of n.with('STATUS')) expect(m.fields.STATUS).not.toMatch(/\n/);

    const termAt = Date.now();
    const code = await d.stop();
    expect(code).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(5_000);
    const stopping = n.with('STOPPING');
    expect(stopping).toHaveLength(1);
    expect(n.with('WATCHDOG').filter((m) => m.at > stopping[0]!.at)).toEqual([]);
    await d.waitFor(isTurn, 1_000, 'the cut turn is still reported');
  });

  it('a worker that hangs in a call stops the WATCHDOG pings until the supervisor has restarted it', async () => {
    // The ears thread stops for good at its 150th frame (3 s of audio), like a native call that never returns.
    const { d, n } = await start({ KIOSK_VOICE_FAILPOINTS: 'ears.audio=hang@150' }, false);
    await n.waitFor((m) => m.fields.READY === '1', 30_000, 'READY=1');
    const withheld = await d.waitFor((l) => l.msg.startsWith('the pipeline is not alive') && /ears worker/.test(JSON.stringify(l.problems)), 15_000, 'watchdog withheld for the ears');
    await d.waitFor((l) => /did not answer/.test(l.msg), 10_000, 'the supervisor notices the hang');
    const alive = await d.waitFor((l) => l.msg === 'the pipeline is alive again', 15_000, 'alive again after the restart');
    const resumed = await n.waitFor((m) => 'WATCHDOG' in m.fields && m.at > (alive.time as number), 5_000, 'WATCHDOG after the restart');
    // From the first unhealthy reading until the restart nothing fed the watchdog.
    const quiet = n.with('WATCHDOG').filter((m) => m.at > (withheld.time as number) && m.at < (alive.time as number));
    expect(quiet, n.summary()).toEqual([]);
    expect((alive.time as number) - (withheld.time as number)).toBeGreaterThan(1_500);
    expect(resumed.fields.WATCHDOG).toBe('1');
    const status = n.with('STATUS').map((m) => m.fields.STATUS);
    expect(status.some((s) => /not healthy: .*ears worker/.test(s!))).toBe(true);
    expect(await d.stop()).toBe(0);
  });

  it('a blocked event loop sends nothing, and the block is named afterwards', async () => {
    // The main thread blocks for 4 s when the turn starts thinking: longer than WatchdogSec here.
    const { d, n } = await start({ KIOSK_VOICE_FAILPOINTS: 'main.thinking=block:4000@1' });
    await n.waitFor((m) => m.fields.READY === '1', 30_000, 'READY=1');
    const thinking = await d.waitFor((l) => l.msg === 'state' && l.to === 'thinking', 30_000, 'thinking');
    const named = await d.waitFor((l) => l.msg.startsWith('the pipeline is not alive') && /event loop was blocked/.test(JSON.stringify(l.problems)), 10_000, 'the block named');
    const thinkingAt = thinking.time as number;
    expect(longestGap(n.with('WATCHDOG'), thinkingAt, named.time as number), n.summary()).toBeGreaterThanOrEqual(3_900);
    await d.waitFor(isTurn, 30_000, 'the turn still ends');
    await n.waitFor((m) => 'WATCHDOG' in m.fields && m.at > (named.time as number), 5_000, 'WATCHDOG again');
    expect(await d.stop()).toBe(0);
  });

  it('a slow model load keeps extending the start timeout until READY', async () => {
    const { d, n } = await start({ KIOSK_VOICE_FAILPOINTS: 'brain.load=delay:11000' }, false);
    const ready = await n.waitFor((m) => m.fields.READY === '1', 40_000, 'READY=1');
    const extends_ = n.with('EXTEND_TIMEOUT_USEC').filter((m) => m.at < ready.at);
    expect(extends_.length, n.summary()).toBeGreaterThanOrEqual(2);
    expect(extends_.at(-1)!.at - extends_[0]!.at).toBeGreaterThanOrEqual(9_000);
    expect(n.with('WATCHDOG').filter((m) => m.at < ready.at)).toEqual([]);
    expect(n.messages.find((m) => 'STATUS' in m.fields)!.fields.STATUS).toBe('loading models');
    expect(await d.stop()).toBe(0);
  });
});
