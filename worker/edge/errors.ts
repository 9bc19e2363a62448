/** Which API family the caller speaks, so every error comes back in a shape its client library understands. */
export type Dialect = "anthropic" | "openai";

/** Anthropic error types by status (platform docs, "API errors"). */
const ANTHROPIC_TYPE: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "request_too_large",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "api_error",
  502: "api_error",
  503: "overloaded_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const OPENAI_TYPE: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_quota",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
};

/** A failure with a client-facing status and message; thrown anywhere in the pipeline, rendered once. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type?: string,
    readonly headers?: Record<string, string>,
    /** OpenAI's `param`: the request field at fault, when there is one. */
    readonly param?: string,
    /** OpenAI's `code` when it differs from the type (e.g. `content_policy_violation`). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function errorBody(dialect: Dialect, status: number, message: string, type?: string, requestId?: string, param?: string, code?: string) {
  if (dialect === "openai") {
    const t = type ?? OPENAI_TYPE[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
    return { error: { message, type: t, param: param ?? null, code: code ?? t } };
  }
  const t = type ?? ANTHROPIC_TYPE[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type: t, message }, ...(requestId ? { request_id: requestId } : {}) };
}

export function errorResponse(
  dialect: Dialect,
  status: number,
  message: string,
  opts: { type?: string; requestId?: string; headers?: Record<string, string>; param?: string; code?: string } = {},
): Response {
  const headers = new Headers({ "content-type": "application/json" });
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers.set(k, v);
  return new Response(JSON.stringify(errorBody(dialect, status, message, opts.type, opts.requestId, opts.param, opts.code)), { status, headers });
}

/** The dialect implied by a path; used before any handler has run (firewall, auth). */
export function dialectForPath(path: string): Dialect {
  return /^\/v1\/(chat|completions|embeddings|images|videos|audio)/.test(path) ? "openai" : "anthropic";
}
