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

/** A bill that is not priced by tokens: what the request cost and how many units (images) it made. */
export interface Billed {
  cost: number;
  units: number;
}

/**
 * Prices the usage (or takes `billed`, for calls priced per image), adds it to the key's cached total, settles the request with the meter (which writes the
 * spend-log row durably, after the response, in batches) and writes the structured request log line. Every request
 * that reached Bedrock goes through here once. Returns the cost.
 */
export function recordSpend(c: AppContext, meta: CallMeta, status: number, usage: TokenUsage, billed?: Billed): number {
  const key = c.get("key");
  const cost = billed ? billed.cost : costOf(usage, meta.model.row.price);
  const row = settleWithRow(c, { model: meta.model.requested, bedrockModel: meta.bedrockModel, stream: meta.stream, target: meta.target, status, usage, cost, images: billed?.units });
  logRequest(c, {
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
    ...(billed ? { images: billed.units } : {}),
    latencyMs: row.latencyMs,
    target: meta.target,
  });
  return cost;
}

/**
 * The per-request log line, when REQUEST_LOG=1. Off by default: every request already leaves a spend-log row with
 * the same fields (durable, searchable in the dashboard and /spend/logs), the platform's invocation logs record each
 * request's status and duration, and a line per request is the single largest CPU cost of the hot path after the
 * Bedrock call itself (and billed as a log event on Workers). Warnings and errors are always logged.
 */
export function logRequest(c: AppContext, fields: Record<string, unknown>): void {
  if (c.get("services").config.requestLog) logEvent("info", fields);
}

/**
 * Builds this request's spend-log row, adds its cost to the key's cached total and settles the request with the meter,
 * which replaces the reservation with the real cost and writes the row durably. Returns the row.
 */
export function settleWithRow(
  c: AppContext,
  r: { model: string; bedrockModel: string | null; stream: boolean; target: string | null; status: number; usage: TokenUsage; cost: number; images?: number },
): SpendRow {
  const key = c.get("key");
  const now = Date.now();
  const { usage, cost } = r;
  const row: SpendRow = {
    requestId: c.get("requestId"),
    keyId: key.id,
    keyAlias: key.keyAlias,
    model: r.model,
    bedrockModel: r.bedrockModel,
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadInputTokens: usage.cache_read_input_tokens,
    cacheCreationInputTokens: usage.cache_creation_input_tokens,
    ...(r.images !== undefined ? { images: r.images } : {}),
    cost,
    latencyMs: now - c.get("startedAt"),
    status: r.status,
    stream: r.stream,
    target: r.target,
    startTime: new Date(c.get("startedAt")),
    endTime: new Date(now),
  };
  c.get("services").keys.addSpend(c.get("keyHash"), cost);
  const tokens = usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
  settle(c, { tokens, cost }, row);
  return row;
}

/** Says which Bedrock target served (or refused) the request. */
export function targetHeaders(meta: CallMeta): Record<string, string> {
  return meta.target ? { "x-breakwater-target": meta.target } : {};
}

export function withTarget(res: Response, meta: CallMeta): Response {
  if (meta.target) res.headers.set("x-breakwater-target", meta.target);
  return res;
}
