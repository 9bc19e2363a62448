// Errors on the OpenAI side of the gateway: Bedrock failures mapped to OpenAI's status/type/code
// (BEDROCK_WIRE.md §7.4, OpenAI column), and the 400 a translator raises for a request it cannot express.
// Bedrock's message is always copied verbatim (clients and people match on its wording).

import { isCredentialError, toAnthropicError, type BedrockError } from "../../bedrock/errors.ts";
import { GatewayError } from "../../edge/errors.ts";
import { own } from "../../util/own.ts";

export interface OpenAIErrorShape {
  status: number;
  type: string;
  code: string;
  message: string;
}

type Mapping = { status: number; type: string; code?: string };

/** By Bedrock error name: PascalCase over HTTP, lower-camel for in-stream exceptions (same row of §7.4). */
const MAPPING: Record<string, Mapping> = {
  ValidationException: { status: 400, type: "invalid_request_error" },
  validationException: { status: 400, type: "invalid_request_error" },
  AccessDeniedException: { status: 403, type: "permission_error" },
  ResourceNotFoundException: { status: 404, type: "not_found_error", code: "model_not_found" },
  ThrottlingException: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  throttlingException: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  ServiceQuotaExceededException: { status: 429, type: "rate_limit_error", code: "insufficient_quota" },
  ModelNotReadyException: { status: 503, type: "server_error" },
  ModelTimeoutException: { status: 504, type: "timeout" },
  modelTimeoutException: { status: 504, type: "timeout" },
  ModelErrorException: { status: 500, type: "server_error" },
  ModelStreamErrorException: { status: 500, type: "server_error" },
  modelStreamErrorException: { status: 500, type: "server_error" },
  InternalServerException: { status: 500, type: "server_error" },
  internalServerException: { status: 500, type: "server_error" },
  ServiceUnavailableException: { status: 503, type: "server_error" },
  serviceUnavailableException: { status: 503, type: "server_error" },
};

/** Unknown names: trust the HTTP status where it is unambiguous. */
function mappingFromStatus(status: number): Mapping {
  switch (status) {
    case 400:
    case 413:
      return { status: 400, type: "invalid_request_error" };
    case 401:
      return { status: 401, type: "authentication_error" };
    case 403:
      return { status: 403, type: "permission_error" };
    case 404:
      return { status: 404, type: "not_found_error" };
    case 429:
      return { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" };
    case 502:
    case 503:
    case 504:
      return { status, type: "server_error" };
    default:
      return { status: 500, type: "server_error" };
  }
}

/**
 * Bedrock error → OpenAI status, `error.type` and `error.code`. `code` falls back to the type, as the gateway's
 * own OpenAI errors do (edge/errors.ts). An input-too-long ValidationException gets OpenAI's own code for it,
 * `context_length_exceeded` (still a 400: that is what OpenAI answers and what clients key on).
 */
export function toOpenAIError(e: BedrockError): OpenAIErrorShape {
  let mapping = own(MAPPING, e.name);
  if (!mapping && isCredentialError(e)) mapping = { status: 401, type: "authentication_error" };
  if (!mapping) mapping = mappingFromStatus(e.status);
  let code = mapping.code ?? mapping.type;
  // toAnthropicError owns the "input is too long" wording rules; it reports such errors as 413.
  if (mapping.type === "invalid_request_error" && toAnthropicError(e).status === 413) code = "context_length_exceeded";
  return { status: mapping.status, type: mapping.type, code, message: e.message };
}

/** The `{"error":{…}}` envelope openai-node reads (`param` is null: a Bedrock error never names a request field). */
export function openAIErrorEnvelope(e: BedrockError): { error: { message: string; type: string; param: null; code: string } } {
  const m = toOpenAIError(e);
  return { error: { message: m.message, type: m.type, param: null, code: m.code } };
}

/**
 * A request the OpenAI → Bedrock translation cannot express faithfully. Always a 400 naming the request field at
 * fault (`param`, OpenAI style, e.g. `messages[2].tool_calls[0].function.arguments`). It is a GatewayError, so
 * the app's error handler renders it as an OpenAI error with `param` without any extra wiring.
 */
export class TranslationError extends GatewayError {
  declare readonly param: string;
  constructor(param: string, message: string) {
    super(400, message, "invalid_request_error", undefined, param);
    this.name = "TranslationError";
  }
}
