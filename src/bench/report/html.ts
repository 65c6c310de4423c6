/**
 * Text and number formatting for the HTML bench report: everything that comes from a report is
 * escaped here, and every figure that may be missing shows as an en dash.
 */

/** Shown for a figure that was not measured (null, absent or not finite). */
export const MISSING = '–';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML or SVG content and for attribute values (quoted with either quote). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const measured = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);

/**
 * Milliseconds as the bench measures them (to 0.1 ms): whole values without decimals, the
 * others with one, so that "1.5" and "410" both read naturally.
 */
export function formatMs(value: number | null | undefined): string {
  if (!measured(value)) return MISSING;
  const tenth = Math.round(value * 10) / 10;
  return Number.isInteger(tenth) ? tenth.toFixed(0) : tenth.toFixed(1);
}

/** {@link formatMs} with its unit, or {@link MISSING} alone. */
export function formatMsUnit(value: number | null | undefined): string {
  return measured(value) ? `${formatMs(value)} ms` : MISSING;
}

/** A ratio (0.077) as a percentage with one decimal ("7.7 %"). */
export function formatRatioPercent(value: number | null | undefined): string {
  return measured(value) ? `${(value * 100).toFixed(1)} %` : MISSING;
}

/** A figure with a unit after it (none when `unit` is empty), or {@link MISSING} alone. */
export function withUnit(value: number | null | undefined, decimals: number, unit: string): string {
  if (!measured(value)) return MISSING;
  return unit ? `${value.toFixed(decimals)} ${unit}` : value.toFixed(decimals);
}
