import { dailySpend, type DailySpend } from "../../db/admin-queries.ts";
import { timeProblem } from "../../db/storable.ts";
import { isTimeZone } from "../../keys/time-fields.ts";
import type { AdminContext } from "./env.ts";
import { fieldError, isCalendarDate, queryParams } from "./input.ts";

const GROUPS = ["key", "model", "day"] as const;
type Group = (typeof GROUPS)[number];
const MAX_DAYS = 366;

/**
 * `GET /spend/report?start_date=&end_date=&group_by=key|model|day&timezone=`: spend per local day of `timezone`
 * (default UTC) for the dates given (YYYY-MM-DD, both included), broken down by key then model (`key`, the
 * default), by model then key (`model`), or totals per day only (`day`).
 */
export async function spendReportRoute(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["start_date", "end_date", "group_by", "timezone"]);
  const start = calendarDate("start_date", q.start_date);
  const end = calendarDate("end_date", q.end_date);
  const days = (Date.parse(end) - Date.parse(start)) / 86_400_000 + 1;
  if (days < 1) throw fieldError("start_date", "must not be after end_date");
  if (days > MAX_DAYS) throw fieldError("end_date", `a report covers at most ${MAX_DAYS} days`);
  const timezone = q.timezone ?? "UTC";
  if (!isTimeZone(timezone)) throw fieldError("timezone", `"${timezone}" is not an IANA time zone (e.g. "UTC", "Europe/Paris")`);
  const group = (q.group_by ?? "key") as Group;
  if (!GROUPS.includes(group)) throw fieldError("group_by", `must be one of ${GROUPS.join(", ")}`);

  let rows: DailySpend[];
  try {
    rows = await dailySpend(c.get("services").db, start, end, timezone);
  } catch (err) {
    // The runtime's zone list and Postgres' can differ; Postgres says 22023 (invalid_parameter_value) for a zone it lacks.
    if (pgCode(err) === "22023") throw fieldError("timezone", `"${timezone}" is not a time zone the database knows`);
    throw err;
  }
  return c.json({ start_date: start, end_date: end, timezone, group_by: group, total: totals(rows), data: shape(rows, group) }, 200);
}

function calendarDate(param: string, text: string | undefined): string {
  if (text === undefined) throw fieldError(param, "is required (YYYY-MM-DD)");
  if (!isCalendarDate(text)) throw fieldError(param, `must be a date as YYYY-MM-DD, not "${text}"`);
  const problem = timeProblem(Date.parse(`${text}T00:00:00Z`));
  if (problem) throw fieldError(param, problem);
  return text;
}

function shape(rows: DailySpend[], group: Group) {
  return [...groupBy(rows, (r) => r.day)].map(([date, ofDay]) => {
    if (group === "day") return { date, ...totals(ofDay) };
    if (group === "key") {
      return {
        date,
        keys: [...groupBy(ofDay, keyOf)].map(([, ofKey]) => ({
          ...keyFields(ofKey[0]!),
          ...totals(ofKey),
          models: ofKey.map((r) => ({ model: r.model, ...totals([r]) })),
        })),
      };
    }
    return {
      date,
      models: [...groupBy(ofDay, (r) => r.model)].map(([model, ofModel]) => ({
        model,
        ...totals(ofModel),
        keys: ofModel.map((r) => ({ ...keyFields(r), ...totals([r]) })),
      })),
    };
  });
}

// A deleted key's rows keep its alias with no id: they group by the alias.
const keyOf = (r: DailySpend) => `${r.keyId ?? ""}\u0000${r.keyAlias ?? ""}`;
const keyFields = (r: DailySpend) => ({ token_id: r.keyId, key_alias: r.keyAlias });

/** Sums of a set of rows, spend rounded as the report rounds it (the dashboard shows the same figures). */
export function totals(rows: DailySpend[]) {
  const t = { spend: 0, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  for (const r of rows) {
    t.spend += r.spend;
    t.requests += r.requests;
    t.input_tokens += r.inputTokens;
    t.output_tokens += r.outputTokens;
    t.cache_read_input_tokens += r.cacheReadInputTokens;
    t.cache_creation_input_tokens += r.cacheCreationInputTokens;
  }
  // Float sums of many small costs drift in the last digits; cost is stored to 10 decimal places.
  t.spend = Math.round(t.spend * 1e10) / 1e10;
  return t;
}

/** Groups in first-seen order (the rows arrive sorted by day, then alias, then model). */
function groupBy<T>(rows: T[], keyFn: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyFn(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
