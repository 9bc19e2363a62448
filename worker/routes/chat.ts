import type { BedrockError } from "../bedrock/errors.ts";
import { invokeWithFailover, type InvokeOutcome } from "../bedrock/invoke.ts";
import { defer, type AppContext } from "../context.ts";
import { errorResponse } from "../edge/errors.ts";
import type { TokenUsage } from "../meter/cost.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { inlineConverseImages, openAIToConverse } from "../protocols/converse/from-openai.ts";
import { bedrockConverseToOpenAIChunks, converseToOpenAI, converseUsage } from "../protocols/converse/to-openai.ts";
import { withPings } from "../protocols/anthropic/keepalive.ts";
import { usageFromMessage } from "../protocols/anthropic/usage.ts";
import { toOpenAIError, TranslationError } from "../protocols/openai/errors.ts";
import { anthropicToOpenAI, bedrockInvokeToOpenAIChunks } from "../protocols/openai/from-anthropic.ts";
import { inlineImages, openAIToAnthropic, type JsonModeInfo } from "../protocols/openai/to-anthropic.ts";
import type { OpenAIChatRequest } from "../protocols/openai/types.ts";
import { checkUnsupported } from "../protocols/openai/unsupported.ts";
import { ChatRequest } from "../protocols/openai/schema.ts";
import { fetchImage, type FetchedImage } from "../util/fetch-image.ts";
import { logEvent } from "../util/log.ts";
import { invokeBodyFor } from "./bedrock-call.ts";
import { applyContentGuard, keyGuardrail } from "./content-policy.ts";
import { guardrailConfig, guardrailHeaders } from "../edge/content-guard.ts";
import { readJsonBody, validate } from "./body.ts";
import { resolveModelForKey } from "./resolve-model.ts";
import { admit, withMeterHeaders } from "./metering.ts";
import { recordSpend, withTarget, type CallMeta } from "./spend.ts";
import { estimateRequest } from "../meter/estimate.ts";

/** When an OpenAI client sets no max_tokens: Bedrock needs one, and a modest default keeps reservations sane. */
const DEFAULT_MAX_TOKENS = 4096;
const IMAGE_LIMITS = { maxBytes: 3_750_000, timeoutMs: 10_000 }; // Bedrock's per-image limit is 3.75 MB

/**
 * `POST /v1/chat/completions`.
 *
 * Claude models go through InvokeModel with the native Anthropic body rather than Converse, because that path keeps
 * the most fidelity: prompt-cache breakpoints with TTLs and the 1-hour/5-minute write split (exact billing), signed
 * thinking blocks across turns, `tool_choice: none`, `disable_parallel_tool_use`, `top_k`, beta flags, and the same
 * learned-rejection and failover machinery as /v1/messages. Every other model goes through Converse, Bedrock's
 * common chat API.
 */
export async function chatCompletions(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = applyContentGuard(c, (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>, "openai");
  const req = validate(ChatRequest, raw);
  const unsupported = checkUnsupported(raw as unknown as OpenAIChatRequest);
  if (unsupported) throw new TranslationError(unsupported.param, unsupported.message);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api === "embedding") throw new TranslationError("model", `model: ${req.model} is an embedding model; call it through /v1/embeddings.`);

  const stream = req.stream === true;
  const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
  const created = Math.floor(Date.now() / 1000);
  const common = { requestedModel: req.model, id, created };

  if (model.row.api === "anthropic") {
    const t = openAIToAnthropic(raw as unknown as OpenAIChatRequest, { model: req.model, maxTokensDefault: DEFAULT_MAX_TOKENS, supportsThinking: true });
    await admit(c, estimateRequest(raw, { dialect: "openai", maxTokens: Number(t.body.max_tokens) || DEFAULT_MAX_TOKENS, price: model.row.price, caching: model.row.caching }));
    const withImages = t.imageUrls.length ? inlineImages(t.body, await fetchAll(t.imageUrls)) : t.body;
    const guardrail = keyGuardrail(c);
    const outcome = await call(c, model, stream ? "invoke-with-response-stream" : "invoke", invokeBodyFor(c, withImages, model), guardrail ? guardrailHeaders(guardrail) : undefined);
    const meta = metaFor(model, stream, outcome);
    if (!outcome.ok) return failed(c, meta, outcome);
    if (!stream) {
      const json = (await outcome.res.json()) as Record<string, unknown>;
      const cost = recordSpend(c, meta, 200, usageFromMessage(json));
      return withMeterHeaders(c, withTarget(c.json(anthropicToOpenAI(json, { ...common, jsonMode: t.jsonMode }), 200), meta), cost);
    }
    return streamed(c, meta, outcome, (onEnd) => bedrockInvokeToOpenAIChunks({ ...common, includeUsage: t.includeUsage, jsonMode: t.jsonMode as JsonModeInfo | null, onEnd }));
  }

  const t = openAIToConverse(raw, { maxTokensDefault: Math.min(DEFAULT_MAX_TOKENS, model.row.maxOutput), capabilities: { stopSequences: true, toolChoiceRequired: true, ...model.row.converse } });
  const maxTokens = Number((t.body.inferenceConfig as { maxTokens?: number } | undefined)?.maxTokens) || DEFAULT_MAX_TOKENS;
  await admit(c, estimateRequest(raw, { dialect: "openai", maxTokens, price: model.row.price, caching: model.row.caching }));
  const withImages = t.imageUrls.length ? inlineConverseImages(t.body, await fetchAll(t.imageUrls)) : t.body;
  const guardrail = keyGuardrail(c);
  const body = guardrail ? { ...withImages, guardrailConfig: guardrailConfig(guardrail) } : withImages;
  const outcome = await call(c, model, stream ? "converse-stream" : "converse", body);
  const meta = metaFor(model, stream, outcome);
  if (!outcome.ok) return failed(c, meta, outcome);
  if (!stream) {
    const json = (await outcome.res.json()) as Record<string, unknown>;
    const cost = recordSpend(c, meta, 200, converseUsage(json.usage));
    return withMeterHeaders(c, withTarget(c.json(converseToOpenAI(json, common), 200), meta), cost);
  }
  return streamed(c, meta, outcome, (onEnd) => bedrockConverseToOpenAIChunks({ ...common, includeUsage: t.includeUsage, onEnd }));
}

