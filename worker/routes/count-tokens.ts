import { readBedrockHttpError } from "../bedrock/errors.ts";
import { withoutRejected } from "../bedrock/rejections.ts";
import type { AppContext } from "../context.ts";
import { GatewayError } from "../edge/errors.ts";
import { CountTokensRequest } from "../protocols/anthropic/schema.ts";
import { encodeBase64Utf8 } from "../util/base64.ts";
import { anthropicUpstreamError, invokeBodyFor } from "./bedrock-call.ts";
import { readJsonBody, validate } from "./body.ts";
import { admit } from "./metering.ts";
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
  const { inputTokens } = (await upstream.json()) as { inputTokens?: number };
  if (typeof inputTokens !== "number") throw new GatewayError(502, "The model service returned no token count.", "api_error");
  return c.json({ input_tokens: inputTokens });
}
