import { percentile } from './percentile.js';

/** What the bench saw of one corpus item when it was asked through the kiosk. */
export interface EndpointingItem {
  file: string;
  kind: 'complete' | 'hesitant';
  /** The silence a hesitant item leaves mid-request, ms. */
  pauseMs?: number;
  /** The turns this item became, in order (0 = the kiosk never answered it). */
  turns: number;
  /** The kiosk started answering before the visitor's last word (its first audio before the item's speech end). */
  answeredEarly: boolean;
  /** End of speech → first audio of the item's last turn, ms (undefined when it was not answered). */
  endOfSpeechToFirstAudioMs?: number;
  speculation?: { hits: number; misses: number; restarts: number; wastedMs: number };
  /** CPU time (user+system, ms) the kiosk's processes used for this item, when measured. */
  cpuMs?: number;
}

/** One run of the endpointing corpus, in the figures the targets are written in. */
export interface EndpointingSummary {
  complete: { items: number; endOfSpeechToFirstAudio: { p50: number; p95: number; max: number } | undefined };
  /**
   * `oneTurn`: heard as one turn and answered after the last word. `falseCutOffs`: became two or
   * more turns, or was answered early. Shares are of `items` (0 when there are none).
   */
  hesitant: {
    items: number;
    oneTurn: number;
    oneTurnShare: number;
    falseCutOffs: number;
    falseCutOffShare: number;
    byPause: { pauseMs: number; items: number; oneTurnShare: number }[];
  };
  /** `hitRate` = hits / (hits + misses + restarts); undefined when nothing was speculated. */
  speculation: { hits: number; misses: number; restarts: number; hitRate: number | undefined; wastedMs: number };
  /** Mean over the items that were measured; undefined when none was. */
  cpuMsPerItem: number | undefined;
}

/** The targets for the endpointing run; `hesitantMaxPauseMs` bounds the pauses the one-turn target covers. */
export const ENDPOINTING_TARGETS = {
  completeP50Ms: 300,
  completeP95Ms: 450,
  hesitantOneTurnShare: 0.95,
  // A pause close to the long (~1000 ms) silence is one a person would also take for the end.
  hesitantMaxPauseMs: 800,
  extraCpuShare: 0.25,
} as const;

const isOneTurn = (item: EndpointingItem) => item.turns === 1 && !item.answeredEarly;
const isFalseCutOff = (item: EndpointingItem) => item.turns >= 2 || item.answeredEarly;
const share = (count: number, of: number) => (of === 0 ? 0 : count / of);

function latencyOf(items: EndpointingItem[]): EndpointingSummary['complete']['endOfSpeechToFirstAudio'] {
  const values = items.map((item) => item.endOfSpeechToFirstAudioMs).filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
  if (values.length === 0) return undefined;
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: percentile(values, 100) };
}

