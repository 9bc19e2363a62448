import type { AppContext } from "../context.ts";
import { guardrailConfig, guardrailHeaders } from "../edge/content-guard.ts";
import { GatewayError } from "../edge/errors.ts";
import { estimateRequest } from "../meter/estimate.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { rewriteInvokeResponse } from "../protocols/anthropic/response.ts";
import { MessagesRequest, MessagesRequestScreen } from "../protocols/anthropic/schema.ts";
import { bedrockToAnthropicSSE } from "../protocols/anthropic/stream.ts";
import { usageFromMessage } from "../protocols/anthropic/usage.ts";
import { anthropicToConverse, converseCapabilitiesOf } from "../protocols/converse/from-anthropic.ts";
import { inlineConverseImages } from "../protocols/converse/from-openai.ts";
import { bedrockConverseToAnthropicSSE, converseToAnthropic } from "../protocols/converse/to-anthropic.ts";
import { converseUsage } from "../protocols/converse/to-openai.ts";
import { invokeBodyFor } from "./bedrock-call.ts";
import { readJsonBody, validate } from "./body.ts";
import { applyContentGuard, keyGuardrail } from "./content-policy.ts";
import { ANTHROPIC_DIALECT } from "./dialects.ts";
import { fetchImages } from "./image-download.ts";
import { lifecycleHeaders } from "./lifecycle.ts";
import { wrongRoute } from "./model-route.ts";
import { runCall, type CallPlan } from "./pipeline.ts";
import { resolveModelForKey } from "./resolve-model.ts";

const ROUTE = "/v1/messages";

interface MessagesCommon {
  /** The body after the key's content guard. */
  raw: Record<string, unknown>;
  model: ResolvedModel;
  stream: boolean;
  maxTokens: number;
}

/**
 * `POST /v1/messages`: Anthropic Messages for every chat model. Claude goes through InvokeModel with its native
 * body (every Claude feature kept); every other model through Converse, translated both ways.
 */
export async function messages(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>;
  const req = validate(MessagesRequest, raw, MessagesRequestScreen);
  const model = resolveModelForKey(c, req.model);
  const common: MessagesCommon = {
    raw: applyContentGuard(c, raw, "anthropic"),
    model,
    stream: req.stream === true,
    maxTokens: req.max_tokens,
  };
  switch (model.row.api) {
    case "anthropic":
      return runCall(c, claudePlan(c, common));
    case "converse":
      return runCall(c, conversePlan(c, common));
    default:
      throw wrongRoute(req.model, model.row);
  }
}

function claudePlan(c: AppContext, k: MessagesCommon): CallPlan {
  const guardrail = keyGuardrail(c);
  const requestedModel = k.model.requested;
  return {
    ...planBase(k),
    api: "invoke",
    body: invokeBodyFor(c, k.raw, k.model),
    headers: guardrail ? guardrailHeaders(guardrail) : undefined,
    estimate: estimateRequest(k.raw, { dialect: "anthropic", maxTokens: k.maxTokens, price: k.model.row.price, caching: k.model.row.caching }),
    usageOf: usageFromMessage,
    respond: (json) => rewriteInvokeResponse(json, requestedModel),
    translateStream: (onEnd) => bedrockToAnthropicSSE({ requestedModel, onEnd }),
  };
}

function conversePlan(c: AppContext, k: MessagesCommon): CallPlan {
  const t = anthropicToConverse(k.raw, { capabilities: converseCapabilitiesOf(k.model.row), maxOutput: k.model.row.maxOutput });
  const guardrail = keyGuardrail(c);
  const ids = { requestedModel: k.model.requested, id: `msg_bdrk_${crypto.randomUUID().replaceAll("-", "")}` };
  return {
    ...planBase(k),
    api: "converse",
    body: guardrail ? { ...t.body, guardrailConfig: guardrailConfig(guardrail) } : t.body,
    prepare: t.imageUrls.length ? async (body) => inlineConverseImages(body, await fetchImages(t.imageUrls)) : undefined,
    estimate: estimateRequest(k.raw, { dialect: "anthropic", maxTokens: t.maxTokens, price: k.model.row.price, caching: k.model.row.caching }),
    usageOf: (json) => converseUsage(json.usage),
    respond: (json) => converseToAnthropic(json, ids),
    translateStream: (onEnd) => bedrockConverseToAnthropicSSE({ ...ids, onEnd }),
  };
}

function planBase(k: MessagesCommon) {
  return { route: ROUTE, model: k.model, stream: k.stream, dialect: ANTHROPIC_DIALECT, responseHeaders: lifecycleHeaders(k.model) };
}
