/**
 * Forwards one admitted request to the origin through the tunnel, and brings the answer back as it streams.
 *
 * The caller has authenticated the key; this admits the request through the meter, then sends only the
 * table's normalised path (routes.ts) with the Access service token and a signed identity header (identity.ts) and
 * none of the client's credentials (headers.ts). When the tunnel has no connector (HTTP 530, Cloudflare error 1033)
 * or the origin cannot be reached, the origin's state object wakes the instance (one StartInstances per burst), this
 * request waits for the origin's readiness for up to ORIGIN_WAKE_WAIT_SECONDS and is replayed if its body was held;
 * past the wait the caller gets a 503 with retry-after. Spend is recorded from the usage the origin reports.
 */
import { defer, type AppContext } from "../context.ts";
import { errorResponse, GatewayError, type Dialect } from "../edge/errors.ts";
import { costOf, type TokenUsage } from "../meter/cost.ts";
import type { Estimate } from "../meter/key-state.ts";
import type { Price } from "../models/catalog.ts";
import { admit, settle, withMeterHeaders } from "../routes/metering.ts";
import { logRequest, settleWithRow } from "../routes/spend.ts";
import { logEvent } from "../util/log.ts";
import { Ec2Error } from "./ec2.ts";
import { clientResponseHeaders, originRequestHeaders } from "./headers.ts";
import { IDENTITY_HEADER, signIdentity } from "./identity.ts";
import { READINESS_PATH, type OriginTarget } from "./routes.ts";
import type { OriginServices } from "./services.ts";
import { emptyUsage, tapUsage } from "./usage.ts";

/** An isolate that reached the origin this recently streams bodies instead of holding them for a replay. */
const FRESH_MS = 60_000;
/** Tell the state object about use at most this often per isolate (the idle stop works in minutes). */
const TOUCH_EVERY_MS = 30_000;
const RETRY_AFTER_SECONDS = "30";

export interface ProxyCall {
  target: OriginTarget;
  dialect: Dialect;
  /** The model asked for (the spend row's model); null for routes without one (the path stands in). */
  model: string | null;
  /** Price per 1M tokens when known; otherwise the cost the origin reports (`x-litellm-response-cost`). */
  price: Price | null;
  /** What the meter reserves before anything is forwarded. */
  estimate: Estimate;
  /** Bytes the edge already read (a JSON model call); null = stream the client's body. */
  body: Uint8Array<ArrayBuffer> | null;
  /**
   * For answers the usage reader cannot price (video jobs): given a copy of the origin's answer, the usage and the
   * exact cost to record. Without it, usage comes from the body and cost from `price` or the origin's header.
   */
  usageFromResponse?: (res: Response) => Promise<{ usage: TokenUsage; cost: number } | null>;
  /**
   * A video route: its successful answers write no spend row here (the sidecar writes one per completed job). A job
   * the sidecar accepts (202) keeps its price on the key's meter as spent (`jobCost`); any other answer releases the
   * reservation.
   */
  video?: { jobCost: number | null };
}

type Body = { kind: "held"; bytes: Uint8Array<ArrayBuffer> } | { kind: "stream"; stream: ReadableStream<Uint8Array> | null };

export async function proxyToOrigin(c: AppContext, origin: OriginServices, call: ProxyCall): Promise<Response> {
  await admit(c, call.estimate, { exact: call.video?.jobCost != null });
  noteUse(c, origin);
  const body = call.body ? ({ kind: "held", bytes: call.body } as Body) : await clientBody(c, origin);

  const first = await attempt(c, origin, call, body, 0);
  if (first !== "down") return answer(c, call, first);
  if (body.kind === "stream" && body.stream) body.stream.cancel().catch(() => {});

  if (!origin.config.instanceId) {
    recordOriginSpend(c, call, 502, emptyUsage(), 0);
    throw new GatewayError(502, "The origin could not be reached. Please retry.", "api_error");
  }
  const started = Date.now();
  try {
    const woke = await origin.state.wake();
    logEvent("info", { msg: "origin asleep; waking", requestId: c.get("requestId"), instanceState: woke.state, startIssued: woke.started });
  } catch (e) {
    recordOriginSpend(c, call, 502, emptyUsage(), 0);
    if (e instanceof Ec2Error) {
      logEvent("error", { msg: "origin wake failed", requestId: c.get("requestId"), ec2Code: e.code });
      throw new GatewayError(502, `The origin could not be started (EC2 ${e.code}). An operator must check the origin instance.`, "api_error");
    }
    throw e;
  }
  // A streamed body cannot be sent twice: the origin is starting, the client retries.
  const ready = body.kind === "held" && (await waitUntilReady(c, origin, call.target, started + origin.config.wakeWaitMs));
  if (!ready) {
    recordOriginSpend(c, call, 503, emptyUsage(), 0);
    throw new GatewayError(503, "The origin is starting (it was asleep). Retry in a minute.", "overloaded_error", { "retry-after": RETRY_AFTER_SECONDS });
  }
  const again = await attempt(c, origin, call, body, 1);
  if (again === "down") {
    recordOriginSpend(c, call, 503, emptyUsage(), 0);
    throw new GatewayError(503, "The origin is starting (it was asleep). Retry in a minute.", "overloaded_error", { "retry-after": RETRY_AFTER_SECONDS });
  }
  return answer(c, call, again);
}

