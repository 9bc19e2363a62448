import { readAnswer } from "../bedrock/answer.ts";
import { readBedrockHttpError } from "../bedrock/errors.ts";
import { withoutRejected } from "../bedrock/rejections.ts";
import type { AppContext } from "../context.ts";
import { GatewayError } from "../edge/errors.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { anthropicToConverse, converseCapabilitiesOf } from "../protocols/converse/from-anthropic.ts";
import { CountTokensRequest, CountTokensRequestScreen } from "../protocols/anthropic/schema.ts";
import { encodeBase64Utf8 } from "../util/base64.ts";
import { anthropicUpstreamError, invokeBodyFor } from "./bedrock-call.ts";
import { readJsonBody, validate } from "./body.ts";
import { admit } from "./metering.ts";
import { wrongRoute } from "./model-route.ts";
import { resolveModelForKey } from "./resolve-model.ts";

/**
 * `POST /v1/messages/count_tokens` through Bedrock CountTokens. Bedrock wants the InvokeModel body (with
 * `anthropic_version` and `max_tokens`) base64-encoded, sent to the base model id rather than an inference profile.
 * Free: no spend is recorded.
 */
export async function countTokens(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>;
  const req = validate(CountTokensRequest, raw, CountTokensRequestScreen);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api === "embedding") throw new GatewayError(400, `model: ${req.model} is an embedding model; it has no messages to count.`, "invalid_request_error");
  if (model.row.api === "image") throw wrongRoute(req.model, model.row);
  if (model.row.api === "converse") return countConverseTokens(c, raw, model);

  // Drop what Bedrock is known to refuse for this model, as the messages route does.
  const invokeBody = withoutRejected(invokeBodyFor(c, { ...raw, max_tokens: req.max_tokens ?? 1 }, model), s.rejections.known(model.baseId)).body;
  // Free, but rate-limited like every other call: it takes a request slot and a parallel slot, reserves nothing.
  await admit(c, { tokens: 0, cost: 0 });
  const payload = JSON.stringify({ input: { invokeModel: { body: encodeBase64Utf8(JSON.stringify(invokeBody)) } } });

  let upstream: Response;
  try {
    upstream = await s.router.defaultClient().call(model.baseId, "count-tokens", payload);
  } catch {
    throw new GatewayError(502, "The model service could not be reached. Please retry.", "api_error");
  }
  if (!upstream.ok) return anthropicUpstreamError(c, await readBedrockHttpError(upstream));
  // An answer that cannot be read (cut short, not JSON, `null`) is the upstream's failure (502), like one without a count.
  const inputTokens = countIn(await readAnswer(upstream));
  if (inputTokens === null) throw new GatewayError(502, "The model service returned no token count.", "api_error");
  return c.json({ input_tokens: inputTokens });
}

/** Where a Converse model's count came from: Bedrock's CountTokens, or the gateway's estimate where Bedrock has none. */
const COUNT_SOURCE = "x-breakwater-token-count";

/**
 * Token counting for a model served through Converse: Bedrock's CountTokens with the Converse input where the model
 * supports it; otherwise (Bedrock refuses the model) an estimate of about four characters a token over the text
 * the model would read. The `x-breakwater-token-count` header says which (`bedrock` or `estimate`).
 */
async function countConverseTokens(c: AppContext, raw: Record<string, unknown>, model: ResolvedModel): Promise<Response> {
  const s = c.get("services");
  const t = anthropicToConverse({ ...raw, max_tokens: 1 }, { capabilities: converseCapabilitiesOf(model.row), maxOutput: model.row.maxOutput });
  await admit(c, { tokens: 0, cost: 0 });
  const input: Record<string, unknown> = { messages: t.body.messages };
  for (const k of ["system", "toolConfig"] as const) if (t.body[k] !== undefined) input[k] = t.body[k];
  if (t.imageUrls.length === 0) {
    try {
      const upstream = await s.router.defaultClient().call(model.baseId, "count-tokens", JSON.stringify({ input: { converse: input } }));
      if (upstream.ok) {
        const inputTokens = countIn(await readAnswer(upstream));
        if (inputTokens !== null) return c.json({ input_tokens: inputTokens }, 200, { [COUNT_SOURCE]: "bedrock" });
      } else {
        await upstream.body?.cancel();
      }
    } catch {
      // unreachable: the estimate below still answers
    }
  }
  return c.json({ input_tokens: estimateTokens(input) }, 200, { [COUNT_SOURCE]: "estimate" });
}

/** CountTokens' `inputTokens`, when the answer holds a whole, non-negative count. */
function countIn(answer: Record<string, unknown> | null): number | null {
  const n = answer?.inputTokens;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** About four characters a token for text; images and documents at a flat 1,600 (Claude's ceiling for an image). */
function estimateTokens(input: Record<string, unknown>): number {
  let chars = 0;
  let media = 0;
  JSON.stringify(input, (key, value) => {
    if ((key === "text" || key === "description" || key === "name") && typeof value === "string") chars += value.length;
    else if ((key === "image" || key === "document") && value && typeof value === "object") {
      media++;
      return undefined;
    } else if (key === "json" && value && typeof value === "object") chars += JSON.stringify(value).length;
    return value;
  });
  return Math.ceil(chars / 4) + media * 1600;
}
