import { toAnthropicError } from "../bedrock/errors.ts";
import { ANTHROPIC_PING } from "../protocols/anthropic/keepalive.ts";
import { toOpenAIError } from "../protocols/openai/errors.ts";
import type { ErrorDialect } from "./pipeline.ts";

/** Anthropic clients: Anthropic error types, `ping` events while a stream is silent. */
export const ANTHROPIC_DIALECT: ErrorDialect = { name: "anthropic", map: toAnthropicError, ping: ANTHROPIC_PING };

/**
 * Image routes: OpenAI's errors, and a refusal by Bedrock's content filter (a 400 whose message says so) carries
 * OpenAI's `code: "content_policy_violation"`, which image clients look for.
 */
export const OPENAI_IMAGES_DIALECT: ErrorDialect = {
  name: "openai",
  map: (e) => {
    const { code: _, ...m } = toOpenAIError(e);
    return m.status === 400 && /content filters?/i.test(m.message) ? { ...m, code: "content_policy_violation" } : m;
  },
  ping: ": ping\n\n",
};

/** OpenAI clients: OpenAI error types; SSE comment lines keep a stream alive (clients ignore comments). */
export const OPENAI_DIALECT: ErrorDialect = {
  name: "openai",
  map: (e) => {
    const { code: _, ...m } = toOpenAIError(e);
    return m;
  },
  ping: ": ping\n\n",
};