/** The client's body: streamed when the origin is known to be up, else held (up to the replay limit) for a replay. */
async function clientBody(c: AppContext, origin: OriginServices): Promise<Body> {
  const stream = c.req.raw.body;
  if (!stream) return { kind: "stream", stream: null };
  if (Date.now() - origin.seen.okAt < FRESH_MS) return { kind: "stream", stream };
  const limit = origin.config.replayMaxBytes;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      // Too big to hold: send what was read, then the rest as it comes (no replay for this one).
      const head = chunks.splice(0);
      return {
        kind: "stream",
        stream: new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = head.shift();
            if (next) return controller.enqueue(next);
            const r = await reader.read();
            if (r.done) controller.close();
            else controller.enqueue(r.value);
          },
          cancel: (reason) => reader.cancel(reason),
        }),
      };
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    bytes.set(ch, at);
    at += ch.byteLength;
  }
  return { kind: "held", bytes };
}

/** One try. "down" = the tunnel has no connector or the origin is unreachable (wake and maybe replay). */
async function attempt(c: AppContext, origin: OriginServices, call: ProxyCall, body: Body, n: number): Promise<Response | "down"> {
  const { config } = origin;
  const method = call.target.route.method;
  const requestId = n === 0 ? c.get("requestId") : `${c.get("requestId")}-r${n}`;
  const headers = await signedHeaders(c, origin, call.target, method, call.target.path, requestId);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), config.timeoutMs);
  let res: Response;
  try {
    res = await fetch(`${config.url}${call.target.path}${call.target.search}`, {
      method,
      headers,
      body: method === "GET" ? undefined : body.kind === "held" ? body.bytes : body.stream,
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (e) {
    if (controller.signal.aborted) {
      recordOriginSpend(c, call, 504, emptyUsage(), 0);
      throw new GatewayError(504, "The origin did not answer in time.", "timeout_error");
    }
    logEvent("warn", { msg: "origin unreachable", requestId, error: e });
    return "down";
  } finally {
    clearTimeout(timer);
  }
  if (isNoConnector(res)) {
    await res.body?.cancel().catch(() => {});
    return "down";
  }
  origin.seen.okAt = Date.now();
  return res;
}

/** Cloudflare's answer when the tunnel has no connector: HTTP 530 (error 1033). */
function isNoConnector(res: Response): boolean {
  return res.status === 530;
}

async function signedHeaders(c: AppContext, origin: OriginServices, target: OriginTarget, method: string, path: string, requestId: string): Promise<Headers> {
  const key = c.get("key");
  const identity = await signIdentity(origin.config.sharedSecret, {
    keyId: key.id,
    alias: key.keyAlias,
    models: key.models,
    limits: { rpm: key.rpmLimit, tpm: key.tpmLimit, parallel: key.maxParallelRequests, maxBudget: key.maxBudget, maxVideoJobs: maxVideoJobsOf(key.metadata) },
    requestId,
    method,
    path,
    ts: Date.now(),
  });
  return originRequestHeaders(c.req.raw.headers, {
    access: origin.config.access,
    identity,
    identityHeader: IDENTITY_HEADER,
    requestId,
    bearer: target.route.service === "litellm" ? origin.config.litellmKey : null,
  });
}

function maxVideoJobsOf(metadata: unknown): number | null {
  const v = (metadata as { max_video_jobs?: unknown } | null)?.max_video_jobs;
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null;
}

/** Polls the service's readiness path until it answers (2xx, or 401/403: up, just not for an anonymous probe). */
async function waitUntilReady(c: AppContext, origin: OriginServices, target: OriginTarget, deadline: number): Promise<boolean> {
  const path = READINESS_PATH[target.route.service];
  const every = Math.min(2000, Math.max(50, origin.config.wakeWaitMs / 40));
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      const headers = await signedHeaders(c, origin, target, "GET", path, `${c.get("requestId")}-probe${i}`);
      const res = await fetch(`${origin.config.url}${path}`, { headers, redirect: "manual", signal: AbortSignal.timeout(Math.max(1000, every * 2)) });
      await res.body?.cancel().catch(() => {});
      if ((res.status >= 200 && res.status < 300) || res.status === 401 || res.status === 403) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, Math.min(every, Math.max(0, deadline - Date.now()))));
  }
  return false;
}

