// CountTokens (BEDROCK_WIRE §5): `{"input":{"invokeModel":{"body":"<base64>"}}}` or `{"input":{"converse":{…}}}`,
// answered with `{"inputTokens":N}` using the same formula as the invoke/converse usage (tokens.ts), i.e. the total
// input including any cacheable prefix.
import { malformed, validation } from "./errors.ts";
import { claudeSegments, validateClaudeBody } from "./claude.ts";
import { converseSegments, validateConverseBody } from "./converse.ts";
import type { ClaudeRules } from "./config.ts";
import type { ModelInfo } from "./models.ts";
import { totalInputTokens } from "./tokens.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies the same body rules as InvokeModel, but not the echoed-thinking check (nothing is generated here). */
export function countTokens(body: unknown, model: ModelInfo, rules: ClaudeRules): { inputTokens: number } {
  // Gateways must strip the geo prefix (LiteLLM and Portkey both do): CountTokens takes a foundation-model id.
  if (!model.isBaseModel) throw validation("The provided model identifier is invalid.");
  if (model.family !== "claude" && !rules.countTokensFamilies.has(model.family)) throw validation("The provided model doesn't support counting tokens.");
  const input = isObject(body) ? body.input : undefined;
  if (!isObject(input)) throw validation("1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null");
  const members = Object.keys(input);
  if (members.length !== 1 || (members[0] !== "invokeModel" && members[0] !== "converse")) {
    throw validation("input must set exactly one of: invokeModel, converse.");
  }
  if (isObject(input.invokeModel)) {
    const encoded = input.invokeModel.body;
    if (typeof encoded !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
      throw validation("1 validation error detected: Value at 'input.invokeModel.body' failed to satisfy constraint: Member must be a base64-encoded blob");
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
    } catch {
      throw malformed("#: expected type: JSONObject, found: not JSON");
    }
    validateClaudeBody(decoded, rules);
    return { inputTokens: totalInputTokens(claudeSegments(decoded)) };
  }
  const converse = input.converse;
  validateConverseBody(converse);
  return { inputTokens: totalInputTokens(converseSegments(converse)) };
}
