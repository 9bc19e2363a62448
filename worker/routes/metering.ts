import type { MiddlewareHandler } from "hono";
import { defer, type AppContext, type AppEnv } from "../context.ts";
import type { KeyRecord, SpendRow } from "../db/queries.ts";
import { GatewayError } from "../edge/errors.ts";
import { checkKeyUsable } from "../keys/policy.ts";
import { logEvent } from "../util/log.ts";
import type { Estimate, KeyLimits, Standing } from "../meter/key-state.ts";
import { priceEstimate, worstCase, type RequestEstimate } from "../meter/estimate.ts";
import type { Ticket } from "../meter/ticket.ts";

export type { Ticket };

/** How long a request waits for its turn when a standard budget is nearly spent, before a 429 sends it away. */
const QUEUE_WAIT_MS = 120_000;

export function limitsOf(key: KeyRecord): KeyLimits {
  return {
    rpm: key.rpmLimit,
    tpm: key.tpmLimit,
    parallel: key.maxParallelRequests,
    maxBudget: key.maxBudget,
    budgetDuration: key.budgetDuration,
    timezone: key.budgetTimezone ?? "UTC",
    budgetResetAt: key.budgetResetAt ? key.budgetResetAt.getTime() : null,
    budgetMode: key.metadata?.budget_mode === "strict" ? "strict" : "standard",
  };
}

/**
 * Asks the key's meter for room: a request slot, tokens per minute, a parallel slot and the cost against the budget
 * (the estimate, or the worst case for a strict budget). Refusals are 429 (rate limits, with retry-after) or 402
 * (budget, which clients do not retry). Near the end of a standard budget the request waits for its turn instead.
 * A key that changed after this isolate cached it is reloaded first, so a revocation takes effect at once.
 */
export async function admit(c: AppContext, request: Estimate | RequestEstimate, opts: { exact?: boolean } = {}): Promise<Ticket> {
  const s = c.get("services");
  const reservationId = c.get("requestId");
  const estimate = "kind" in request ? reserveFor(c, request) : request;
  const prefixes = "kind" in request && request.caching ? request.shape.prefixes : undefined;
  const giveUpAt = Date.now() + QUEUE_WAIT_MS;
  for (let attempt = 0, waited = 0; ; ) {
    const key = c.get("key");
    const limits = limitsOf(key);
    // An exact price (a video job) is held against the budget as a strict one is: it fits, or it is refused.
    if (opts.exact) limits.budgetMode = "strict";
    const res = await s.meter.admit({ keyId: key.id, reservationId, limits, estimate, recordLoadedAt: c.get("keyLoadedAt"), knownSpend: key.spend }, (p) => defer(c, p));
    if ("stale" in res) {
      if (attempt++ > 0) throw new GatewayError(503, "The key's state is changing; retry in a moment.", "overloaded_error", { "retry-after": "1" });
      s.keys.invalidate(c.get("keyHash"));
      const fresh = await s.keys.lookupWithTime(c.get("keyHash"));
      c.set("key", checkKeyUsable(fresh.record, new Date()));
      // A record read now is newer than any change the meter knows of.
      c.set("keyLoadedAt", Math.max(fresh.loadedAt, Date.now()));
      continue;
    }
    if (!res.ok && res.refusal.reason === "budget_queue" && Date.now() < giveUpAt) {
      // Wait for the request in flight to settle; short at first (most answers are quick), then once a second.
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** waited++)));
      continue;
    }
    if (!res.ok) {
      const r = res.refusal;
      const headers = limitHeaders(res);
      if (r.status === 429) {
        headers["retry-after"] = String(r.retryAfterSeconds);
        throw new GatewayError(429, r.message, undefined, headers);
      }
      const when = r.resetsAt ? ` It resets at ${new Date(r.resetsAt).toISOString()}.` : "";
      throw new GatewayError(402, `${r.message}${when}`, undefined, headers);
    }
    const ticket: Ticket = { reservationId, limits, standing: res, settled: false, streaming: false, estimate, prefixes };
    c.set("ticket", ticket);
    return ticket;
  }
}

/**
 * Replaces the reservation with what the request really used and writes its spend row durably (via the meter). If
 * the meter cannot be reached, the row still goes to Postgres through the isolate's batching recorder (retried
 * there): a spend record is never dropped.
 */
