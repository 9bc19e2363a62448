import type { AppContext } from "../context.ts";
import type { SpendRow } from "../db/queries.ts";
import { costOf, type TokenUsage } from "../meter/cost.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { logEvent } from "../util/log.ts";
import { settle } from "./metering.ts";

/** What a route knows about the Bedrock call it made, for the spend log and the request log. */
export interface CallMeta {
  route: string;
  model: ResolvedModel;
  stream: boolean;
  /** Label of the target that served (or refused) the call. */
  target: string | null;
  /** The id actually called (differs from the catalog's when a failover target uses another profile). */
  bedrockModel: string;
}

/**
 * Prices the usage, adds it to the key's cached total, settles the request with the meter (which writes the
 * spend-log row durably, after the response, in batches) and writes the structured request log line. Every request
 * that reached Bedrock goes through here once. Returns the cost.
 */
export function recordSpend(c: AppContext, meta: CallMeta, status: number, usage: TokenUsage): number {
  const s = c.get("services");
  const key = c.get("key");
  const cost = costOf(usage, meta.model.row.price);
  const now = Date.now();
  const row: SpendRow = {
    requestId: c.get("requestId"),
    keyId: key.id,
    keyAlias: key.keyAlias,
    model: meta.model.requested,
    bedrockModel: meta.bedrockModel,
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadInputTokens: usage.cache_read_input_tokens,
    cacheCreationInputTokens: usage.cache_creation_input_tokens,
    cost,
    latencyMs: now - c.get("startedAt"),
    status,
    stream: meta.stream,
    target: meta.target,
    startTime: new Date(c.get("startedAt")),
    endTime: new Date(now),
  };
  s.keys.addSpend(c.get("keyHash"), cost);
  const tokens = usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
  // The meter replaces this request's reservation with the real cost and writes the row durably.
  settle(c, { tokens, cost }, row);
  logEvent("info", {
    requestId: row.requestId,
    key: key.keyAlias,
    route: meta.route,
    model: row.model,
    status,
    stream: meta.stream,
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadTokens: usage.cache_read_input_tokens,
    cacheWriteTokens: usage.cache_creation_input_tokens,
    cost,
    latencyMs: row.latencyMs,
    target: meta.target,
  });
  return cost;
}

/** Says which Bedrock target served (or refused) the request. */
export function withTarget(res: Response, meta: CallMeta): Response {
  if (meta.target) res.headers.set("x-breakwater-target", meta.target);
  return res;
}
