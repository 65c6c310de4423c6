import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { childProcesses, cpuSeconds, DaemonProcess as Daemon, speakerHolds, type LogLine } from '../helpers/daemonProcess.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { sharedFile } from '../helpers/sharedModels.js';

const isTurn = (line: LogLine) => line.msg === 'turn';

describe('kiosk-voice run (real ALSA fake mic and speaker, real engines)', () => {
  let alsa: FakeAlsa | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => {
    daemon?.kill();
    await alsa?.close();
    daemon = alsa = undefined;
  });

  async function startWithQuestion(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    alsa = await createFakeAlsa({ mics: { kmic: { audio: samples, rate: 16000, channels: 1 } } });
    daemon = new Daemon(['--input-device', 'kmic', '--output-device', 'kspk', ...extraArgs], { ...alsa.env, ...env });
    return daemon;
  }

  it('answers a spoken question from the mic through the speaker, and stops cleanly on SIGTERM', async () => {
    // A rule answers it: the default site has no opening hours to answer from.
    const d = await startWithQuestion([], { KIOSK_VOICE__DIALOG__RULES: '[{"match": ["opening hours"], "reply": "We are open from 9 am to 5:30 pm, Monday to Friday."}]' });
    await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
    const turn = await d.waitFor(isTurn, 30_000, 'first turn');
    expect(turn.transcript).toContain('opening hours');
    expect(turn.path).toBe('rule');
    expect(turn.endOfSpeechToFirstAudioMs).toEqual(expect.any(Number));
    // espeak says the opening-hours reply in about 3 s at 22.05 kHz.
    const spoken = await speakerHolds(alsa!, 2, 10_000);
    expect(rms(spoken)).toBeGreaterThan(0.02);
    expect(await d.stop()).toBe(0);
    expect(d.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(d.logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('recovers when the capture process is killed: capture resumes within 2 s and the next question is answered', async () => {
    const d = await startWithQuestion([], { KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord' });
    await d.waitFor(isTurn, 30_000, 'first turn');
    const arecord = childProcesses(d.pid).find((c) => c.comm === 'arecord');
    expect(arecord, `children: ${JSON.stringify(childProcesses(d.pid))}`).toBeDefined();
    const killedAt = Date.now();
    process.kill(arecord!.pid, 'SIGKILL');
    // The reopened mic hears the question again from the start (see fakeAlsa) and answers it.
    const running = await d.waitFor((l) => l.msg === 'capture state' && l.state === 'running' && (l.restarts as number) >= 1, 5_000, 'capture running again');
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(running.restarts).toBeGreaterThanOrEqual(1);
    await d.waitFor((l) => isTurn(l) && d.logs.filter(isTurn).length >= 2, 30_000, 'second turn');
    expect(d.logs.filter(isTurn)[1]!.transcript).toContain('opening hours');
    expect(await d.stop()).toBe(0);
  });

  it('does not hear itself: half-duplex ignores the mic while speaking; full duplex with voice barge-in is interrupted by it', async () => {
    // The question, then the question again while the (long) reply is playing, then silence.
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    const twice = new Int16Array(samples.length * 2 + 16000);
    twice.set(samples, 0);
    twice.set(samples, samples.length + 16000);
    const longReply = 'We are open from nine in the morning until half past five in the afternoon, from Monday to Friday. On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed.';
    alsa = await createFakeAlsa({ mics: { kmic: { audio: twice, rate: 16000, channels: 1 } } });
    const configFile = join(alsa.home, 'kiosk.yaml');
    writeFileSync(configFile, `dialog:\n  rules:\n    - match: [opening hours]\n      reply: "${longReply}"\n`);
    const turnsWith = async (fullDuplex: boolean): Promise<LogLine[]> => {
      const d = new Daemon(['--config', configFile, '--input-device', 'kmic', '--output-device', 'kspk'], {
        ...alsa!.env,
        KIOSK_VOICE__AUDIO__FULL_DUPLEX: String(fullDuplex),
        KIOSK_VOICE__TURN__BARGE_IN: fullDuplex ? 'voice' : 'button',
      });
      daemon = d;
      const first = await d.waitFor(isTurn, 30_000, 'first turn');
      expect(first.reply).toBe(longReply);
      // The second question ends ~2.5 s after the first; give it time to be answered if heard.
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      expect(await d.stop()).toBe(0);
      return d.logs.filter(isTurn);
    };
    expect(await turnsWith(false)).toHaveLength(1);
    const full = await turnsWith(true);
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(full[0]!.outcome).toBe('interrupted');
    expect(full[1]!.transcript).toContain('opening hours');
  }, 120_000);

  it('keeps retrying a missing mic with backoff: one error line, no crash, little CPU', async () => {
    alsa = await createFakeAlsa();
    daemon = new Daemon(['--input-device', 'hw:CARD=Nope', '--output-device', 'kspk'], { ...alsa.env, KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord' });
    const d = daemon;
    await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
    const cpuBefore = cpuSeconds(d.pid);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const cpuShare = (cpuSeconds(d.pid) - cpuBefore) / 4;
    const errors = d.logs.filter((l) => l.level >= 50);
    expect(errors, d.tail()).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/hw:CARD=Nope/);
    expect(cpuShare).toBeLessThan(0.1);
    const attempts = d.logs.filter((l) => l.msg === 'capture reopens after a delay').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(8);
    expect(await d.stop()).toBe(0);
  });
});
