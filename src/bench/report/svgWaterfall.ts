/**
 * The per-turn waterfall of the HTML bench report: one table row per turn with an inline SVG bar
 * whose segments are the BENCH_STAGES spans on a time axis shared by every row, from just before
 * the end of speech to the latest first audio.
 */
import { BENCH_MARKS, BENCH_STAGES, type BenchTurn } from '../BenchReport.js';
import { escapeHtml, formatMs, formatMsUnit } from './html.js';
import { SPEECH_COLOUR, STAGE_COLOURS, swatch } from './stagePalette.js';

const WIDTH = 640;
const ROW_HEIGHT = 24;
const BAR_HEIGHT = 14;
const AXIS_HEIGHT = 22;
const PAD = 8;
/**
 * Where the axis starts, in ms before the end of speech. Speech lasts seconds and the stages after
 * it a few hundred ms: drawn to scale, the speech would squeeze the stages into a sliver, so it
 * enters from the left edge and its length is written on it.
 */
const AXIS_START = -200;

interface Axis {
  start: number;
  end: number;
  step: number;
  x(ms: number): number;
}

const STEPS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

function axisFor(turns: BenchTurn[]): Axis {
  const latest = Math.max(0, ...turns.flatMap((turn) => Object.values(turn.marks).filter((at): at is number => Number.isFinite(at))));
  const playback = turns.map((turn) => turn.marks.playbackStart).filter((at): at is number => at !== undefined && Number.isFinite(at));
  const last = playback.length > 0 ? Math.max(...playback) : latest > 0 ? latest : 1000;
  const span = last - AXIS_START;
  // At most ten ticks across, on a round number of ms.
  const step = STEPS.find((s) => span / s <= 10) ?? STEPS[STEPS.length - 1]!;
  const end = Math.ceil(last / step) * step;
  const x = (ms: number) => PAD + ((Math.min(Math.max(ms, AXIS_START), end) - AXIS_START) / (end - AXIS_START)) * (WIDTH - 2 * PAD);
  return { start: AXIS_START, end, step, x };
}

const px = (n: number) => n.toFixed(1);

function ticks(axis: Axis): number[] {
  const list: number[] = [];
  for (let t = Math.ceil(axis.start / axis.step) * axis.step; t <= axis.end; t += axis.step) list.push(t);
  return list;
}

function axisSvg(axis: Axis): string {
  const all = ticks(axis);
  const labels = all
    .map((t, i) => {
      // The end labels stay inside the SVG; the last one carries the unit.
      const anchor = i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle';
      const label = t === 0 ? 'speech end' : i === all.length - 1 ? `${t} ms` : t < 0 ? `−${-t}` : `+${t}`;
      return `<line x1="${px(axis.x(t))}" x2="${px(axis.x(t))}" y1="${AXIS_HEIGHT - 6}" y2="${AXIS_HEIGHT}" class="tick"/><text x="${px(axis.x(t))}" y="${AXIS_HEIGHT - 9}" text-anchor="${anchor}">${label}</text>`;
    })
    .join('');
  return `<svg class="axis" width="${WIDTH}" height="${AXIS_HEIGHT}" viewBox="0 0 ${WIDTH} ${AXIS_HEIGHT}" role="img" aria-label="time axis in ms from the end of speech">${labels}</svg>`;
}

/** Everything about a turn in one tooltip: what was heard and said, and each stage's ms. */
function turnTooltip(turn: BenchTurn): string {
  const stages = BENCH_STAGES.map((stage) => `${stage.label}: ${formatMsUnit(turn.latencies[stage.name])}`);
  const endpoint = turn.endpoint ? [`end of turn: ${turn.endpoint.verdict} (${turn.endpoint.reason}), ${Math.round(turn.endpoint.silenceMs)} ms of silence for ${Math.round(turn.endpoint.requiredSilenceMs)} asked`] : [];
  const speculated = turn.marks.speculationStart !== undefined ? [`reply made at the pause, ${formatMsUnit(turn.marks.speculationStart)} after the end of speech`] : [];
  return [`Turn ${turn.index} — ${turn.file} (${turn.path})`, `heard: ${turn.transcript}`, `reply: ${turn.reply}`, ...endpoint, ...speculated, ...stages, `end of speech → first audio: ${formatMsUnit(turn.latencies.endOfSpeechToFirstAudio)}`].join('\n');
}

