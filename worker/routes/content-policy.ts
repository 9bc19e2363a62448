import type { AppContext } from "../context.ts";
import { guardAnthropicRequest, guardOpenAIRequest, parseGuardPolicy, parseGuardrail, type BedrockGuardrail } from "../edge/content-guard.ts";
import { GatewayError } from "../edge/errors.ts";
import { logEvent } from "../util/log.ts";

/**
 * A key's optional content policy, from its metadata: `content_guard: {action: "block"|"redact", detectors: [...]}`
 * scans prompts for secrets and personal data, and `guardrail: {identifier, version}` names an AWS Bedrock Guardrail
 * that Bedrock applies to the call.
 */
export function applyContentGuard<T extends Record<string, unknown>>(c: AppContext, body: T, dialect: "anthropic" | "openai"): T {
  const policy = fromMetadata(c, "content_guard", parseGuardPolicy);
  if (!policy) return body;
  const result = dialect === "anthropic" ? guardAnthropicRequest(body, policy) : guardOpenAIRequest(body, policy);
  if (!result.findings.length) return body;
  const kinds = result.findings.map((f) => `${f.type} (${f.count})`).join(", ");
  // Only the kinds and counts are logged, never the matched text.
  logEvent("warn", { msg: result.blocked ? "content guard blocked a request" : "content guard redacted a request", requestId: c.get("requestId"), key: c.get("key").keyAlias, findings: result.findings });
  if (result.blocked) {
    throw new GatewayError(400, `This request was blocked by the key's content policy: it contains ${kinds}.`, "invalid_request_error");
  }
  return result.body;
}

export function keyGuardrail(c: AppContext): BedrockGuardrail | null {
  return fromMetadata(c, "guardrail", parseGuardrail);
}

/** A malformed policy in the key's metadata is the operator's mistake: refuse the key's calls, say why in the log. */
function fromMetadata<T>(c: AppContext, field: string, parse: (v: unknown) => T | null): T | null {
  try {
    return parse(c.get("key").metadata?.[field]);
  } catch (err) {
    logEvent("error", { msg: `key metadata.${field} is invalid`, key: c.get("key").keyAlias, requestId: c.get("requestId"), error: err });
    throw new GatewayError(403, "This key's content policy is misconfigured; ask the gateway's administrator to fix it.", "permission_error");
  }
}
