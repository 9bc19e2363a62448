// /spend/report (per day, broken down) → one row per key, model or day over the whole period. Pure.
import type { SpendReport, SpendTotals } from "./api-types.ts";
import { daysBefore, daysSpanned } from "./values.ts";

export type SpendGroup = "key" | "model" | "day";

export interface SpendRow extends SpendTotals {
  /** The key's alias (or token id), the model, or the date. */
  label: string;
  /** For --by key: the key's id (null for a deleted key). */
  token_id?: string | null;
}

const zero = (): SpendTotals => ({ spend: 0, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });

function add(into: SpendTotals, t: SpendTotals): void {
  into.spend += t.spend;
  into.requests += t.requests;
  into.input_tokens += t.input_tokens;
  into.output_tokens += t.output_tokens;
  into.cache_read_input_tokens += t.cache_read_input_tokens;
  into.cache_creation_input_tokens += t.cache_creation_input_tokens;
}

/** Keys and models by spend, largest first; days in order, every day of the period (a quiet day shows as zero). */
export function spendRows(report: SpendReport, by: SpendGroup): SpendRow[] {
  const rows = new Map<string, SpendRow>();
  const row = (id: string, label: string, extra: Partial<SpendRow> = {}) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { label, ...extra, ...zero() }));
    return r;
  };
  for (const day of report.data) {
    if (by === "day" && "spend" in day) add(row(day.date, day.date), day);
    if (by === "key" && "keys" in day) {
      for (const k of day.keys) add(row(`${k.token_id ?? ""}\u0000${k.key_alias ?? ""}`, k.key_alias ?? k.token_id ?? "(deleted key)", { token_id: k.token_id }), k);
    }
    if (by === "model" && "models" in day) for (const m of day.models) add(row(m.model, m.model), m);
  }
  for (const r of rows.values()) r.spend = Math.round(r.spend * 1e10) / 1e10;
  if (by !== "day") return [...rows.values()].sort((a, b) => b.spend - a.spend || a.label.localeCompare(b.label));
  const days = daysSpanned(report.start_date, report.end_date);
  return Array.from({ length: days }, (_, i) => {
    const date = daysBefore(report.end_date, days - 1 - i);
    return rows.get(date) ?? { label: date, ...zero() };
  });
}