export function settle(c: AppContext, actual: { tokens: number; cost: number }, row: SpendRow | null): void {
  const s = c.get("services");
  const ticket = c.get("ticket") as Ticket | undefined;
  const fallback = (why: unknown) => {
    if (!row) return;
    logEvent("warn", { msg: "spend row written without the meter", requestId: row.requestId, error: why });
    s.spend.record(row, (p) => defer(c, p));
  };
  if (!ticket) return fallback("no reservation");
  if (ticket.settled) return;
  ticket.settled = true;
  const key = c.get("key");
  if (row && ticket.prefixes !== undefined && row.status < 400) {
    s.usage.learn(key.id, { outputTokens: row.outputTokens, cacheTouched: row.cacheReadInputTokens + row.cacheCreationInputTokens > 0, prefixes: ticket.prefixes });
  }
  const req = { keyId: key.id, reservationId: ticket.reservationId, limits: ticket.limits, actual, row };
  const deferred = (p: Promise<unknown>) => defer(c, p);
  // Settled in the isolate (a lease): nothing to keep the invocation open for beyond the flush the meter deferred.
  try {
    if (s.meter.settleLocally?.(req, deferred)) return;
  } catch (e) {
    return fallback(e);
  }
  defer(c, s.meter.settle(req, deferred).catch(fallback));
}

/** Releases the reservation of a request that ended without reaching a settling point (an error before Bedrock). */
export const meterScope: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await next();
  } finally {
    const ticket = c.get("ticket") as Ticket | undefined;
    if (ticket && !ticket.settled && !ticket.streaming) settle(c, { tokens: 0, cost: 0 }, null);
  }
};

/** Rate-limit and budget headers (OpenAI's x-ratelimit-* names; LiteLLM's names for the key's budget). */
export function limitHeaders(st: Standing): Record<string, string> {
  const h: Record<string, string> = {};
  if (st.limitRequests !== null) {
    h["x-ratelimit-limit-requests"] = String(st.limitRequests);
    h["x-ratelimit-remaining-requests"] = String(st.remainingRequests);
    h["x-ratelimit-reset-requests"] = `${st.resetSeconds}s`;
  }
  if (st.limitTokens !== null) {
    h["x-ratelimit-limit-tokens"] = String(st.limitTokens);
    h["x-ratelimit-remaining-tokens"] = String(st.remainingTokens);
    h["x-ratelimit-reset-tokens"] = `${st.resetSeconds}s`;
  }
  h["x-litellm-key-spend"] = st.spent.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
  if (st.maxBudget !== null) {
    h["x-litellm-key-max-budget"] = String(st.maxBudget);
    h["x-litellm-key-remaining-budget"] = (st.remainingBudget ?? 0).toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
  }
  if (st.budgetResetsAt) h["x-breakwater-budget-resets-at"] = new Date(st.budgetResetsAt).toISOString();
  return h;
}

/** The limit/budget headers of this request's admission, and its cost when known. */
export function meterHeaders(c: AppContext, cost?: number): Record<string, string> {
  const ticket = c.get("ticket") as Ticket | undefined;
  const h = ticket ? limitHeaders(ticket.standing) : {};
  if (cost !== undefined) h["x-litellm-response-cost"] = String(cost);
  return h;
}

/** Adds `meterHeaders` to a response built elsewhere (an origin's answer). */
export function withMeterHeaders(c: AppContext, res: Response, cost?: number): Response {
  for (const [k, v] of Object.entries(meterHeaders(c, cost))) res.headers.set(k, v);
  return res;
}

/** The request body's size in bytes, for the worst-case estimate. */
export function requestBytes(c: AppContext, parsed: unknown): number {
  const declared = Number(c.req.header("content-length"));
  return Number.isFinite(declared) && declared > 0 ? declared : new TextEncoder().encode(JSON.stringify(parsed)).length;
}

/**
 * Prices a chat request's estimate with what this isolate remembers of the key. The worst case comes from the
 * declared body size; without one, from the text (a UTF-16 unit is at most 3 UTF-8 bytes) plus room for the rest.
 */
function reserveFor(c: AppContext, e: RequestEstimate): Estimate {
  const declared = Number(c.req.header("content-length"));
  const bytes = Number.isFinite(declared) && declared > 0 ? declared : e.shape.chars * 3 + 65_536;
  const worst = worstCase(bytes, e.maxTokens, e.price, e.shape.images).cost;
  return priceEstimate(e, c.get("services").usage.recall(c.get("key").id), worst);
}