type StreamEnd = { usage: TokenUsage; error: BedrockError | null; completed: boolean };

function call(
  c: AppContext,
  model: ResolvedModel,
  op: "invoke" | "invoke-with-response-stream" | "converse" | "converse-stream",
  body: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<InvokeOutcome> {
  const s = c.get("services");
  return invokeWithFailover({
    targets: s.router.targetsFor(model),
    op,
    body,
    modelKey: model.baseId,
    memory: s.rejections,
    headers,
    onRetry: (why) => logEvent("warn", { msg: why, requestId: c.get("requestId"), model: model.requested }),
  });
}

function metaFor(model: ResolvedModel, stream: boolean, outcome: InvokeOutcome): CallMeta {
  return { route: "/v1/chat/completions", model, stream, target: outcome.target?.name ?? null, bedrockModel: outcome.target?.modelId ?? model.invokeId };
}

function failed(c: AppContext, meta: CallMeta, outcome: Extract<InvokeOutcome, { ok: false }>): Response {
  const e = toOpenAIError(outcome.error);
  if (e.status === 401) logEvent("error", { msg: "Bedrock rejected the gateway's AWS credentials", requestId: c.get("requestId") });
  recordSpend(c, meta, e.status, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  const message = outcome.unreachable ? "The model service could not be reached. Please retry." : (e.message.split("\n\n")[0] ?? e.message);
  return withMeterHeaders(c, withTarget(errorResponse("openai", e.status, message, { type: e.type, requestId: c.get("requestId") }), meta));
}

/** Pipes Bedrock's stream through a translator to OpenAI chunks; bills whatever was generated when it ends. */
function streamed(c: AppContext, meta: CallMeta, outcome: Extract<InvokeOutcome, { ok: true }>, make: (onEnd: (r: StreamEnd) => void) => TransformStream<Uint8Array, Uint8Array>): Response {
  if (!outcome.body) return failed(c, meta, { ok: false, error: { name: "InternalServerException", message: "Empty stream from the model service.", status: 500 }, target: outcome.target });
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));
  const translator = make((r) => {
    recordSpend(c, meta, r.error ? toOpenAIError(r.error).status : r.completed ? 200 : 499, r.usage);
    resolveDone();
  });
  defer(c, done);
  c.get("ticket").streaming = true; // settled by the stream's end, not by the scope
  const sse = outcome.body.pipeThrough(translator).pipeThrough(withOpenAIKeepAlive(c));
  return withMeterHeaders(c, withTarget(new Response(sse, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } }), meta));
}

/** SSE comment lines keep an OpenAI stream alive while the model is silent (clients ignore comments). */
function withOpenAIKeepAlive(c: AppContext): TransformStream<Uint8Array, Uint8Array> {
  return withPings(c.get("services").config.streamPingMs, ": ping\n\n");
}

async function fetchAll(urls: string[]): Promise<Map<string, FetchedImage>> {
  const fetched = await Promise.all(urls.map((u, i) => fetchImage(u, IMAGE_LIMITS, `messages image ${i + 1}`)));
  return new Map(urls.map((u, i) => [u, fetched[i]!]));
}