function rowSvg(turn: BenchTurn, axis: Axis): string {
  const top = (ROW_HEIGHT - BAR_HEIGHT) / 2;
  const grid = ticks(axis)
    .map((t) => `<line x1="${px(axis.x(t))}" x2="${px(axis.x(t))}" y1="0" y2="${ROW_HEIGHT}" class="grid"/>`)
    .join('');
  const parts: string[] = [];
  const speechStart = turn.marks.speechStart;
  const speechEnd = turn.marks.speechEnd;
  if (speechStart !== undefined && speechEnd !== undefined) {
    const from = axis.x(speechStart);
    const width = Math.max(1, axis.x(speechEnd) - from);
    const clipped = speechStart < axis.start;
    parts.push(`<rect class="speech" x="${px(from)}" y="${top}" width="${px(width)}" height="${BAR_HEIGHT}" fill="${SPEECH_COLOUR}"><title>speech: ${formatMsUnit(speechEnd - speechStart)}</title></rect>`);
    // Only where the label fits inside the bar: a short utterance keeps its length in the tooltip.
    if (width >= 80) parts.push(`<text class="speech-label" x="${px(from + 4)}" y="${top + BAR_HEIGHT - 3.5}">${clipped ? '◀ ' : ''}speech ${(Math.abs(speechEnd - speechStart) / 1000).toFixed(2)} s</text>`);
  }
  for (const stage of BENCH_STAGES) {
    const from = turn.marks[stage.from];
    const to = turn.marks[stage.to];
    if (from === undefined || to === undefined) continue;
    const left = axis.x(Math.min(from, to));
    // A stage of a fraction of a ms still shows, as a hairline.
    const width = Math.max(1.5, axis.x(Math.max(from, to)) - left);
    parts.push(
      `<rect class="stage-segment" data-stage="${stage.name}" x="${px(left)}" y="${top}" width="${px(width)}" height="${BAR_HEIGHT}" fill="${STAGE_COLOURS[stage.name]}"><title>${escapeHtml(stage.label)}: ${formatMsUnit(to - from)}</title></rect>`,
    );
  }
  const end = `<line class="speech-end" x1="${px(axis.x(0))}" x2="${px(axis.x(0))}" y1="1" y2="${ROW_HEIGHT - 1}"/>`;
  return `<svg class="bar" width="${WIDTH}" height="${ROW_HEIGHT}" viewBox="0 0 ${WIDTH} ${ROW_HEIGHT}" role="img" aria-label="turn ${escapeHtml(String(turn.index))} stages"><title>${escapeHtml(turnTooltip(turn))}</title>${grid}${parts.join('')}${end}</svg>`;
}

/** Lets a long file name wrap after its separators (`opening_/hours.wav`) rather than mid-word. */
const breakable = (escaped: string) => escaped.replace(/([_.-])/g, '$1<wbr>');

function missingMarks(turn: BenchTurn): string[] {
  return BENCH_MARKS.filter((mark) => turn.marks[mark] === undefined || !Number.isFinite(turn.marks[mark]));
}

/** The legend of the waterfall's colours, one swatch per stage. */
export function renderStageLegend(): string {
  const items = [`<li>${swatch(SPEECH_COLOUR)} speech</li>`, ...BENCH_STAGES.map((stage) => `<li>${swatch(STAGE_COLOURS[stage.name])} ${escapeHtml(stage.label)}</li>`)];
  return `<ul class="legend">${items.join('')}<li><svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><line x1="6" x2="6" y1="0" y2="12" class="speech-end"/></svg> end of speech</li></ul>`;
}

/** The waterfall table: a `waterfall-row` per turn (with `data-turn`), under a shared time axis. */
export function renderWaterfall(turns: BenchTurn[]): string {
  const axis = axisFor(turns);
  const rows = turns.map((turn) => {
    const missing = missingMarks(turn);
    const note = missing.length > 0 ? `<span class="missing">missing: ${missing.join(', ')}</span>` : '';
    return (
      `<tr class="waterfall-row" data-turn="${escapeHtml(String(turn.index))}"><td class="num">${escapeHtml(String(turn.index))}</td>` +
      `<td class="file"><span class="name">${breakable(escapeHtml(turn.file))}</span> <span class="path">${escapeHtml(turn.path)}</span>${note}</td>` +
      `<td class="chart">${rowSvg(turn, axis)}</td><td class="num total">${formatMsUnit(turn.latencies.endOfSpeechToFirstAudio)}</td></tr>`
    );
  });
  return (
    `<table class="waterfall"><thead><tr><th class="num">#</th><th>file</th><th class="chart">${axisSvg(axis)}</th><th class="num total">speech end →<br>first audio</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>` +
    `<p class="note">Time in ms from the end of speech; the axis starts ${formatMs(-axis.start)} ms before it, so a longer utterance enters from the left edge (◀). Hover a bar for the transcript, the reply and each stage's ms.</p>`
  );
}