/** The origin's answer, for the client: errors in the caller's dialect, success streamed with usage read on the way. */
async function answer(c: AppContext, call: ProxyCall, res: Response): Promise<Response> {
  if (res.status >= 400 || !res.body) {
    const message = await errorMessage(res);
    const status = res.status >= 500 || res.status < 400 ? 502 : res.status;
    recordOriginSpend(c, call, status, emptyUsage(), 0);
    const text = status === 502 ? `The origin failed: ${message}` : message;
    return withMeterHeaders(c, errorResponse(call.dialect, status, text, { requestId: c.get("requestId"), headers: retryAfterOf(res) }));
  }
  const headers = clientResponseHeaders(res.headers);
  const reported = Number(res.headers.get("x-litellm-response-cost"));
  const reportedCost = Number.isFinite(reported) && reported >= 0 ? reported : null;
  const stream = /text\/event-stream/i.test(res.headers.get("content-type") ?? "");
  const ticket = c.get("ticket");
  if (call.video) {
    const cost = res.status === 202 && call.video.jobCost !== null ? call.video.jobCost : 0;
    if (cost > 0) c.get("services").keys.addSpend(c.get("keyHash"), cost);
    settle(c, { tokens: 0, cost }, null);
    logRequest(c, { requestId: c.get("requestId"), key: c.get("key").keyAlias, route: call.target.route.path, model: call.model, status: res.status, cost, target: "origin:sidecar" });
    return withMeterHeaders(c, new Response(res.body, { status: res.status, headers }), cost > 0 ? cost : undefined);
  }
  if (call.usageFromResponse) {
    const copy = res.clone();
    defer(c, call.usageFromResponse(copy).then((r) => recordOriginSpend(c, call, res.status, r?.usage ?? emptyUsage(), r?.cost ?? reportedCost ?? 0)));
    ticket.streaming = true;
    return withMeterHeaders(c, new Response(res.body, { status: res.status, headers }));
  }
  let finished: () => void = () => {};
  defer(c, new Promise<void>((r) => (finished = r)));
  ticket.streaming = true; // settled when the body ends, not by the scope
  const body = tapUsage(res.body, res.headers.get("content-type") ?? "", ({ usage, completed }) => {
    const u = usage ?? emptyUsage();
    const cost = call.price ? costOf(u, call.price) : (reportedCost ?? 0);
    recordOriginSpend(c, call, completed ? res.status : 499, u, cost, stream);
    finished();
  });
  return withMeterHeaders(c, new Response(body, { status: res.status, headers }), reportedCost ?? undefined);
}

async function errorMessage(res: Response): Promise<string> {
  const text = (await res.text().catch(() => "")).slice(0, 4096);
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const m = typeof j.error === "object" ? j.error?.message : (j.error ?? j.message ?? j.detail);
    if (typeof m === "string" && m) return m.slice(0, 1000);
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}

function retryAfterOf(res: Response): Record<string, string> | undefined {
  const v = res.headers.get("retry-after");
  return v && /^\d{1,5}$/.test(v) ? { "retry-after": v } : undefined;
}

/** Tells the state object (at most every 30 s per isolate) that the origin is in use, after the response. */
function noteUse(c: AppContext, origin: OriginServices): void {
  const now = Date.now();
  if (now - origin.seen.touchAt < TOUCH_EVERY_MS) return;
  origin.seen.touchAt = now;
  defer(c, origin.state.touch().catch((e: unknown) => logEvent("warn", { msg: "origin use not recorded", error: e })));
}

/** One spend row per forwarded request, settled with the meter like every Bedrock call. */
export function recordOriginSpend(c: AppContext, call: ProxyCall, status: number, usage: TokenUsage, cost: number, stream = false): void {
  const target = `origin:${call.target.route.service}`;
  settleWithRow(c, { model: call.model ?? call.target.route.path, bedrockModel: null, stream, target, status, usage, cost });
  logRequest(c, { requestId: c.get("requestId"), key: c.get("key").keyAlias, route: call.target.route.path, model: call.model, status, cost, target });
}
