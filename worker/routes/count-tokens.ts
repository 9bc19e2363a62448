import { readBedrockHttpError, toAnthropicError } from "../bedrock/errors.ts";
import type { AppContext } from "../context.ts";
import { errorResponse, GatewayError } from "../edge/errors.ts";
import { bedrockBetas } from "../models/betas.ts";
import { splitBetaHeader, toBedrockInvokeBody } from "../protocols/anthropic/request.ts";
import { CountTokensRequest } from "../protocols/anthropic/schema.ts";
import { encodeBase64Utf8 } from "../util/base64.ts";
import { readJsonBody, validate } from "./body.ts";
import { resolveModelForKey } from "./resolve-model.ts";

/**
 * `POST /v1/messages/count_tokens` through Bedrock CountTokens. Bedrock wants the InvokeModel body (with
 * `anthropic_version` and `max_tokens`) base64-encoded, sent to the base model id rather than an inference profile.
 * Free: no spend is recorded.
 */
export async function countTokens(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>;
  const req = validate(CountTokensRequest, raw);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api !== "anthropic") throw new GatewayError(400, `model: token counting is available for Claude models only.`, "invalid_request_error");

  const betas = bedrockBetas([...splitBetaHeader(c.req.header("anthropic-beta")), ...model.impliedBetas], model.row);
  const invokeBody = toBedrockInvokeBody(
    { ...raw, max_tokens: req.max_tokens ?? 1 },
    { betas, model: { supportsCaching: model.row.caching ?? false, supportsCacheTtl: model.row.cacheTtl ?? false, supportsOutputConfig: model.row.outputConfig ?? false } },
  );
  const payload = JSON.stringify({ input: { invokeModel: { body: encodeBase64Utf8(JSON.stringify(invokeBody)) } } });

  let upstream: Response;
  try {
    upstream = await s.bedrock.call(model.baseId, "count-tokens", payload);
  } catch {
    throw new GatewayError(502, "The model service could not be reached. Please retry.", "api_error");
  }
  if (!upstream.ok) {
    const mapped = toAnthropicError(await readBedrockHttpError(upstream));
    return errorResponse("anthropic", mapped.status, mapped.message.split("\n\n")[0] ?? mapped.message, { type: mapped.type, requestId: c.get("requestId") });
  }
  const { inputTokens } = (await upstream.json()) as { inputTokens?: number };
  if (typeof inputTokens !== "number") throw new GatewayError(502, "The model service returned no token count.", "api_error");
  return c.json({ input_tokens: inputTokens });
}
