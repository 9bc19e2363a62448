// Bedrock errors: reading them off an HTTP response or an in-stream frame, and mapping them to the Anthropic
// error envelope (BEDROCK_WIRE.md §7). Messages are always carried verbatim — Claude Code's recovery logic
// matches on error wording, so rewording an upstream message breaks it.

import type { EventStreamFrame } from "./eventstream.ts";
import { own } from "../util/own.ts";

export interface BedrockError {
  /** Error code, e.g. "ThrottlingException" (HTTP) or "throttlingException" (in-stream union member). */
  name: string;
  /** Bedrock's own message text, untouched. */
  message: string;
  /** HTTP status Bedrock answered with (for in-stream errors: the status the same error has over HTTP). */
  status: number;
  /** ModelErrorException / ModelStreamErrorException: the status the model itself returned. */
  originalStatusCode?: number;
}

/** The restJson1 error-code rule: cut at the first "," and ":", keep what follows "#" (§7.2). */
function sanitizeErrorCode(raw: string): string {
  let code = raw;
  if (code.includes(",")) code = code.split(",")[0]!;
  if (code.includes(":")) code = code.split(":")[0]!;
  if (code.includes("#")) code = code.split("#")[1]!;
  return code.trim();
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Reads a non-2xx Bedrock response. Never throws, whatever the body holds. */
export async function readBedrockHttpError(res: Response): Promise<BedrockError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // Body already consumed or the connection broke: fall back to the status alone.
  }
  let body: Record<string, unknown> | null = null;
  try {
    body = asRecord(JSON.parse(text));
  } catch {
    body = null;
  }

  let name = "";
  const headerType = res.headers.get("x-amzn-errortype");
  if (headerType) name = sanitizeErrorCode(headerType);
  if (!name && body && typeof body.code === "string") name = sanitizeErrorCode(body.code);
  if (!name && body && typeof body.__type === "string") name = sanitizeErrorCode(body.__type);
  if (!name) name = "Unknown";

  let message: string;
  if (body && typeof body.message === "string") message = body.message;
  else if (body && typeof body.Message === "string") message = body.Message;
  else if (!body && text.trim()) message = text; // e.g. an HTML page from a proxy: still worth showing
  else message = `Bedrock returned HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;

  const error: BedrockError = { name, message, status: res.status };
  if (body && typeof body.originalStatusCode === "number") error.originalStatusCode = body.originalStatusCode;
  return error;
}

/** HTTP status of each in-stream exception (the same errors' statuses over HTTP, §7.1). */
const STREAM_EXCEPTION_STATUS: Record<string, number> = {
  throttlingException: 429,
  validationException: 400,
  modelStreamErrorException: 424,
  modelTimeoutException: 408,
  internalServerException: 500,
  serviceUnavailableException: 503,
};

const frameText = new TextDecoder("utf-8");

/** An `exception` or `error` frame from InvokeModelWithResponseStream / ConverseStream (§3.3). */
export function bedrockErrorFromFrame(frame: EventStreamFrame): BedrockError {
  const h = frame.headers;
  const messageType = h[":message-type"];
  if (messageType === "exception") {
    const name = typeof h[":exception-type"] === "string" ? h[":exception-type"] : "Unknown";
    const raw = frameText.decode(frame.payload);
    let payload: Record<string, unknown> | null = null;
    try {
      payload = asRecord(JSON.parse(raw));
    } catch {
      payload = null;
    }
    // Like the AWS SDK: a payload without a message string surfaces raw.
    const message = payload && typeof payload.message === "string" ? payload.message : raw;
    const error: BedrockError = { name, message, status: own(STREAM_EXCEPTION_STATUS, name) ?? 500 };
    if (payload && typeof payload.originalStatusCode === "number") {
      error.originalStatusCode = payload.originalStatusCode;
    }
    return error;
  }
  if (messageType === "error") {
    const code = h[":error-code"];
    const message = h[":error-message"];
    return {
      name: typeof code === "string" && code ? code : "Unknown",
      message: typeof message === "string" ? message : "",
      status: 500,
    };
  }
  return {
    name: "Unknown",
    message: `Unrecognizable event type: ${String(messageType)}`,
    status: 500,
  };
}

export interface AnthropicErrorShape {
  status: number;
  type: string;
  message: string;
}

/** HTTP errors, by the PascalCase name in x-amzn-ErrorType (§7.4, Anthropic column). */
const HTTP_MAPPING: Record<string, { status: number; type: string }> = {
  ValidationException: { status: 400, type: "invalid_request_error" },
  AccessDeniedException: { status: 403, type: "permission_error" },
  ResourceNotFoundException: { status: 404, type: "not_found_error" },
  ThrottlingException: { status: 429, type: "rate_limit_error" },
  ServiceQuotaExceededException: { status: 429, type: "rate_limit_error" },
  ModelNotReadyException: { status: 529, type: "overloaded_error" },
  ModelTimeoutException: { status: 504, type: "timeout_error" },
  ModelErrorException: { status: 500, type: "api_error" },
  ModelStreamErrorException: { status: 500, type: "api_error" },
  InternalServerException: { status: 500, type: "api_error" },
  ServiceUnavailableException: { status: 529, type: "overloaded_error" },
};

/** In-stream exceptions, by lower-camel union member name (§7.4, last row). */
const STREAM_MAPPING: Record<string, { status: number; type: string }> = {
  throttlingException: { status: 429, type: "rate_limit_error" },
  serviceUnavailableException: { status: 529, type: "overloaded_error" },
  modelStreamErrorException: { status: 500, type: "api_error" },
  internalServerException: { status: 500, type: "api_error" },
  validationException: { status: 400, type: "invalid_request_error" },
  modelTimeoutException: { status: 500, type: "api_error" },
};

/**
 * Errors raised by AWS's front door when the relay's own credentials are wrong. They are not in the Bedrock
 * model; the client can do nothing about them, but callers must log them loudly.
 */
const CREDENTIAL_ERRORS = new Set([
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
]);

export function isCredentialError(e: BedrockError): boolean {
  return CREDENTIAL_ERRORS.has(e.name);
}

/**
 * Input-length rejections arrive as ValidationException ("Input is too long for requested model.",
 * "prompt is too long: 215000 tokens > 200000 maximum", "too many input tokens"). The "input length and
 * `max_tokens` exceed context limit" message is deliberately NOT matched: it is a 400 on the first-party API
 * and Claude Code reacts to it by lowering max_tokens, which needs the 400.
 */
function isInputTooLong(message: string): boolean {
  if (/max_tokens/i.test(message)) return false;
  return /too long|too many (?:input )?tokens|input is too large|exceeds? (?:the )?(?:maximum )?context (?:window|length)/i.test(
    message,
  );
}

/** Fallback for names we do not know: trust the HTTP status where it is unambiguous. */
function mappingFromStatus(status: number): { status: number; type: string } {
  switch (status) {
    case 400:
      return { status: 400, type: "invalid_request_error" };
    case 401:
      return { status: 401, type: "authentication_error" };
    case 403:
      return { status: 403, type: "permission_error" };
    case 404:
      return { status: 404, type: "not_found_error" };
    case 413:
      return { status: 413, type: "request_too_large" };
    case 429:
      return { status: 429, type: "rate_limit_error" };
    default:
      return { status: 500, type: "api_error" };
  }
}

/** Bedrock error → Anthropic status + error.type; the message is copied verbatim. */
export function toAnthropicError(e: BedrockError): AnthropicErrorShape {
  let mapping = own(STREAM_MAPPING, e.name) ?? own(HTTP_MAPPING, e.name);
  if (!mapping && CREDENTIAL_ERRORS.has(e.name)) mapping = { status: 401, type: "authentication_error" };
  if (!mapping) mapping = mappingFromStatus(e.status);
  if (mapping.type === "invalid_request_error" && /^[vV]alidationException$/.test(e.name) && isInputTooLong(e.message)) {
    mapping = { status: 413, type: "request_too_large" };
  }
  return { status: mapping.status, type: mapping.type, message: e.message };
}

/**
 * Suggested Retry-After (seconds) for errors that clear by themselves. Bedrock sends no Retry-After of its own;
 * a small hint keeps SDK clients from hammering (the Anthropic SDK honours it when below 60 s).
 */
export function retryAfterSeconds(e: BedrockError): number | undefined {
  switch (e.name) {
    case "ThrottlingException":
    case "throttlingException":
    case "ServiceQuotaExceededException":
      return 2;
    case "ModelNotReadyException":
    case "ServiceUnavailableException":
    case "serviceUnavailableException":
      return 5;
    default:
      return undefined;
  }
}
