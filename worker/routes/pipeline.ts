// The one call pipeline every native model route runs (DESIGN §10): admit through the meter → call Bedrock with
// failover → translate the answer back → settle exactly once. A route supplies only its protocol pieces (a
// `CallPlan`): the upstream body its pure translator built, the estimate to reserve, how to read usage, how to
// translate a JSON answer and a stream, and the error dialect. Adding a route is a plan builder and two pure
// functions, not a third copy of this sequence. Calls priced per unit made (images) give a `UnitCallPlan` instead:
// several bodies, a reader that counts units, and a unit price in place of token usage.
import type { BedrockError } from "../bedrock/errors.ts";
import type { TranscoderStream } from "../bedrock/frame-transcoder.ts";
import { readAnswer } from "../bedrock/answer.ts";
import { invokeWithFailover, type InvokeOutcome } from "../bedrock/invoke.ts";
import { usageFromHeaders } from "../bedrock/usage-headers.ts";
import { holdOpen, requestSignal, type AppContext } from "../context.ts";
import { errorBody, GatewayError, type Dialect } from "../edge/errors.ts";
import { completeResponse } from "../edge/response-headers.ts";
import type { TokenUsage } from "../meter/cost.ts";
import type { RequestEstimate } from "../meter/estimate.ts";
import type { Estimate } from "../meter/key-state.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { withPings } from "../protocols/anthropic/keepalive.ts";
import { logEvent } from "../util/log.ts";
import { admit, meterHeaders } from "./metering.ts";
import { recordSpend, targetHeaders, type Billed, type CallMeta } from "./spend.ts";
import { guardStream, type GuardedStream } from "./stream-guard.ts";

/** How a stream's translator reports its end: what was generated, and whether it finished. */
export interface StreamEnd {
  usage: TokenUsage;
  error: BedrockError | null;
  completed: boolean;
}

/** The caller's error dialect: how a Bedrock error reads to this client, and how its stream stays alive. */
export interface ErrorDialect {
  name: Dialect;
  /** `code` is sent only where the dialect sets one beyond the type (e.g. a content-filter refusal). */
  map: (e: BedrockError) => { status: number; type: string; message: string; code?: string };
  /** Keep-alive bytes sent while a stream is silent. */
  ping: string;
}

/** Everything a route decides about one call; the pipeline does the rest. */
export interface CallPlan {
  route: string;
  model: ResolvedModel;
  stream: boolean;
  /** Which Bedrock API: "invoke" (Claude's native body) or "converse"; the streaming twin follows `stream`. */
  api: "invoke" | "converse";
  /** The upstream body, built by the route's pure translator. */
  body: Record<string, unknown>;
  /** Called after admission, before the call (e.g. to download images, which should not happen for a refused request). */
  prepare?: (body: Record<string, unknown>) => Promise<Record<string, unknown>>;
  /** Extra Bedrock request headers (e.g. a Guardrail for InvokeModel). */
  headers?: Record<string, string>;
  /** What to reserve against the key's budget and token rate before calling. */
  estimate: Estimate | RequestEstimate;
  dialect: ErrorDialect;
  /** Usage from a non-streaming answer. */
  usageOf: (json: Record<string, unknown>) => TokenUsage;
  /** A non-streaming answer → the client's JSON. */
  respond: (json: Record<string, unknown>) => unknown;
  /**
   * Bedrock's event stream → the client's SSE; `onEnd` must be called exactly once however the stream ends,
   * including when the stream's `end()` is called from outside (the pipeline's guard).
   */
  translateStream: (onEnd: (end: StreamEnd) => void) => TranscoderStream;
  /** Extra response headers (e.g. the model successor notice). */
  responseHeaders?: Record<string, string>;
}

/** One JSON answer of a multi-call plan, read by the route: the units (images, vectors) it made, or why it made none. */
export interface UnitAnswer<T> {
  units: T[];
  /** Why fewer units came back than asked for, as a client error (a content filter answering HTTP 200). */
  refusal?: GatewayError;
}

/** What a multi-call request is billed: its token usage (embeddings), or a price per unit made (images). */
export interface UnitBill {
  usage: TokenUsage;
  billed?: Billed;
}

/**
 * A request served by several InvokeModel calls, JSON in and out, never streamed: `n` images (Stability makes one per
 * call), or embeddings (Titan embeds one text per call, Cohere a batch). The meter reserves `estimate` before any
 * call; the request settles once, at what the answers that came back are billed (`bill`).
 */
