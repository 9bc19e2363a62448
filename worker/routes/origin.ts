/**
 * The routes that go to the origin: the video sidecar's paths, and model calls for models the edge catalog does not
 * serve but LiteLLM on the origin does (ORIGIN_MODELS). The key is already authenticated (requireKey runs first);
 * the proxy admits the request through the meter before anything is forwarded.
 */
import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import { dialectForPath, GatewayError } from "../edge/errors.ts";
import { rawTarget } from "../edge/firewall.ts";
import { checkModelAllowed } from "../keys/policy.ts";
import type { Estimate } from "../meter/key-state.ts";
import { isJsonContentType, validateVideoRequest } from "../video/validate.ts";
import { worstCase } from "../meter/estimate.ts";
import { proxyToOrigin, type ProxyCall } from "../origin/proxy.ts";
import { originTarget } from "../origin/routes.ts";
import type { OriginServices } from "../origin/services.ts";
import { peekJsonBody, readBodyBytes, readCapped } from "./body.ts";

/** When a call names no max_tokens, the reservation assumes this many output tokens (as the edge routes do). */
const DEFAULT_MAX_TOKENS = 4096;

function originOr404(c: AppContext): OriginServices {
  const origin = c.get("services").origin;
  if (!origin) throw new GatewayError(404, "Not found.", "not_found_error");
  return origin;
}

/**
 * `/v1/videos/…`. A JSON job submission is checked here with the sidecar's own rules (a bad one never wakes the
 * origin) and priced exactly — seconds × the catalog's price per second — and that price is reserved through the
 * key's meter before the job is forwarded: a 402 when the budget cannot hold it. If the sidecar accepts the job
 * (202) the price stays on the meter as spent; any other answer releases it. The job's spend row is written by the
 * sidecar when the job completes (a failed job costs nothing there). Reads and other bodies are forwarded as they
 * are (the sidecar takes only JSON) and reserve nothing.
 */
export async function videoRoute(c: AppContext): Promise<Response> {
  const origin = originOr404(c);
  const { path, query } = rawTarget(c.req.url);
  const target = originTarget(c.req.method, path, query);
  if (!target || target.route.service !== "sidecar") throw new GatewayError(404, "Not found.", "not_found_error");
  if (target.route.method === "POST" && isJsonContentType(c.req.header("content-type"))) {
    const raw = c.req.raw;
    const max = c.get("services").config.maxBodyBytes;
    const declared = Number(raw.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > max) throw new GatewayError(413, `The request body is larger than ${Math.round(max / 1024 / 1024)} MB.`, "request_too_large");
    const bytes = (raw.body ? await readCapped(raw.body, max, false) : new Uint8Array()) as Uint8Array<ArrayBuffer>;
    const doc = parseJson(bytes);
    if (doc === undefined) throw new GatewayError(400, "The request body must be JSON.", "validation_error", undefined, "body");
    const lifecycle = { now: c.get("services").config.lifecycleNow ?? undefined, endOfLife: origin.config.videoEndOfLife };
    const checked = await validateVideoRequest(doc, lifecycle);
    if (!checked.ok) {
      const { status, ...error } = checked.error;
      return Response.json({ error: { ...error, code: error.type } }, { status });
    }
    const { spec } = checked;
    return proxyToOrigin(c, origin, { target, dialect: "openai", model: spec.model.name, price: null, estimate: { tokens: 0, cost: spec.cost }, body: bytes, video: { jobCost: spec.cost } });
  }
  return proxyToOrigin(c, origin, { target, dialect: "openai", model: null, price: null, estimate: { tokens: 0, cost: 0 }, body: null, video: { jobCost: null } });
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Before `/v1/chat/completions`, `/v1/messages` and `/v1/embeddings`: a model the catalog does not know but
 * ORIGIN_MODELS lists goes to LiteLLM on the origin, with the same key checks, limits and spend rows. Anything else
 * continues to the edge route unchanged (which answers unknown models with its 404). Costs nothing when no origin
 * models are configured; otherwise the body is read once here and handed on.
 */
export const originModelFallback: MiddlewareHandler<AppEnv> = async (c, next) => {
  const s = c.get("services");
  const origin = s.origin;
  const raw = c.req.raw;
  if (!origin || origin.config.models.size === 0 || !raw.body || !/^application\/json\b/i.test(raw.headers.get("content-type") ?? "")) return next();
  // Read and parsed once: the edge route that serves the request takes both from here (body.ts).
  const bytes = (await readBodyBytes(raw, s.config.maxBodyBytes)) as Uint8Array<ArrayBuffer>;
  const doc = peekJsonBody(raw);
  const model = typeof doc?.model === "string" ? doc.model : null;
  if (model === null || s.catalog.resolve(model) !== null || !origin.config.models.has(model)) return next();
  checkModelAllowed(s.catalog.allowedNames(c.get("key").models), [model]);
  const { path } = rawTarget(raw.url);
  const target = originTarget(raw.method, path);
  if (!target || target.route.service !== "litellm") return next();
  const price = origin.config.models.get(model) ?? null;
  const call: ProxyCall = { target, dialect: dialectForPath(path), model, price, estimate: estimateFor(bytes.byteLength, doc!, price), body: bytes };
  c.res = await proxyToOrigin(c, origin, call);
};

function estimateFor(size: number, doc: Record<string, unknown>, price: ProxyCall["price"]): Estimate {
  if (!price) return { tokens: Math.ceil(size / 4), cost: 0 };
  const m = Number(doc.max_completion_tokens ?? doc.max_tokens);
  return worstCase(size, Number.isInteger(m) && m > 0 ? m : DEFAULT_MAX_TOKENS, price);
}
