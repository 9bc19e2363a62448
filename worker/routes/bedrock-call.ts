import { toAnthropicError, type BedrockError } from "../bedrock/errors.ts";
import type { AppContext } from "../context.ts";
import { errorResponse } from "../edge/errors.ts";
import { bedrockBetas } from "../models/betas.ts";
import type { ResolvedModel } from "../models/catalog.ts";
import { splitBetaHeader, toBedrockInvokeBody } from "../protocols/anthropic/request.ts";

/** The InvokeModel body for an Anthropic request: betas filtered for the model, fields Bedrock would refuse removed. */
export function invokeBodyFor(c: AppContext, raw: Record<string, unknown>, model: ResolvedModel): Record<string, unknown> {
  const betas = bedrockBetas([...splitBetaHeader(c.req.header("anthropic-beta")), ...model.impliedBetas], model.row);
  return toBedrockInvokeBody(raw, {
    betas,
    model: {
      supportsCaching: model.row.caching ?? false,
      supportsCacheTtl: model.row.cacheTtl ?? false,
      supportsOutputConfig: model.row.outputConfig ?? false,
    },
  });
}

/** A Bedrock HTTP error as the Anthropic error the client expects, with Bedrock's message text kept. */
export function anthropicUpstreamError(c: AppContext, e: BedrockError): Response {
  const mapped = toAnthropicError(e);
  // AWS appends the canonical request to signature errors; it describes our signing, not the caller's request.
  const message = mapped.message.split("\n\n")[0] ?? mapped.message;
  return errorResponse("anthropic", mapped.status, message, { type: mapped.type, requestId: c.get("requestId") });
}