function byPause(items: EndpointingItem[]): EndpointingSummary['hesitant']['byPause'] {
  const groups = new Map<number, EndpointingItem[]>();
  for (const item of items) {
    if (item.pauseMs === undefined) continue;
    groups.set(item.pauseMs, [...(groups.get(item.pauseMs) ?? []), item]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([pauseMs, group]) => ({ pauseMs, items: group.length, oneTurnShare: share(group.filter(isOneTurn).length, group.length) }));
}

/** The figures of one run: complete questions' latency, hesitant requests' cut-offs, speculation, CPU. */
export function summariseEndpointing(items: EndpointingItem[]): EndpointingSummary {
  const complete = items.filter((item) => item.kind === 'complete');
  const hesitant = items.filter((item) => item.kind === 'hesitant');
  const oneTurn = hesitant.filter(isOneTurn).length;
  const falseCutOffs = hesitant.filter(isFalseCutOff).length;
  const speculation = { hits: 0, misses: 0, restarts: 0, wastedMs: 0 };
  for (const item of items) {
    speculation.hits += item.speculation?.hits ?? 0;
    speculation.misses += item.speculation?.misses ?? 0;
    speculation.restarts += item.speculation?.restarts ?? 0;
    speculation.wastedMs += item.speculation?.wastedMs ?? 0;
  }
  const tried = speculation.hits + speculation.misses + speculation.restarts;
  const cpu = items.map((item) => item.cpuMs).filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
  return {
    complete: { items: complete.length, endOfSpeechToFirstAudio: latencyOf(complete) },
    hesitant: {
      items: hesitant.length,
      oneTurn,
      oneTurnShare: share(oneTurn, hesitant.length),
      falseCutOffs,
      falseCutOffShare: share(falseCutOffs, hesitant.length),
      byPause: byPause(hesitant),
    },
    speculation: { ...speculation, hitRate: tried === 0 ? undefined : speculation.hits / tried },
    cpuMsPerItem: cpu.length === 0 ? undefined : cpu.reduce((sum, ms) => sum + ms, 0) / cpu.length,
  };
}

/** One-turn share of the hesitant items whose pause is at most `maxPauseMs`; undefined when there are none. */
export function oneTurnShareUpTo(summary: EndpointingSummary, maxPauseMs: number): number | undefined {
  const groups = summary.hesitant.byPause.filter((group) => group.pauseMs <= maxPauseMs);
  const items = groups.reduce((sum, group) => sum + group.items, 0);
  // Each group's share × its items is a whole count, up to floating-point noise.
  const oneTurn = groups.reduce((sum, group) => sum + Math.round(group.oneTurnShare * group.items), 0);
  return items === 0 ? undefined : oneTurn / items;
}

/** candidate / baseline CPU per item − 1; undefined when either was not measured. */
export function extraCpuShare(baseline: EndpointingSummary, candidate: EndpointingSummary): number | undefined {
  if (baseline.cpuMsPerItem === undefined || candidate.cpuMsPerItem === undefined || baseline.cpuMsPerItem <= 0) return undefined;
  return candidate.cpuMsPerItem / baseline.cpuMsPerItem - 1;
}

const DASH = '–';
const LABEL_WIDTH = 34;
/** The longest target's label, "hesitant one turn ≥ 95 % (pause ≤ 800 ms)", fits. */
const TARGET_WIDTH = 44;
const ms = (value: number | undefined) => (value === undefined ? DASH : `${Math.round(value)} ms`);
const percent = (value: number | undefined) => (value === undefined ? DASH : `${(value * 100).toFixed(1)} %`);
const signedPercent = (value: number | undefined) => (value === undefined ? DASH : `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`);
/** "45.0 % (9 of 20)", or a dash when there was nothing to count. */
const countShare = (count: number, items: number) => (items === 0 ? DASH : `${percent(count / items)} (${count} of ${items})`);

function targetLine(label: string, value: number | undefined, shown: string, limit: number, kind: 'max' | 'min'): string {
  const verdict = value === undefined ? 'not measured' : (kind === 'max' ? value <= limit : value >= limit) ? 'met' : 'not met';
  const mark = verdict === 'met' ? '✓' : '✗';
  return `  ${mark} ${label.padEnd(TARGET_WIDTH)}${shown.padStart(10)}  ${verdict}`;
}

/** Side by side, the fixed-silence baseline and the endpointing run, as a printable table (lines). */
export function endpointingTable(
  baseline: EndpointingSummary,
  candidate: EndpointingSummary,
  labels: { baseline: string; candidate: string } = { baseline: 'baseline', candidate: 'candidate' },
): string[] {
  const width = Math.max(16, labels.baseline.length, labels.candidate.length) + 2;
  const row = (label: string, left: string, right: string) => `${label.padEnd(LABEL_WIDTH)}${left.padStart(width)}${right.padStart(width)}`;
  const both = (label: string, figure: (summary: EndpointingSummary) => string) => row(label, figure(baseline), figure(candidate));
  const pauses = [...new Set([...baseline.hesitant.byPause, ...candidate.hesitant.byPause].map((group) => group.pauseMs))].sort((a, b) => a - b);
  const pauseShare = (summary: EndpointingSummary, pauseMs: number) => {
    const group = summary.hesitant.byPause.find((candidateGroup) => candidateGroup.pauseMs === pauseMs);
    return group === undefined ? DASH : countShare(Math.round(group.oneTurnShare * group.items), group.items);
  };
  const latency = candidate.complete.endOfSpeechToFirstAudio;
  const oneTurnUpTo = oneTurnShareUpTo(candidate, ENDPOINTING_TARGETS.hesitantMaxPauseMs);
  const extraCpu = extraCpuShare(baseline, candidate);
  return [
    row('endpointing', labels.baseline, labels.candidate),
    both('complete questions', (s) => String(s.complete.items)),
    both('  end of speech → first audio p50', (s) => ms(s.complete.endOfSpeechToFirstAudio?.p50)),
    both('  p95', (s) => ms(s.complete.endOfSpeechToFirstAudio?.p95)),
    both('  max', (s) => ms(s.complete.endOfSpeechToFirstAudio?.max)),
    both('hesitant requests', (s) => String(s.hesitant.items)),
    both('  one turn', (s) => countShare(s.hesitant.oneTurn, s.hesitant.items)),
    both('  false cut-offs', (s) => countShare(s.hesitant.falseCutOffs, s.hesitant.items)),
    ...pauses.map((pauseMs) => both(`  one turn, pause ${pauseMs} ms`, (s) => pauseShare(s, pauseMs))),
    both('speculation hit rate', (s) => percent(s.speculation.hitRate)),
    both('  hits / misses / restarts', (s) => `${s.speculation.hits} / ${s.speculation.misses} / ${s.speculation.restarts}`),
    both('  wasted', (s) => ms(s.speculation.wastedMs)),
    both('CPU per item', (s) => ms(s.cpuMsPerItem)),
    row('  extra CPU', '', signedPercent(extraCpu)),
    `targets (${labels.candidate})`,
    targetLine(`complete p50 ≤ ${ENDPOINTING_TARGETS.completeP50Ms} ms`, latency?.p50, ms(latency?.p50), ENDPOINTING_TARGETS.completeP50Ms, 'max'),
    targetLine(`complete p95 ≤ ${ENDPOINTING_TARGETS.completeP95Ms} ms`, latency?.p95, ms(latency?.p95), ENDPOINTING_TARGETS.completeP95Ms, 'max'),
    targetLine(
      `hesitant one turn ≥ ${Math.round(ENDPOINTING_TARGETS.hesitantOneTurnShare * 100)} % (pause ≤ ${ENDPOINTING_TARGETS.hesitantMaxPauseMs} ms)`,
      oneTurnUpTo,
      percent(oneTurnUpTo),
      ENDPOINTING_TARGETS.hesitantOneTurnShare,
      'min',
    ),
    targetLine(`extra CPU ≤ ${Math.round(ENDPOINTING_TARGETS.extraCpuShare * 100)} %`, extraCpu, signedPercent(extraCpu), ENDPOINTING_TARGETS.extraCpuShare, 'max'),
  ];
}
