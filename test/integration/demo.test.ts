import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { readWavFile } from '../../src/audio/wav.js';
import { floatToInt16 } from '../../src/audio/pcm.js';
import { MARK_ORDER, markProblems, type Turn } from '../../src/turn/Turn.js';
import { runCli } from '../helpers/runCli.js';
import { readTranscripts, sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';
import { writeBadWavFixtures } from '../helpers/wavFixtures.js';
import { stringify } from 'yaml';
import { exampleSite as exampleSiteInput } from '../../src/config/exampleSite.js';
import { bookableWeekdayAtTen } from '../helpers/bookableDay.js';
import { exampleSite } from '../helpers/exampleSite.js';
import { speakFixture } from '../helpers/spokenFixture.js';

const work = mkdtempSync(join(tmpdir(), 'kv-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  turns: {
    trigger: string;
    transcript: string;
    reply: string;
    path: string;
    disclosedAt?: number;
    speechSeconds: [number, number];
    marks: Record<string, number | null>;
    latencyMs: Record<string, number | null>;
    computeMs: Record<string, number | null>;
  }[];
  output: string;
  frontDesk: { turnId: number; event: Record<string, unknown> }[];
}

async function demo(input: string, name: string, extra: string[] = []): Promise<Report> {
  const output = join(work, `${name}.wav`);
  const result = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', input, '--output', output, '--json', ...extra]);
  expect(result.stderr).not.toMatch(/"level":(50|60)/);
  expect(result.code, result.stderr).toBe(0);
  // stdout is exactly one JSON object; logs went to stderr.
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const report = JSON.parse(lines[0]!) as Report;
  expect(report.output).toBe(output);
  return report;
}

function expectCompleteTurn(turn: Report['turns'][number]): void {
  const marks = MARK_ORDER.map((name) => {
    const at = turn.marks[name];
    expect(at, `${name} missing`).toEqual(expect.any(Number));
    return at as number;
  });
  // A reply made at a pause (speculationStart) runs alongside the end of the turn: markProblems knows both orders.
  const numbered = Object.fromEntries(Object.entries(turn.marks).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
  expect(markProblems({ marks: numbered } as Turn), `marks out of order: ${JSON.stringify(turn.marks)}`).toEqual([]);
  expect(marks).toHaveLength(MARK_ORDER.length);
  for (const key of ['endOfSpeechToAsrFinal', 'asrFinalToLlmFirstToken', 'llmFirstTokenToTtsFirstAudio', 'endOfSpeechToFirstAudio']) {
    expect(turn.latencyMs[key], key).toBeGreaterThanOrEqual(0);
  }
  expect(turn.reply.length).toBeGreaterThan(0);
}

async function expectSpokenOutput(path: string, minSeconds: number): Promise<void> {
  const audio = await readWavFile(path);
  const samples = floatToInt16(audio.channels[0]!);
  expect(samples.length / audio.sampleRate).toBeGreaterThan(minSeconds);
  expect(rms(samples)).toBeGreaterThan(0.02);
}

describe('kiosk-voice demo --models test (real VAD, pocketsphinx, LLM, espeak-ng in workers)', () => {
  it('answers flite_rms_opening_hours.wav from the example site\'s hours on the rules path, after saying it is automated', async () => {
    const report = await demo(sharedFile('audio/flite_rms_opening_hours.wav'), 'opening');
    expect(report.turns).toHaveLength(1);
    const [turn] = report.turns;
    expect(turn!.transcript).toContain('opening hours');
    expect(turn!.path).toBe('rule');
    expect(turn!.trigger).toBe('vad');
    const site = exampleSite();
    // A new visitor hears first that this is an automated assistant (a prompt made at start, not part of the reply).
    expect(turn!.disclosedAt).toEqual(expect.any(Number));
    expect(turn!.reply).not.toContain(site.disclosure);
    // Every time it says is one of the configured opening or closing times.
    const configured = new Set(Object.values(site.hours).flatMap((ranges) => ranges.flatMap((r) => [r.open, r.close])));
    for (const exception of site.exceptions) for (const r of exception.hours) (configured.add(r.open), configured.add(r.close));
    const said = turn!.reply.match(/\b\d\d:\d\d\b/g) ?? [];
    expect(said.length).toBeGreaterThan(0);
    for (const time of said) expect(configured, `${time} in "${turn!.reply}"`).toContain(time);
    expectCompleteTurn(turn!);
    await expectSpokenOutput(report.output, 2);
  });

  it('books from a two-utterance recording (a day and a time, then "yes"): one appointment in the database, kept between runs', async () => {
    const site = exampleSite();
    const { weekday, start } = bookableWeekdayAtTen(site, 'checkup');
    const input = speakFixture(join(work, 'booking.wav'), [`I want to book a check up on ${weekday} at ten`, 'yes please']);
    const dbPath = join(work, 'booking.sqlite');
    const config = join(work, 'booking.yaml');
    writeFileSync(config, stringify({ site: exampleSiteInput(), storage: { path: dbPath } }));
    const report = await demo(input, 'booking', ['--config', config]);
    expect(report.turns.map((t) => t.path)).toEqual(['rule', 'rule']);
    expect(report.turns[0]!.reply).toMatch(/10:00.*\?/);
    expect(report.turns[1]!.reply).toMatch(/reference/i);
    expect(report.turns.map((t) => t.disclosedAt === undefined)).toEqual([false, true]);
    expect(report.frontDesk).toEqual([{ turnId: expect.any(Number), event: expect.objectContaining({ type: 'appointment', action: 'booked', serviceId: 'checkup' }) }]);
    // A separate process, after the demo ended, finds exactly that one booking.
    const listed = await runCli(['appointments', 'list', '--db', dbPath, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const appointments = JSON.parse(listed.stdout) as { serviceId: string; startUtc: string; reference: string; status: string }[];
    expect(appointments).toHaveLength(1);
    expect(appointments[0]).toMatchObject({ serviceId: 'checkup', status: 'booked', startUtc: start.toUTC().toISO() });
    expect(report.turns[1]!.reply.replace(/[^A-Z0-9]/g, '')).toContain(appointments[0]!.reference);
  });

  it('takes espeak_three_utterances.wav as three turns through the LLM', async () => {
    const report = await demo(sharedFile('audio/espeak_three_utterances.wav'), 'three');
    expect(report.turns).toHaveLength(3);
    for (const turn of report.turns) expectCompleteTurn(turn);
    // One turn per utterance, in order, where the reference puts the speech.
    const reference = readTranscripts().find((row) => row.file === 'espeak_three_utterances.wav')!.regions;
    report.turns.forEach((turn, i) => {
      expect(Math.abs(turn.speechSeconds[0] - reference[i]![0]), `turn ${i + 1} start`).toBeLessThan(0.2);
      expect(Math.abs(turn.speechSeconds[1] - reference[i]![1]), `turn ${i + 1} end`).toBeLessThan(0.2);
    });
    await expectSpokenOutput(report.output, 3);
  });

  it('an ears worker that crashes mid-file is restarted and the demo still finishes (no wait for audio the dead worker took)', async () => {
    const output = join(work, 'ears-crash.wav');
    const result = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', sharedFile('audio/espeak_three_utterances.wav'), '--output', output, '--json'], {
      env: { KIOSK_VOICE_FAILPOINTS: 'ears.audio=crash@100!' },
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/worker crashed; restarting/);
    const report = JSON.parse(result.stdout) as Report;
    // The restarted worker joins the stream where it is: the utterances after the crash are heard.
    expect(report.turns.map((t) => t.transcript).join(' | ')).toMatch(/opening/);
  });

  it('paces the input like a microphone with --realtime and reports the same shape', async () => {
    const started = Date.now();
    const report = await demo(sharedFile('audio/flite_rms_opening_hours.wav'), 'realtime', ['--realtime']);
    // The file is 4.3 s long; real-time pacing cannot finish much sooner.
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(report.turns).toHaveLength(1);
    expectCompleteTurn(report.turns[0]!);
  });

  it('prints a readable summary without --json', async () => {
    const output = join(work, 'human.wav');
    const result = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', sharedFile('audio/flite_rms_opening_hours.wav'), '--output', output]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/turn 1 {2}heard: "what are your opening hours"/);
    expect(result.stdout).toMatch(/end of speech → first audio \d+ ms/);
    expect(result.stdout).toContain(`replies written to ${output}`);
  });

  it('reports no turns for a silent file and still writes a (silent) output', async () => {
    const silent = join(work, 'silence.wav');
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + 64000, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(64000, 40);
    writeFileSync(silent, Buffer.concat([header, Buffer.alloc(64000)]));
    const report = await demo(silent, 'silent-out');
    expect(report.turns).toEqual([]);
  });
});

describe('kiosk-voice demo with bad input', () => {
  it('rejects every bad WAV with a non-zero exit and one line on stderr', async () => {
    mkdirSync(join(work, 'bad'));
    const fixtures = await writeBadWavFixtures(join(work, 'bad'));
    fixtures['missing-file'] = join(work, 'does-not-exist.wav');
    fixtures['a-directory'] = work;
    expect(Object.keys(fixtures).length).toBeGreaterThanOrEqual(8);
    for (const [name, path] of Object.entries(fixtures)) {
      const result = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', path, '--output', join(work, 'bad.wav')], {
        timeoutMs: 30_000,
      });
      expect(result.code, `${name}: ${result.stderr}`).not.toBe(0);
      const lines = result.stderr.trim().split('\n');
      expect(lines, `${name} printed more than one line: ${result.stderr}`).toHaveLength(1);
      expect(lines[0], name).toMatch(/^kiosk-voice: /);
      expect(lines[0], name).not.toMatch(/\bat .*\.js:\d+/);
    }
  });

  it('rejects bad options and a bad config value with one line', async () => {
    const input = sharedFile('audio/flite_rms_opening_hours.wav');
    const unknownSet = await runCli(['demo', '--models', 'nope', '--input', input]);
    expect(unknownSet.code).not.toBe(0);
    expect(unknownSet.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknownSet.stderr).toMatch(/nope/);

    const badEnv = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--input', input], { env: { KIOSK_VOICE__VAD__THRESHOLD: '7' } });
    expect(badEnv.code).not.toBe(0);
    expect(badEnv.stderr.trim()).toMatch(/^kiosk-voice: invalid configuration .*vad\.threshold: Too big/);
    expect(badEnv.stderr.trim().split('\n')).toHaveLength(1);

    const noModels = await runCli(['demo', '--models', 'test', '--models-dir', join(work, 'empty-models'), '--input', input]);
    expect(noModels.code).not.toBe(0);
    expect(noModels.stderr.trim().split('\n')).toHaveLength(1);
    expect(noModels.stderr).toMatch(/not found at .*empty-models.* — run `kiosk-voice models fetch/);

    const missingInput = await runCli(['demo', '--models', 'test']);
    expect(missingInput.code).not.toBe(0);
    expect(missingInput.stderr).toMatch(/required option '-i, --input <wav>'/);
  });
});
