import type { DailySpend } from "../db/admin-queries.ts";

// Pure: spend rows (as /spend/report reads them) → the series a stacked chart draws. No I/O.

export type SpendGroup = "model" | "key";

export interface Series {
  name: string;
  /** USD per day, aligned with `days`. */
  values: number[];
  total: number;
}

export interface SpendSeries {
  days: string[];
  series: Series[];
  /** USD per day over every series. */
  dayTotals: number[];
}

/** Colours a chart can tell apart: this many series get their own, the rest are summed into "Other". */
export const MAX_SERIES = 7;
export const OTHER = "Other";

/** Every date from `first` to `last` (YYYY-MM-DD, both included), so days without spend still get a (empty) bar. */
export function dateRange(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The label a row is grouped under. A deleted key keeps its alias; a key without one is named by its id. */
export function groupName(r: DailySpend, group: SpendGroup): string {
  if (group === "model") return r.model;
  return r.keyAlias ?? (r.keyId ? `key ${r.keyId.slice(0, 8)}` : "(deleted key)");
}

/** Series largest first; everything beyond MAX_SERIES is one "Other" series, last. */
export function spendSeries(rows: DailySpend[], days: string[], group: SpendGroup): SpendSeries {
  const index = new Map(days.map((d, i) => [d, i]));
  const byName = new Map<string, number[]>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const name = groupName(r, group);
    let values = byName.get(name);
    if (!values) byName.set(name, (values = days.map(() => 0)));
    values[i]! += r.spend;
  }
  const all = [...byName].map(([name, values]) => ({ name, values, total: sum(values) })).sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  const series = all.slice(0, MAX_SERIES);
  const rest = all.slice(MAX_SERIES);
  if (rest.length) {
    const values = days.map((_, i) => sum(rest.map((s) => s.values[i]!)));
    series.push({ name: OTHER, values, total: sum(values) });
  }
  return { days, series, dayTotals: days.map((_, i) => sum(series.map((s) => s.values[i]!))) };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
