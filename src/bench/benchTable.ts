import { BENCH_STAGES, BENCH_TOTALS, type BenchReport, type BudgetCheck, type ThermalState } from './BenchReport.js';

/** A terminal this wide shows every line unwrapped; longer free text (model ids, flags) is wrapped. */
const WIDTH = 100;
const DASH = '–';
const LABEL_WIDTH = 34;
const COLUMN_WIDTH = 10;

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? DASH : value.toFixed(digits));
const percent = (share: number | null | undefined) => (share === null || share === undefined ? DASH : `${(share * 100).toFixed(1)} %`);
/** No trailing zeros, the way a budget file writes its limits; three significant digits below 1 (a real-time factor of 0.003 is not 0). */
const plain = (value: number) => String(Math.abs(value) < 1 ? Number(value.toPrecision(3)) : Math.round(value * 100) / 100);

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Wraps a line longer than WIDTH at spaces, continuing indented, so nothing runs past the terminal. */
function fit(line: string): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > WIDTH) {
    const cut = rest.lastIndexOf(' ', WIDTH);
    const at = cut > 8 ? cut : WIDTH;
    out.push(rest.slice(0, at).trimEnd());
    rest = `    ${rest.slice(at).trimStart()}`;
  }
  out.push(rest);
  return out;
}

const heat = (state: ThermalState) => (state.cpuTemperatureC === undefined ? 'no sensor' : `${state.cpuTemperatureC.toFixed(1)} °C`);
const throttle = (state: ThermalState) =>
  state.throttled ? `${state.throttled.raw}${state.throttled.flags.length > 0 ? ` (${state.throttled.flags.join(', ')})` : ''}` : 'unknown';

function budgetLine(check: BudgetCheck): string {
  const value = check.value === null ? 'not measured' : plain(check.value);
  return `  ${check.ok ? '✓' : '✗'} ${check.metric.padEnd(LABEL_WIDTH)}${value.padStart(COLUMN_WIDTH + 2)}  ${check.kind === 'max' ? '≤' : '≥'} ${check.limit}`;
}

/**
 * The report as plain text for a terminal (≤ 100 columns, no colours): the run and the machine,
 * where the time goes stage by stage, how well it heard, the engines' speed, heat and memory, and
 * the budget's checks when one was given.
 */
export function formatBenchTable(report: BenchReport): string {
  const { device, engines, system } = report;
  const models = Object.entries(report.models).map(([part, id]) => `${part} ${id}`).join(', ');
  const lines = [
    `kiosk-voice ${report.version} bench on ${device.hostname}, ${report.startedAt}`,
    `  device: ${device.board}; kernel ${device.kernel}; ${device.os}`,
    `  ${device.cpus} × ${device.cpu} (${device.arch}), ${device.memoryMb} MB, Node ${device.node}`,
    `  models: ${models || DASH}`,
    `  config hash ${report.configHash}`,
    `  corpus ${report.corpus.dir} (${report.corpus.files} files): ${report.turns.length} turns of ${report.options.turns} asked${report.options.throughAlsa ? ', through ALSA' : ''}`,
    '',
    `${'stage'.padEnd(LABEL_WIDTH)}${['p50 ms', 'p95 ms', 'max ms'].map((h) => h.padStart(COLUMN_WIDTH)).join('')}${'n'.padStart(6)}`,
  ];
  const stageLine = (name: string, label: string) => {
    const stats = report.stages[name];
    const figures = [stats?.p50, stats?.p95, stats?.max].map((value) => fixed(value, 1).padStart(COLUMN_WIDTH)).join('');
    return `${clip(label, LABEL_WIDTH - 1).padEnd(LABEL_WIDTH)}${figures}${String(stats?.n ?? 0).padStart(6)}`;
  };
  for (const { name, label } of BENCH_STAGES) lines.push(stageLine(name, label));
  lines.push('-'.repeat(LABEL_WIDTH + 3 * COLUMN_WIDTH + 6));
  for (const { name, label } of BENCH_TOTALS) lines.push(stageLine(name, label));
  lines.push(
    '',
    `glue: ${report.gluePercent === null ? DASH : `${report.gluePercent.toFixed(1)} %`} of end of speech → first audio`,
    `word error rate: ${percent(report.wer.overall)} overall`,
    ...report.wer.perFile.map(
      (row) =>
        `  ${clip(row.file, 32).padEnd(32)}${percent(row.wer).padStart(8)}  ${row.turns} turns; S ${row.errors.substitutions}, D ${row.errors.deletions}, I ${row.errors.insertions} of ${row.errors.referenceWords} words`,
    ),
    `engines: real-time factor ASR ${fixed(engines.asrRealTimeFactor, 3)}, TTS ${fixed(engines.ttsRealTimeFactor, 3)}; ` +
      `LLM prompt ${fixed(engines.llmPromptTokensPerSecond, 1)} tokens/s, generation ${fixed(engines.llmGenerationTokensPerSecond, 1)} tokens/s`,
    `CPU temperature: ${heat(system.before)} → ${heat(system.after)}`,
    `throttling: ${throttle(system.before)} → ${throttle(system.after)}`,
    `RSS (with the engine processes): ${Math.round(system.rssMb.start)} MB → ${Math.round(system.rssMb.end)} MB`,
  );
  if (report.budget) {
    const { budget } = report;
    lines.push('', `budget ${budget.name ?? budget.file}: ${budget.passed ? 'met' : 'EXCEEDED'}`, ...budget.checks.map(budgetLine));
  }
  return lines.flatMap(fit).join('\n');
}
