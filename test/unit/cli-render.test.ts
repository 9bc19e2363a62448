import { describe, expect, it } from "vitest";
import type { KeyView, SpendReport } from "../../cli/api-types.ts";
import { spendTable } from "../../cli/commands/spend.ts";
import { CLAUDE_MODELS } from "../../cli/models.ts";
import { bar, bars } from "../../cli/render/chart.ts";
import { count, instant, usd } from "../../cli/render/format.ts";
import { keyDetails, keyTable } from "../../cli/render/keys.ts";
import { renderTable, width } from "../../cli/render/table.ts";
import { spendRows } from "../../cli/spend-rows.ts";

describe("renderTable", () => {
  it("pads columns to the widest cell, right-aligns numbers, trims line ends", () => {
    const t = renderTable([{ header: "NAME" }, { header: "N", align: "right" }, { header: "NOTE" }], [["alice", "5", ""], ["bo", "1234", "x"]]);
    expect(t).toBe("NAME      N  NOTE\nalice     5\nbo     1234  x\n");
  });

  it("cuts long cells with an ellipsis and draws a footer under a rule", () => {
    const t = renderTable([{ header: "M", maxWidth: 5 }, { header: "$", align: "right" }], [["abcdefgh", "1"]], { footer: [["total", "1"]] });
    expect(t.split("\n")).toEqual(["M      $", "abcd…  1", "────────", "total  1", ""]);
  });

  it("measures width without ANSI codes; bold headers only with colour", () => {
    expect(width("\u001b[1mab\u001b[22m█")).toBe(3);
    expect(renderTable([{ header: "H" }], [["x"]], { color: true })).toBe("\u001b[1mH\u001b[22m\nx\n");
  });
});

describe("bar chart", () => {
  it("draws eighths of a cell", () => {
    expect(bar(10, 10, 4)).toBe("████");
    expect(bar(5, 10, 4)).toBe("██");
    expect(bar(1, 16, 2)).toBe("▏");
    expect(bar(3, 8, 1)).toBe("▍");
    expect(bar(0.625, 1, 1)).toBe("▋");
    expect(bar(0.7, 1, 1)).toBe("▊");
  });

  it("gives any positive value a sliver, and nothing for zero, negative or no scale", () => {
    expect(bar(0.0001, 1000, 10)).toBe("▏");
    expect(bar(0, 10, 10)).toBe("");
    expect(bar(-1, 10, 10)).toBe("");
    expect(bar(1, 0, 10)).toBe("");
  });

  it("scales a series to its largest value, never wider than asked", () => {
    const b = bars([4, 2, 0, 1], 8);
    expect(b).toEqual(["████████", "████", "", "██"]);
    expect(Math.max(...b.map(width))).toBe(8);
  });
});

describe("format", () => {
  it("shows dollars with cents, and small amounts with enough digits", () => {
    expect(usd(0)).toBe("$0.00");
    expect(usd(5)).toBe("$5.00");
    expect(usd(1234.567)).toBe("$1234.57");
    expect(usd(0.12)).toBe("$0.12");
    expect(usd(0.0123)).toBe("$0.0123");
    expect(usd(0.000143)).toBe("$0.000143");
    expect(usd(0.0000001)).toBe("<$0.000001");
  });

  it("groups thousands and shows instants to the minute", () => {
    expect(count(200000)).toBe("200,000");
    expect(instant("2026-12-22T10:05:59.000Z")).toBe("2026-12-22 10:05 UTC");
  });
});

const view = (over: Partial<KeyView>): KeyView => ({
  token_id: "11111111-2222-3333-4444-555555555555",
  key_name: "sk-bw-AbCd",
  key_alias: "alice",
  user_id: null,
  team_id: null,
  models: [],
  spend: 0.5,
  max_budget: 5,
  budget_duration: "1d",
  budget_reset_at: "2026-11-23T00:00:00.000Z",
  budget_timezone: null,
  rpm_limit: 60,
  tpm_limit: 200000,
  max_parallel_requests: null,
  expires: null,
  blocked: false,
  metadata: {},
  grace_expires: null,
  created_at: "2026-11-22T10:00:00.000Z",
  updated_at: "2026-11-22T10:00:00.000Z",
  ...over,
});

