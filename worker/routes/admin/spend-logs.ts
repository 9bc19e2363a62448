import { querySpendLogs, type SpendLogEntry, type SpendLogFilter } from "../../db/admin-queries.ts";
import type { AdminContext } from "./env.ts";
import { MAX_STORABLE_TIME } from "../../db/storable.ts";
import { dayAfter, fieldError, instantParam, intParam, queryParams } from "./input.ts";
import { resolveKey } from "./key-ref.ts";

const MAX_ROWS = 1000;

/**
 * `GET /spend/logs?key=&model=&start_date=&end_date=&request_id=&limit=` → an array of requests, newest first (as
 * LiteLLM's /spend/logs; `api_key` is accepted for `key`). Dates are YYYY-MM-DD (whole UTC days, end day included)
 * or ISO date-times (exact instants, end included).
 */
export async function spendLogsRoute(c: AdminContext): Promise<Response> {
  const rows = await querySpendLogs(c.get("services").db, await spendLogFilter(c));
  return c.json(rows.map(logView), 200);
}

/** The query string of /spend/logs as a filter (the dashboard's request list reads the same parameters). */
export async function spendLogFilter(c: AdminContext): Promise<SpendLogFilter> {
  const q = queryParams(c, ["key", "api_key", "model", "start_date", "end_date", "request_id", "limit"]);
  if (q.key !== undefined && q.api_key !== undefined) throw fieldError("api_key", "give key or api_key, not both");
  const keyParam = q.key !== undefined ? "key" : "api_key";
  const ref = q.key ?? q.api_key;
  const limit = intParam("limit", q.limit, 100, 1, MAX_ROWS);
  const from = q.start_date === undefined ? undefined : instantParam("start_date", q.start_date).at;
  let until: Date | undefined;
  if (q.end_date !== undefined) {
    const end = instantParam("end_date", q.end_date);
    // The day after 9999-12-31 is a year Postgres cannot read in ISO form; nothing is stored that late anyway.
    until = new Date(Math.min(end.dateOnly ? dayAfter(end.at).getTime() : end.at.getTime() + 1, MAX_STORABLE_TIME));
  }
  if (from && until && from.getTime() >= until.getTime()) throw fieldError("start_date", "must be before end_date");
  const keyId = ref === undefined ? undefined : (await resolveKey(c, ref, keyParam)).id;
  return { keyId, model: q.model, requestId: q.request_id, from, until, limit };
}

/** LiteLLM's names where the concept is the same (spend, startTime, endTime); the token counts are Anthropic's. */
function logView(r: SpendLogEntry) {
  return {
    request_id: r.requestId,
    token_id: r.keyId,
    key_alias: r.keyAlias,
    model: r.model,
    bedrock_model: r.bedrockModel,
    spend: r.cost,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cache_read_input_tokens: r.cacheReadInputTokens,
    cache_creation_input_tokens: r.cacheCreationInputTokens,
    total_tokens: r.inputTokens + r.outputTokens + r.cacheReadInputTokens + r.cacheCreationInputTokens,
    // Image models are billed per image, not per token.
    ...(r.images !== null ? { images: r.images } : {}),
    status: r.status,
    stream: r.stream,
    target: r.target,
    latency_ms: r.latencyMs,
    startTime: r.startTime.toISOString(),
    endTime: r.endTime?.toISOString() ?? null,
  };
}
