/** The budget's verdict in the HTML bench report: a banner and a pass/fail table of every check. */
import type { BudgetCheck, BudgetVerdict } from '../BenchReport.js';
import { escapeHtml, formatMsUnit, withUnit } from './html.js';

/** A budget metric's value in its own unit: ms for stages, % for glue, a ratio for WER, … */
export function formatMetricValue(metric: string, value: number | null): string {
  switch (metric) {
    case 'gluePercent':
      return withUnit(value, 1, '%');
    case 'wer':
      return withUnit(value, 3, '');
    case 'asrRealTimeFactor':
    case 'ttsRealTimeFactor':
      return withUnit(value, 2, '×');
    case 'llmPromptTokensPerSecond':
    case 'llmGenerationTokensPerSecond':
      return withUnit(value, 1, 'tokens/s');
    case 'cpuTemperatureC':
      return withUnit(value, 1, '°C');
    case 'rssMb':
      return withUnit(value, 0, 'MB');
    default:
      // `<stage>.<p50|p95|max>`: every other metric is a latency.
      return formatMsUnit(value);
  }
}

/** "≤ 600 ms" or "≥ 10.0 tokens/s". */
export function formatLimit(check: BudgetCheck): string {
  return `${check.kind === 'max' ? '≤' : '≥'} ${formatMetricValue(check.metric, check.limit)}`;
}

/** One line saying whether the run met its budget, for the top of the report. */
export function renderBudgetBanner(verdict: BudgetVerdict): string {
  const failed = verdict.checks.filter((check) => !check.ok).length;
  const name = verdict.name ? `${escapeHtml(verdict.name)} (${escapeHtml(verdict.file)})` : escapeHtml(verdict.file);
  const result = verdict.passed ? 'passed' : `failed: ${failed} of ${verdict.checks.length} checks not met`;
  return `<p class="verdict ${verdict.passed ? 'pass' : 'fail'}">Budget ${name}: <strong>${result}</strong></p>`;
}

/** Every check of the budget with its limit, the measured value and pass/fail. */
export function renderBudgetTable(verdict: BudgetVerdict): string {
  const rows = verdict.checks.map(
    (check) =>
      `<tr class="budget-check ${check.ok ? 'pass' : 'fail'}" data-metric="${escapeHtml(check.metric)}"><td>${escapeHtml(check.metric)}</td>` +
      `<td class="num">${formatLimit(check)}</td><td class="num">${formatMetricValue(check.metric, check.value)}</td><td class="result">${check.ok ? 'pass' : 'FAIL'}</td></tr>`,
  );
  return `<table class="budget"><thead><tr><th>metric</th><th class="num">limit</th><th class="num">measured</th><th>result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
