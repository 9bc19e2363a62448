import type { AppContext } from "../context.ts";
import { guardrailConfig, guardrailHeaders } from "../edge/content-guard.ts";
import { estimateRequest } from "../meter/estimate.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { usageFromMessage } from "../protocols/anthropic/usage.ts";
import { inlineConverseImages, openAIToConverse } from "../protocols/converse/from-openai.ts";
import { bedrockConverseToOpenAIChunks, converseToOpenAI, converseUsage } from "../protocols/converse/to-openai.ts";
import { TranslationError } from "../protocols/openai/errors.ts";
import { anthropicToOpenAI, bedrockInvokeToOpenAIChunks } from "../protocols/openai/from-anthropic.ts";
import { inlineImages, openAIToAnthropic, type JsonModeInfo } from "../protocols/openai/to-anthropic.ts";
import type { OpenAIChatRequest } from "../protocols/openai/types.ts";
import { checkUnsupported } from "../protocols/openai/unsupported.ts";
import { ChatRequest, ChatRequestScreen } from "../protocols/openai/schema.ts";
import { invokeBodyFor } from "./bedrock-call.ts";
import { readJsonBody, validate } from "./body.ts";
import { applyContentGuard, keyGuardrail } from "./content-policy.ts";
import { OPENAI_DIALECT } from "./dialects.ts";
import { fetchImages } from "./image-download.ts";
import { lifecycleHeaders } from "./lifecycle.ts";
import { runCall, type CallPlan } from "./pipeline.ts";
import { wrongRoute } from "./model-route.ts";
import { resolveModelForKey } from "./resolve-model.ts";

/** When an OpenAI client sets no max_tokens: Bedrock needs one, and a modest default keeps reservations sane. */
const DEFAULT_MAX_TOKENS = 4096;
const ROUTE = "/v1/chat/completions";

interface ChatCommon {
  raw: Record<string, unknown>;
  model: ResolvedModel;
  stream: boolean;
  ids: { requestedModel: string; id: string; created: number };
}

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
  const req = validate(ChatRequest, raw, ChatRequestScreen);
  const unsupported = checkUnsupported(raw as unknown as OpenAIChatRequest);
  if (unsupported) throw new TranslationError(unsupported.param, unsupported.message);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api === "embedding" || model.row.api === "image") throw wrongRoute(req.model, model.row);

  const common: ChatCommon = {
    raw,
    model,
    stream: req.stream === true,
    ids: { requestedModel: req.model, id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`, created: Math.floor(Date.now() / 1000) },
  };
  return runCall(c, model.row.api === "anthropic" ? claudePlan(c, common) : conversePlan(c, common));
}

function claudePlan(c: AppContext, k: ChatCommon): CallPlan {
  const t = openAIToAnthropic(k.raw as unknown as OpenAIChatRequest, { model: k.ids.requestedModel, maxTokensDefault: DEFAULT_MAX_TOKENS, supportsThinking: true });
  const guardrail = keyGuardrail(c);
  return {
    ...planBase(k),
    api: "invoke",
    body: t.body,
    // Images are downloaded only once the meter has admitted the request.
    prepare: async (body) => invokeBodyFor(c, t.imageUrls.length ? inlineImages(body, await fetchImages(t.imageUrls)) : body, k.model),
    headers: guardrail ? guardrailHeaders(guardrail) : undefined,
    estimate: estimateRequest(k.raw, { dialect: "openai", maxTokens: Number(t.body.max_tokens) || DEFAULT_MAX_TOKENS, price: k.model.row.price, caching: k.model.row.caching }),
    usageOf: usageFromMessage,
    respond: (json) => anthropicToOpenAI(json, { ...k.ids, jsonMode: t.jsonMode }),
    translateStream: (onEnd) => bedrockInvokeToOpenAIChunks({ ...k.ids, includeUsage: t.includeUsage, jsonMode: t.jsonMode as JsonModeInfo | null, onEnd }),
  };
}

function conversePlan(c: AppContext, k: ChatCommon): CallPlan {
  const t = openAIToConverse(k.raw, { maxTokensDefault: Math.min(DEFAULT_MAX_TOKENS, k.model.row.maxOutput), capabilities: { stopSequences: true, toolChoiceRequired: true, ...k.model.row.converse } });
  const maxTokens = Number((t.body.inferenceConfig as { maxTokens?: number } | undefined)?.maxTokens) || DEFAULT_MAX_TOKENS;
  const guardrail = keyGuardrail(c);
  return {
    ...planBase(k),
    api: "converse",
    body: guardrail ? { ...t.body, guardrailConfig: guardrailConfig(guardrail) } : t.body,
    prepare: t.imageUrls.length ? async (body) => inlineConverseImages(body, await fetchImages(t.imageUrls)) : undefined,
    estimate: estimateRequest(k.raw, { dialect: "openai", maxTokens, price: k.model.row.price, caching: k.model.row.caching }),
    usageOf: (json) => converseUsage(json.usage),
    respond: (json) => converseToOpenAI(json, k.ids),
    translateStream: (onEnd) => bedrockConverseToOpenAIChunks({ ...k.ids, includeUsage: t.includeUsage, onEnd }),
  };
}

function planBase(k: ChatCommon) {
  return { route: ROUTE, model: k.model, stream: k.stream, dialect: OPENAI_DIALECT, responseHeaders: lifecycleHeaders(k.model) };
}
