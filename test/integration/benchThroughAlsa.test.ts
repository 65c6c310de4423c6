import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/BenchReport.js';
import { addAskingMic } from '../helpers/askingMic.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { addFakeRoom, type FakeRoom } from '../helpers/fakeRoom.js';
import { runCli } from '../helpers/runCli.js';
import { sharedModelsDir } from '../helpers/sharedModels.js';

/**
 * `bench --through-alsa` with the fake ALSA devices: the kiosk captures with arecord from a mic
 * PCM and answers with aplay on the fake speaker, and each question is played with aplay on a
 * "room" PCM that carries it to the mic — on a device, the speaker and the air do that.
 */
describe('kiosk-voice bench --through-alsa (real arecord/aplay, fake devices)', () => {
  let alsa: FakeAlsa | undefined;
  let room: FakeRoom | undefined;
  afterAll(async () => {
    await room?.close();
    await alsa?.close();
  });

  it('asks each question aloud and reports the turns the kiosk heard and answered on its speaker', async () => {
    alsa = await createFakeAlsa();
    const mic = addAskingMic(alsa, 'askmic');
    room = addFakeRoom(alsa, mic);
    const json = join(alsa.home, 'report.json');
    const result = await runCli(
      ['bench', '--through-alsa', '--models', 'test', '--models-dir', sharedModelsDir, '--turns', '3', '--input-device', mic.pcm, '--output-device', alsa.speakerPcm, '--question-device', room.pcm, '--json', json],
      { env: { ...alsa.env, KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord', KIOSK_VOICE__AUDIO__PLAYBACK__BACKEND: 'aplay' }, timeoutMs: 240_000 },
    );
    expect(result.stderr).not.toMatch(/kiosk-voice bench:/);
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    expect(report.options.throughAlsa).toBe(true);
    expect(room.carried).toBe(3);
    expect(report.turns.map((turn) => turn.file)).toEqual(['opening_hours.wav', 'wifi_password.wav', 'open_on_saturday.wav']);
    expect(report.turns[0]!.transcript).toBe('what are your opening hours');
    for (const turn of report.turns) {
      expect(turn.outcome).toBe('answered');
      // The playback mark comes from the real player on the (fake) speaker.
      expect(turn.marks.playbackStart).toBeGreaterThan(0);
    }
    expect(report.stages.endOfSpeechToFirstAudio!.n).toBe(3);
    expect(statSync(alsa.speakerFile).size).toBeGreaterThan(16000);
  }, 300_000);

  it('a question device that does not exist fails in one line, exit 2', async () => {
    alsa ??= await createFakeAlsa();
    const mic = addAskingMic(alsa, 'askmic2');
    const result = await runCli(
      ['bench', '--through-alsa', '--models', 'test', '--models-dir', sharedModelsDir, '--turns', '1', '--input-device', mic.pcm, '--output-device', alsa.speakerPcm, '--question-device', 'no_such_pcm'],
      { env: { ...alsa.env, KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord', KIOSK_VOICE__AUDIO__PLAYBACK__BACKEND: 'aplay' }, timeoutMs: 120_000 },
    );
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('kiosk-voice bench:'));
    expect(lines).toEqual([expect.stringMatching(/could not play .*opening_hours\.wav on no_such_pcm/)]);
    mic.close();
  }, 150_000);
});