export interface UnitCallPlan<T = unknown> {
  kind: "units";
  route: string;
  model: ResolvedModel;
  /** The upstream bodies, one InvokeModel call each. */
  bodies: Record<string, unknown>[];
  /**
   * How many calls may be in flight at once (default: all). Each call holds its own serialised body until it is
   * signed and sent, so a plan with large bodies (uploaded images) sends them one at a time to keep memory flat.
   */
  parallel?: number;
  estimate: Estimate;
  dialect: ErrorDialect;
  /**
   * Reads call `call`'s answer: `json` is null when its body could not be read. Throwing makes it an unreadable
   * answer (a 502 if nothing else came back).
   */
  read: (json: Record<string, unknown> | null, answer: { call: number; headers: Headers }) => UnitAnswer<T>;
  /**
   * Whether the units that came back answer the request when some calls failed: images yes (fewer than asked, as a
   * content filter leaves them), embeddings no (every input needs its vector).
   */
  partial: boolean;
  bill: (units: T[]) => UnitBill;
  /** The units made → the client's JSON; throwing a GatewayError refuses them (an answer that does not add up). */
  respond: (units: T[]) => unknown;
  responseHeaders?: Record<string, string>;
}

/** What the pipeline's ends need from any plan: the error dialect and the extra response headers. */
type PlanEnds = Pick<CallPlan, "dialect" | "responseHeaders">;

const UNREACHABLE = "The model service could not be reached. Please retry.";
const UNREADABLE = "The model service returned an unreadable answer. Please retry.";

export async function runCall(c: AppContext, plan: CallPlan | UnitCallPlan<any>): Promise<Response> {
  if ("kind" in plan) return runUnits(c, plan);
  await admit(c, plan.estimate);
  // Held open from before the call until it is billed: a client that leaves before the answer starts must not end
  // the invocation (and the spend row with it) while Bedrock is already working. A stream releases it at its end.
  const release = holdOpen(c);
  let handedOver = false;
  try {
    const body = plan.prepare ? await plan.prepare(plan.body) : plan.body;
    const outcome = await callBedrock(c, plan, body);
    const meta: CallMeta = {
      route: plan.route,
      model: plan.model,
      stream: plan.stream,
      target: outcome.target?.name ?? null,
      bedrockModel: outcome.target?.modelId ?? plan.model.invokeId,
    };
    if (!outcome.ok) return failed(c, plan, meta, outcome);

    if (!plan.stream) {
      const json = await readAnswer(outcome.res);
      const read = json ? translated(plan, json) : { problem: null, usage: null };
      if ("problem" in read) return undelivered(c, plan, meta, read, outcome.res.headers);
      const cost = recordSpend(c, meta, 200, read.usage);
      return finish(c, plan, meta, 200, read.body, JSON_TYPE, cost);
    }
    if (!outcome.body) {
      return failed(c, plan, meta, { ok: false, error: { name: "InternalServerException", message: "Empty stream from the model service.", status: 500 }, target: outcome.target });
    }
    handedOver = true;
    return streamed(c, plan, meta, outcome.body, release);
  } finally {
    if (!handedOver) release();
  }
}