describe("keys", () => {
  const now = new Date("2026-11-22T12:00:00Z");

  it("one row per key: alias, key start, models, spend/budget, limits, expiry, blocked", () => {
    const t = keyTable([view({ models: [...CLAUDE_MODELS] }), view({ key_alias: null, models: ["nova-pro"], max_budget: null, budget_duration: null, rpm_limit: null, tpm_limit: null, expires: "2026-11-01T00:00:00.000Z", blocked: true })], now);
    const [header, a, b] = t.trimEnd().split("\n");
    expect(header).toMatch(/^ALIAS\s+KEY\s+MODELS\s+SPEND \/ BUDGET\s+RPM \/ TPM\s+EXPIRES\s+BLOCKED$/);
    expect(a).toMatch(/^alice\s+sk-bw-AbCd…\s+all Claude \(\d+\)\s+\$0\.50 \/ \$5\.00 per 1d\s+60 \/ 200,000\s+never$/);
    expect(b).toMatch(/^11111111-2222-3333-4444-555555555555\s+sk-bw-AbCd…\s+nova-pro\s+\$0\.50 \/ none\s+- \/ -\s+expired 2026-11-01 00:00 UTC\s+yes$/);
  });

  it("details list the settings and the grace period, never more than the key's start", () => {
    const d = keyDetails(view({ grace_expires: "2026-11-23T12:00:00.000Z", user_id: "u1" }), now);
    expect(d).toMatch(/^spend\s+\$0\.50 of \$5\.00, resets every 1d \(next 2026-11-23 00:00 UTC\)$/m);
    expect(d).toMatch(/^limits\s+60 requests\/min, 200,000 tokens\/min$/m);
    expect(d).toMatch(/^previous key\s+still accepted until 2026-11-23 12:00 UTC$/m);
    expect(d).toMatch(/^user\s+u1$/m);
    expect(d).toMatch(/^models\s+all$/m);
  });
});

const t = (spend: number, requests = 1) => ({ spend, requests, input_tokens: 10 * requests, output_tokens: requests, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });

describe("spend rows", () => {
  const byKey: SpendReport = {
    start_date: "2026-11-20",
    end_date: "2026-11-22",
    timezone: "UTC",
    group_by: "key",
    total: t(0.7, 4),
    data: [
      { date: "2026-11-20", keys: [{ token_id: "a", key_alias: "alice", ...t(0.1), models: [] }, { token_id: null, key_alias: null, ...t(0.05), models: [] }] },
      { date: "2026-11-22", keys: [{ token_id: "a", key_alias: "alice", ...t(0.2), models: [] }, { token_id: "b", key_alias: "bob", ...t(0.35), models: [] }] },
    ],
  };

  it("adds a key's days together and sorts by spend", () => {
    const rows = spendRows(byKey, "key");
    expect(rows.map((r) => [r.label, r.spend, r.requests])).toEqual([
      ["bob", 0.35, 1],
      ["alice", 0.3, 2],
      ["(deleted key)", 0.05, 1],
    ]);
  });

  it("by day: every day of the period, quiet days as zero", () => {
    const report: SpendReport = { ...byKey, group_by: "day", data: [{ date: "2026-11-22", ...t(0.5, 2) }] };
    expect(spendRows(report, "day").map((r) => [r.label, r.spend])).toEqual([
      ["2026-11-20", 0],
      ["2026-11-21", 0],
      ["2026-11-22", 0.5],
    ]);
  });

  it("by model across days", () => {
    const report: SpendReport = {
      ...byKey,
      group_by: "model",
      data: [
        { date: "2026-11-20", models: [{ model: "m1", ...t(0.1), keys: [] }] },
        { date: "2026-11-21", models: [{ model: "m1", ...t(0.2), keys: [] }, { model: "m2", ...t(0.4), keys: [] }] },
      ],
    };
    expect(spendRows(report, "model").map((r) => [r.label, r.spend])).toEqual([
      ["m2", 0.4],
      ["m1", 0.3],
    ]);
  });

  it("the table has a bar per row, scaled to the largest, and a total", () => {
    const lines = spendTable(spendRows(byKey, "key"), byKey.total, "key").trimEnd().split("\n");
    expect(lines[0]).toMatch(/^KEY\s+REQUESTS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+SPEND$/);
    expect(lines[1]).toMatch(/^bob\s+1\s+10\s+1\s+0\s+0\s+\$0\.35\s+█{24}$/);
    expect(lines[2]).toMatch(/\$0\.30\s+█{20}▋$/);
    expect(lines[3]).toMatch(/^\(deleted key\)\s.*\$0\.05\s+███▍$/);
    expect(lines[4]).toMatch(/^─+$/);
    expect(lines[5]).toMatch(/^total\s+4\s+40\s+4\s+0\s+0\s+\$0\.70$/);
  });
});
