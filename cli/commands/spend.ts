import type { SpendReport } from "../api-types.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { bars } from "../render/chart.ts";
import { count, usd } from "../render/format.ts";
import { renderTable } from "../render/table.ts";
import { spendRows, type SpendGroup, type SpendRow } from "../spend-rows.ts";
import { daysSpanned, isTimeZone, parseReportDay, todayIn } from "../values.ts";

const GROUPS: readonly SpendGroup[] = ["key", "model", "day"];
const MAX_DAYS = 366;
const BAR_WIDTH = 24;

export const spend: Command = {
  name: "spend",
  summary: "spend per key, model or day, with a bar chart",
  positionals: { min: 0, max: 0, names: "" },
  flags: { by: { kind: "string" }, since: { kind: "string" }, until: { kind: "string" }, tz: { kind: "string" } },
  help: `Usage: breakwater spend [--by key|model|day] [--since 7d|2026-11-01] [--until DATE] [--tz ZONE]

Spend, requests and tokens over whole days, one row per key (default), model or day.
  --by key|model|day   how to break it down (default key)
  --since WHEN         first day: a date, "today", "yesterday", or Nd = the last N days (default 7d)
  --until WHEN         last day, included: a date, "today", "yesterday", or Nd = N days ago (default today)
  --tz ZONE            the time zone days are counted in (default UTC)`,

  async run(ctx) {
    const f = ctx.args.flags;
    const by = (typeof f.by === "string" ? f.by : "key") as SpendGroup;
    if (!GROUPS.includes(by)) throw new UsageError(`--by must be key, model or day, not "${by}"`, "spend");
    const tz = typeof f.tz === "string" ? f.tz : "UTC";
    if (!isTimeZone(tz)) throw new UsageError(`--tz must be an IANA time zone such as UTC or Europe/Paris, not "${tz}"`, "spend");
    const today = todayIn(tz, ctx.now);
    const since = parseReportDay("since", typeof f.since === "string" ? f.since : "7d", today);
    const until = typeof f.until === "string" ? parseReportDay("until", f.until, today) : today;
    if (since > until) throw new UsageError(`--since (${since}) is after --until (${until})`, "spend");
    if (daysSpanned(since, until) > MAX_DAYS) throw new UsageError(`a report covers at most ${MAX_DAYS} days (${since} to ${until} is ${daysSpanned(since, until)})`, "spend");

    const report = await ctx.client().get<SpendReport>("/spend/report", { start_date: since, end_date: until, group_by: by, timezone: tz });
    const rows = spendRows(report, by);
    if (ctx.json) {
      return ctx.printJson({ start_date: report.start_date, end_date: report.end_date, timezone: report.timezone, group_by: by, total: report.total, rows });
    }
    ctx.print(`Spend ${since === until ? since : `${since} to ${until}`} (${tz}), by ${by}\n\n`);
    if (rows.length === 0) return ctx.print("No spend in this period.\n");
    ctx.print(spendTable(rows, report.total, by, ctx.color));
  },
};

/** The table with a bar per row, scaled to the largest row. Pure. */
export function spendTable(rows: readonly SpendRow[], total: SpendReport["total"], by: SpendGroup, color = false): string {
  const chart = bars(rows.map((r) => r.spend), BAR_WIDTH);
  const cells = (r: Omit<SpendRow, "label">, label: string, barText: string) => [
    label,
    count(r.requests),
    count(r.input_tokens),
    count(r.output_tokens),
    count(r.cache_read_input_tokens),
    count(r.cache_creation_input_tokens),
    usd(r.spend),
    barText,
  ];
  return renderTable(
    [
      { header: by.toUpperCase(), maxWidth: 40 },
      { header: "REQUESTS", align: "right" },
      { header: "INPUT", align: "right" },
      { header: "OUTPUT", align: "right" },
      { header: "CACHE READ", align: "right" },
      { header: "CACHE WRITE", align: "right" },
      { header: "SPEND", align: "right" },
      { header: "" },
    ],
    rows.map((r, i) => cells(r, r.label, chart[i]!)),
    { color, footer: [cells(total, "total", "")] },
  );
}
