// The key settings flags shared by `key create` and `key update`, turned into the admin API's fields (LiteLLM names).
import type { FlagSpec } from "./args.ts";
import { UsageError } from "./errors.ts";
import { CLAUDE_MODELS } from "./models.ts";
import { isTimeZone, parseBudgetPeriod, parseExpiry, parseLimit, parseModels, parseUsd } from "./values.ts";

export const KEY_SETTING_FLAGS: FlagSpec = {
  budget: { kind: "string" },
  duration: { kind: "string" },
  "budget-duration": { kind: "string" },
  tz: { kind: "string" },
  rpm: { kind: "string" },
  tpm: { kind: "string" },
  parallel: { kind: "string" },
  models: { kind: "string" },
  "claude-only": { kind: "boolean" },
  expires: { kind: "string" },
  user: { kind: "string" },
  team: { kind: "string" },
};

export const KEY_SETTING_HELP = `  --budget USD          spend limit in USD, e.g. 5 or 12.50 ("none" = no limit)
  --duration D          budget period: spend starts again from 0 every D, e.g. 1d, 30d ("none" = never)
                        (--budget-duration is the same flag)
  --tz ZONE             time zone budget periods follow, e.g. Europe/Paris (default UTC)
  --rpm N               requests per minute ("none" = no limit)
  --tpm N               tokens per minute, e.g. 200000 or 200k ("none" = no limit)
  --parallel N          requests in flight at once ("none" = no limit)
  --models a,b          models the key may use ("all" = every model)
  --claude-only         every Claude model in the catalog, nothing else
  --expires WHEN        30d / 12h / 2w from now, a date (2026-12-31), an ISO date-time, or "never"
  --user ID, --team ID  owner, for reports`;

/** The admin API fields the flags set; absent flags are absent fields. */
export function keyFieldsFromFlags(flags: Record<string, string | true>, now: Date): Record<string, unknown> {
  const str = (name: string) => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);
  const out: Record<string, unknown> = {};

  const budget = str("budget");
  if (budget !== undefined) out.max_budget = parseUsd("budget", budget);

  if (str("duration") !== undefined && str("budget-duration") !== undefined) throw new UsageError("give --duration or --budget-duration, not both (they are the same)");
  const periodFlag = str("duration") !== undefined ? "duration" : "budget-duration";
  const period = str(periodFlag);
  if (period !== undefined) out.budget_duration = parseBudgetPeriod(periodFlag, period);

  const tz = str("tz");
  if (tz !== undefined) {
    if (!isTimeZone(tz)) throw new UsageError(`--tz must be an IANA time zone such as UTC or Europe/Paris, not "${tz}"`);
    out.budget_timezone = tz;
  }
  for (const [flag, field] of [["rpm", "rpm_limit"], ["tpm", "tpm_limit"], ["parallel", "max_parallel_requests"]] as const) {
    const v = str(flag);
    if (v !== undefined) out[field] = parseLimit(flag, v);
  }

  const models = str("models");
  if (models !== undefined && flags["claude-only"]) throw new UsageError("give --models or --claude-only, not both");
  if (models !== undefined) out.models = parseModels("models", models);
  if (flags["claude-only"]) out.models = [...CLAUDE_MODELS];

  const expires = str("expires");
  if (expires !== undefined) Object.assign(out, parseExpiry("expires", expires, now));

  for (const [flag, field] of [["user", "user_id"], ["team", "team_id"]] as const) {
    const v = str(flag);
    if (v !== undefined) out[field] = v;
  }
  return out;
}