async function runUnits<T>(c: AppContext, plan: UnitCallPlan<T>): Promise<Response> {
  await admit(c, plan.estimate);
  const s = c.get("services");
  const targets = s.router.targetsFor(plan.model);
  const call = (body: Record<string, unknown>) =>
    invokeWithFailover({
      targets,
      op: "invoke",
      body,
      modelKey: plan.model.baseId,
      memory: s.rejections,
      onRetry: (why) => logEvent("warn", { msg: why, requestId: c.get("requestId"), model: plan.model.requested }),
    });
  const outcomes: InvokeOutcome[] = new Array(plan.bodies.length);
  let next = 0;
  const lane = async () => {
    while (next < plan.bodies.length) {
      const i = next++;
      outcomes[i] = await call(plan.bodies[i]!);
      // Throttled or refused: do not start the rest (they would most likely fare the same).
      if (!outcomes[i]!.ok) next = plan.bodies.length;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallel ?? plan.bodies.length, plan.bodies.length)) }, lane));
  const first = outcomes.find((o) => o !== undefined);
  const meta: CallMeta = { route: plan.route, model: plan.model, stream: false, target: first?.target?.name ?? null, bedrockModel: first?.target?.modelId ?? plan.model.invokeId };
  // Every answer is read before deciding: what Bedrock made is delivered and billed even when another call failed.
  const units: T[] = [];
  let refusal: GatewayError | undefined;
  let unreadable: GatewayError | undefined;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (!o?.ok) continue;
    try {
      const answer = plan.read(await readAnswer(o.res), { call: i, headers: o.res.headers });
      units.push(...answer.units);
      refusal ??= answer.refusal;
    } catch (e) {
      unreadable ??= asUpstreamError(e);
    }
  }
  const failure = outcomes.find((o): o is Extract<InvokeOutcome, { ok: false }> => o !== undefined && !o.ok);
  // Nothing made, or a plan that cannot answer in part: the upstream error is the answer, billed for what was made.
  if (failure && (units.length === 0 || !plan.partial)) return failed(c, plan, meta, failure, plan.bill(units));
  if (failure) logEvent("warn", { msg: "some calls of a multi-call request failed; answering what was made", requestId: c.get("requestId"), made: units.length, asked: plan.bodies.length, error: failure.error.name });
  let answer: { body: string } | { problem: GatewayError };
  const problem = units.length === 0 || (!plan.partial && unreadable) ? (refusal ?? unreadable) : undefined;
  if (problem) answer = { problem };
  else {
    try {
      answer = { body: JSON.stringify(plan.respond(units)) };
    } catch (e) {
      answer = { problem: asUpstreamError(e) };
    }
  }
  const bill = plan.bill(units);
  if ("problem" in answer) return refusedAnswer(c, plan, meta, answer.problem, bill.usage, bill.billed && { ...bill.billed, units: 0 });
  const cost = recordSpend(c, meta, 200, bill.usage, bill.billed);
  return finish(c, plan, meta, 200, answer.body, JSON_TYPE, cost);
}

/**
 * A JSON answer through the route's translators: its usage and the client's body, or what they threw (with the
 * usage, when that much could be read).
 */
function translated(plan: CallPlan, json: Record<string, unknown>): { usage: TokenUsage; body: string } | { problem: unknown; usage: TokenUsage | null } {
  let usage: TokenUsage | null = null;
  try {
    usage = plan.usageOf(json);
    return { usage, body: JSON.stringify(plan.respond(json)) };
  } catch (problem) {
    return { problem, usage };
  }
}

/**
 * Bedrock said 200 and the answer cannot be delivered: unreadable (`problem` null: cut short, not JSON, not an
 * object) or thrown out by the route's translators. A 502 the client may retry, never the gateway's 500, unless the
 * route refused it with an error of its own. The call still happened and is billed: by the usage the answer states,
 * else by the token counts InvokeModel puts in its headers (Converse has none: its row shows the call at no cost).
 */
function undelivered(c: AppContext, plan: CallPlan, meta: CallMeta, read: { problem: unknown; usage: TokenUsage | null }, headers: Headers): Response {
  if (!(read.problem instanceof GatewayError)) {
    const msg = read.problem === null ? "unreadable answer from the model service" : "answer from the model service could not be translated";
    logEvent("error", { msg, requestId: c.get("requestId"), target: meta.target, ...(read.problem === null ? {} : { error: read.problem }) });
  }
  return refusedAnswer(c, plan, meta, asUpstreamError(read.problem), read.usage ?? usageFromHeaders(headers) ?? NO_USAGE);
}

/** An answer that came back and is not delivered (unreadable, or refused by the route): its error, billed. */
function refusedAnswer(c: AppContext, plan: PlanEnds, meta: CallMeta, p: GatewayError, usage: TokenUsage, billed?: Billed): Response {
  const cost = recordSpend(c, meta, p.status, usage, billed);
  return finish(c, plan, meta, p.status, errorJson(c, plan, p.status, p.message, p.type, p.code), JSON_TYPE, cost);
}

/** A route's refusal of what came back as it is; anything else thrown reading it, an unreadable answer (502). */
function asUpstreamError(e: unknown): GatewayError {
  // No type of its own: the dialect names a 502 (Anthropic's api_error, OpenAI's server_error).
  return e instanceof GatewayError ? e : new GatewayError(502, UNREADABLE);
}

