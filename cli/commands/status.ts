import type { KeyListResponse, OriginStatus, SpendReport } from "../api-types.ts";
import type { Command } from "../command.ts";
import { ApiError, CliError } from "../errors.ts";
import { count, usd } from "../render/format.ts";
import { todayIn } from "../values.ts";
import { originLines } from "./origin.ts";

interface Status {
  url: string;
  health: { ok: boolean; status?: number; error?: string };
  admin: { ok: boolean; error?: string };
  keys?: number;
  today?: { date: string; timezone: "UTC"; spend: number; requests: number };
  access_token: boolean;
  origin?: OriginStatus | { error: string };
}

export const status: Command = {
  name: "status",
  summary: "is the gateway up, does the admin API answer, how many keys, today's spend",
  positionals: { min: 0, max: 0, names: "" },
  flags: {},
  help: `Usage: breakwater status

Checks the gateway's /health, that the admin API accepts the master key, and shows the number of keys and today's
spend (UTC), and the state of the origin behind the tunnel. Exits 1 when a check fails.`,

  async run(ctx) {
    const config = ctx.config({ requireMasterKey: false });
    const client = ctx.client({ requireMasterKey: false });
    const s: Status = { url: config.url, health: { ok: false }, admin: { ok: false }, access_token: config.access !== undefined };

    try {
      const h = await client.health();
      s.health = { ok: h.ok, status: h.status };
    } catch (e) {
      s.health = { ok: false, error: (e as Error).message };
    }
    if (!config.masterKey) s.admin.error = "no master key configured (BREAKWATER_MASTER_KEY)";
    else if (s.health.error === undefined) {
      try {
        const date = todayIn("UTC", ctx.now);
        const [list, report] = await Promise.all([
          client.get<KeyListResponse>("/key/list", { size: 1 }),
          client.get<SpendReport>("/spend/report", { start_date: date, end_date: date, group_by: "day" }),
        ]);
        s.admin = { ok: true };
        s.keys = list.total_count;
        s.today = { date, timezone: "UTC", spend: report.total.spend, requests: report.total.requests };
        // The origin is reported, not required: a sleeping or absent origin is a normal state.
        s.origin = await client.get<OriginStatus>("/origin/status").catch((e: unknown) => ({ error: (e as Error).message }));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        s.admin = { ok: false, error: e.message };
      }
    } else s.admin.error = "not checked: the gateway is unreachable";

    if (ctx.json) ctx.printJson(s);
    else {
      const lines: [string, string][] = [
        ["gateway", `${s.url}${s.access_token ? " (with an Access service token)" : ""}`],
        ["health", s.health.ok ? "ok" : `FAILED: ${s.health.error ?? `HTTP ${s.health.status}`}`],
        ["admin API", s.admin.ok ? "ok (master key accepted)" : `FAILED: ${s.admin.error}`],
      ];
      if (s.keys !== undefined) lines.push(["keys", count(s.keys)]);
      if (s.today) lines.push(["today", `${usd(s.today.spend)} in ${count(s.today.requests)} requests (${s.today.date} UTC)`]);
      if (s.origin) lines.push(...("error" in s.origin && typeof s.origin.error === "string" ? [["origin", `unknown: ${s.origin.error}`] as [string, string]] : originLines(s.origin as OriginStatus)));
      ctx.print(lines.map(([k, v]) => `${k.padEnd(9)}  ${v}\n`).join(""));
    }
    // The report is printed either way; the exit code says whether everything answered.
    if (!s.health.ok || !s.admin.ok) throw new CliError("", 1);
  },
};
