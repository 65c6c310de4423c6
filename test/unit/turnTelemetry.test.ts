import { describe, expect, it } from 'vitest';
import { TURN_STAGES } from '../../src/telemetry/turnStages.js';
import { turnTelemetry } from '../../src/telemetry/turnTelemetry.js';
import { MARK_ORDER, type Turn } from '../../src/turn/Turn.js';

/** A complete LLM turn; marks on the monotonic clock as a running daemon would have them. */
function llmTurn(): Turn {
  return {
    id: 7,
    trigger: 'wake',
    transcript: 'when do you open',
    reply: 'We open at nine. See you then!',
    path: 'llm',
    marks: {
      speechStart: 1000.04,
      speechEnd: 2000,
      endpoint: 2300.26,
      asrFinal: 2350,
      llmFirstToken: 2600,
      firstPhrase: 2700,
      ttsFirstAudio: 2750,
      playbackStart: 2760,
      playbackEnd: 4000,
    },
    compute: { vadHangover: 300, asr: 40.04, llm: 330, tts: 45, queued: 0 },
    outcome: 'answered',
  };
}

describe('turn telemetry', () => {
  it('carries every mark, absolute and relative to the end of speech, rounded to 0.1 ms', () => {
    const telemetry = turnTelemetry(llmTurn(), { publishTranscripts: false, at: new Date('2026-12-01T10:00:00Z') });
    expect(Object.keys(telemetry.marks)).toEqual([...MARK_ORDER]);
    expect(telemetry.marks.speechStart).toBe(1000);
    expect(telemetry.marks.endpoint).toBe(2300.3);
    expect(telemetry.marksFromSpeechEnd).toMatchObject({ speechStart: -1000, speechEnd: 0, playbackStart: 760, playbackEnd: 2000 });
    expect(telemetry).toMatchObject({ turnId: 7, trigger: 'wake', path: 'llm', outcome: 'answered', at: '2026-12-01T10:00:00.000Z' });
  });

  it('derives the latencies from the marks and compute, with glue as a share of the total', () => {
    const telemetry = turnTelemetry(llmTurn(), { publishTranscripts: false });
    expect(telemetry.latencies).toEqual({
      endOfSpeechToAsrFinal: 350,
      vadHangover: 300,
      asrCompute: 40,
      asrFinalToLlmFirstToken: 250,
      llmComputeToFirstPhrase: 330,
      llmFirstTokenToTtsFirstAudio: 150,
      ttsComputeFirstAudio: 45,
      asrFinalToFirstAudio: 410,
      endOfSpeechToFirstAudio: 760,
      // 760 − (300 + 40.04 + 330 + 45 + 0)
      glue: 45,
    });
    expect(Object.keys(telemetry.latencies)).toEqual(TURN_STAGES.map((s) => s.name).filter((name) => name !== 'ruleFinalToFirstPhrase'));
    expect(telemetry.compute).toEqual({ vadHangover: 300, asr: 40, llm: 330, tts: 45, queued: 0 });
    expect(telemetry.gluePercent).toBe(5.9);
  });

  it('gives the rule path its fast-path stage', () => {
    const turn = { ...llmTurn(), path: 'rule' as const };
    expect(turnTelemetry(turn, { publishTranscripts: false }).latencies.ruleFinalToFirstPhrase).toBe(350);
  });

  it('leaves the visitor’s words out unless publishTranscripts is on', () => {
    const turn = { ...llmTurn(), outcome: 'interrupted' as const, heard: 'We open at nine.' };
    const hidden = JSON.stringify(turnTelemetry(turn, { publishTranscripts: false }));
    for (const text of ['when do you open', 'We open at nine']) expect(hidden).not.toContain(text);
    expect(JSON.parse(hidden)).not.toHaveProperty('transcript');
    expect(JSON.parse(hidden)).not.toHaveProperty('reply');
    expect(JSON.parse(hidden)).not.toHaveProperty('heard');
    const shown = turnTelemetry(turn, { publishTranscripts: true });
    expect(shown).toMatchObject({ transcript: 'when do you open', reply: 'We open at nine. See you then!', heard: 'We open at nine.' });
  });

  it('omits missing marks and the latencies that need them rather than sending null or NaN', () => {
    const turn: Turn = {
      id: 8,
      trigger: 'button',
      transcript: '',
      reply: '',
      path: 'fallback',
      marks: { speechStart: 10, speechEnd: 20, endpoint: 30 },
      compute: { vadHangover: 10 },
      outcome: 'failed',
      problem: 'no words recognised',
    };
    const json = JSON.stringify(turnTelemetry(turn, { publishTranscripts: false }));
    expect(json).not.toMatch(/null|NaN/);
    const parsed = JSON.parse(json) as ReturnType<typeof turnTelemetry>;
    expect(Object.keys(parsed.marks)).toEqual(['speechStart', 'speechEnd', 'endpoint']);
    expect(parsed.latencies).toEqual({ vadHangover: 10 });
    expect(parsed).not.toHaveProperty('gluePercent');
    expect(parsed.problem).toBe('no words recognised');
  });

  it('has no relative marks without an end of speech', () => {
    const turn: Turn = { id: 9, trigger: 'mqtt', transcript: '', reply: '', path: 'rule', marks: { firstPhrase: 5 }, compute: {} };
    const telemetry = turnTelemetry(turn, { publishTranscripts: false });
    expect(telemetry.marks).toEqual({ firstPhrase: 5 });
    expect(telemetry.marksFromSpeechEnd).toEqual({});
    expect(telemetry).not.toHaveProperty('outcome');
  });
});