export const NO_USAGE: TokenUsage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

function callBedrock(c: AppContext, plan: CallPlan, body: Record<string, unknown>): Promise<InvokeOutcome> {
  const s = c.get("services");
  const op = plan.api === "invoke" ? (plan.stream ? "invoke-with-response-stream" : "invoke") : plan.stream ? "converse-stream" : "converse";
  return invokeWithFailover({
    targets: s.router.targetsFor(plan.model),
    op,
    body,
    modelKey: plan.model.baseId,
    memory: s.rejections,
    headers: plan.headers,
    onRetry: (why) => logEvent("warn", { msg: why, requestId: c.get("requestId"), model: plan.model.requested }),
  });
}

/** An upstream refusal (or no upstream at all): the error in the caller's dialect, with its spend row. */
function failed(c: AppContext, plan: PlanEnds, meta: CallMeta, outcome: Extract<InvokeOutcome, { ok: false }>, bill?: UnitBill): Response {
  const mapped = plan.dialect.map(outcome.error);
  if (outcome.unreachable) logEvent("error", { msg: "bedrock unreachable", requestId: c.get("requestId"), target: meta.target });
  else if (mapped.status === 401) logEvent("error", { msg: "Bedrock rejected the gateway's AWS credentials", requestId: c.get("requestId"), bedrockError: outcome.error.name });
  const status = outcome.unreachable ? 502 : mapped.status;
  const cost = recordSpend(c, meta, status, bill?.usage ?? NO_USAGE, bill?.billed && { ...bill.billed, units: 0 });
  // AWS appends the canonical request to signature errors; it describes our signing, not the caller's request.
  // Otherwise Bedrock's wording is kept: Claude Code's recovery logic matches on it.
  const message = outcome.unreachable ? UNREACHABLE : (mapped.message.split("\n\n")[0] ?? mapped.message);
  const type = outcome.unreachable ? "api_error" : mapped.type;
  const code = outcome.unreachable ? undefined : mapped.code;
  return finish(c, plan, meta, status, errorJson(c, plan, status, message, type, code), JSON_TYPE, bill ? cost : undefined);
}


/**
 * Pipes Bedrock's stream through the route's translator and keep-alive. The translator's end is the one place a
 * streamed request settles: it bills whatever was generated, also when the client went away or Bedrock failed
 * mid-stream. The guard makes that end happen whichever way the stream stops, hooks or not (stream-guard.ts), and
 * `release` (the invocation's waitUntil) is let go only after the bill's own writes are registered.
 */
function streamed(c: AppContext, plan: CallPlan, meta: CallMeta, upstream: ReadableStream<Uint8Array>, release: () => void): Response {
  const config = c.get("services").config;
  let guard: GuardedStream | undefined;
  const translator = plan.translateStream((end) => {
    guard?.settled();
    try {
      recordSpend(c, meta, streamStatus(plan.dialect, end), end.usage);
    } finally {
      release();
    }
  });
  c.get("ticket").streaming = true; // settled by the stream's end, not by the meter scope
  guard = guardStream({
    upstream,
    translator,
    after: withPings(config.streamPingMs, plan.dialect.ping),
    signal: requestSignal(c),
    idleMs: config.streamUpstreamIdleMs,
    onCut: (why) => logEvent("info", { msg: "stream ended early", why, requestId: c.get("requestId") }),
  });
  return finish(c, plan, meta, 200, guard.body, SSE_TYPE);
}

/** The status a streamed request is logged with: the in-stream error's, 200 when it finished, 499 when cut short. */
export function streamStatus(dialect: ErrorDialect, end: StreamEnd): number {
  return end.error ? dialect.map(end.error).status : end.completed ? 200 : 499;
}

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** The pipeline's answer, with every header it carries given at once (edge/response-headers.ts says why). */
function finish(c: AppContext, plan: PlanEnds, meta: CallMeta, status: number, body: BodyInit, type: Record<string, string>, cost?: number): Response {
  return completeResponse(body, status, c.get("requestId"), { ...type, ...plan.responseHeaders, ...meterHeaders(c, cost), ...targetHeaders(meta) });
}

function errorJson(c: AppContext, plan: PlanEnds, status: number, message: string, type?: string, code?: string): string {
  return JSON.stringify(errorBody(plan.dialect.name, status, message, type, c.get("requestId"), undefined, code));
}
