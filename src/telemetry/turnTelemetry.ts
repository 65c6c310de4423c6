import type { EndpointDecision } from '../turn/endpointing/EndpointDecision.js';
import type { EngineCompute, ReplyPath, Turn, TurnSpeculation, TurnTrigger } from '../turn/Turn.js';
import { turnStageValues } from './turnStages.js';

type MarkKey = keyof Turn['marks'];

/**
 * One turn as published on `<base>/telemetry/turn`. Only JSON values: a mark or latency that the
 * turn does not have is left out rather than sent as null or NaN, so consumers can tell "not
 * measured" from a number.
 */
export interface TurnTelemetry {
  turnId: number;
  trigger: TurnTrigger;
  path: ReplyPath;
  outcome?: NonNullable<Turn['outcome']>;
  problem?: string;
  /** Wall-clock time the telemetry was made (ISO 8601), to line turns up with logs. */
  at: string;
  /** Marks on the shared monotonic clock, ms rounded to 0.1, in the order they happened. */
  marks: Partial<Record<MarkKey, number>>;
  /** The same marks relative to the end of speech (negative before it); empty without `speechEnd`. */
  marksFromSpeechEnd: Partial<Record<MarkKey, number>>;
  /** Every TURN_STAGES value this turn has, ms rounded to 0.1. */
  latencies: Record<string, number>;
  compute: Partial<EngineCompute>;
  /** Glue as a share of end of speech → first audio, in percent. */
  gluePercent?: number;
  /** How the end of the turn was decided (its `decidedAt` is in `marks.endpointDecision`). */
  endpoint?: Omit<EndpointDecision, 'decidedAt'>;
  speculation?: TurnSpeculation;
  /** What the visitor said, what the kiosk answered and what of it they heard: only with `mqtt.publishTranscripts`. */
  transcript?: string;
  reply?: string;
  heard?: string;
}

const tenth = (ms: number) => Math.round(ms * 10) / 10;

/** A turn as JSON-able telemetry; the visitor's words are left out unless `publishTranscripts` is on (privacy). */
export function turnTelemetry(turn: Turn, options: { publishTranscripts: boolean; at?: Date }): TurnTelemetry {
  const marks = Object.entries(turn.marks)
    .filter((entry): entry is [MarkKey, number] => Number.isFinite(entry[1]))
    .sort((a, b) => a[1] - b[1]);
  const speechEnd = turn.marks.speechEnd;
  const stages = turnStageValues(turn);
  const latencies = Object.fromEntries(Object.entries(stages).map(([name, ms]) => [name, tenth(ms)]));
  const compute = Object.fromEntries(
    Object.entries(turn.compute).filter((entry): entry is [string, number] => Number.isFinite(entry[1])).map(([name, ms]) => [name, tenth(ms)]),
  );
  const { glue, endOfSpeechToFirstAudio: total } = stages;
  const telemetry: TurnTelemetry = {
    turnId: turn.id,
    trigger: turn.trigger,
    path: turn.path,
    at: (options.at ?? new Date()).toISOString(),
    marks: Object.fromEntries(marks.map(([name, at]) => [name, tenth(at)])),
    marksFromSpeechEnd: speechEnd === undefined ? {} : Object.fromEntries(marks.map(([name, at]) => [name, tenth(at - speechEnd)])),
    latencies,
    compute,
  };
  if (turn.outcome !== undefined) telemetry.outcome = turn.outcome;
  if (turn.endpoint) telemetry.endpoint = endpointFacts(turn.endpoint);
  if (turn.speculation) telemetry.speculation = { ...turn.speculation, wastedMs: tenth(turn.speculation.wastedMs) };
  if (turn.problem !== undefined) telemetry.problem = turn.problem;
  if (glue !== undefined && total !== undefined && total > 0) telemetry.gluePercent = tenth((glue / total) * 100);
  if (options.publishTranscripts) {
    telemetry.transcript = turn.transcript;
    telemetry.reply = turn.reply;
    if (turn.heard !== undefined) telemetry.heard = turn.heard;
  }
  return telemetry;
}

/** The decision without its clock time (that is a mark), its silences rounded. */
export function endpointFacts(endpoint: EndpointDecision): Omit<EndpointDecision, 'decidedAt'> {
  const { decidedAt: _decidedAt, ...facts } = endpoint;
  return { ...facts, requiredSilenceMs: tenth(facts.requiredSilenceMs), silenceMs: tenth(facts.silenceMs) };
}
