import { describe, expect, it } from "vitest";
import type { DailySpend } from "../../worker/db/admin-queries.ts";
import { dateRange, MAX_SERIES, OTHER, spendSeries } from "../../worker/ui/spend-series.ts";

function row(day: string, model: string, spend: number, keyAlias: string | null = "alice", keyId: string | null = "0b7c0d4e-0000-4000-8000-000000000001"): DailySpend {
  return { day, keyId, keyAlias, model, spend, requests: 1, inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };
}

describe("dateRange", () => {
  it("lists every day, both ends included, across a month end", () => {
    expect(dateRange("2026-11-29", "2026-12-02")).toEqual(["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
    expect(dateRange("2026-12-02", "2026-12-02")).toEqual(["2026-12-02"]);
  });
});

describe("spendSeries", () => {
  const days = dateRange("2026-12-01", "2026-12-03");

  it("stacks by model with zero-filled days and totals per day", () => {
    const s = spendSeries([row("2026-12-01", "a", 1), row("2026-12-03", "a", 2), row("2026-12-03", "b", 0.5)], days, "model");
    expect(s.series).toEqual([
      { name: "a", values: [1, 0, 2], total: 3 },
      { name: "b", values: [0, 0, 0.5], total: 0.5 },
    ]);
    expect(s.dayTotals).toEqual([1, 0, 2.5]);
  });

  it("stacks by key: alias, else the id's start, else a deleted key", () => {
    const s = spendSeries([row("2026-12-01", "m", 1, "bob"), row("2026-12-01", "m", 2, null), row("2026-12-02", "m", 3, null, null)], days, "key");
    expect(s.series.map((x) => x.name)).toEqual(["(deleted key)", "key 0b7c0d4e", "bob"]);
  });

  it("keeps the largest series and sums the rest into Other", () => {
    const rows = Array.from({ length: MAX_SERIES + 3 }, (_, i) => row("2026-12-02", `m${i}`, i + 1));
    const s = spendSeries(rows, days, "model");
    expect(s.series).toHaveLength(MAX_SERIES + 1);
    expect(s.series[0]!.name).toBe(`m${MAX_SERIES + 2}`);
    expect(s.series.at(-1)).toEqual({ name: OTHER, values: [0, 6, 0], total: 6 });
    expect(s.dayTotals[1]).toBe(rows.reduce((a, r) => a + r.spend, 0));
  });

  it("ignores rows outside the days asked for", () => {
    expect(spendSeries([row("2026-11-30", "a", 9)], days, "model").series).toEqual([]);
  });
});
