import { toAnthropicError } from "../bedrock/errors.ts";
import { ANTHROPIC_PING } from "../protocols/anthropic/keepalive.ts";
import { toOpenAIError } from "../protocols/openai/errors.ts";
import type { ErrorDialect } from "./pipeline.ts";

/** Anthropic clients: Anthropic error types, `ping` events while a stream is silent. */
export const ANTHROPIC_DIALECT: ErrorDialect = { name: "anthropic", map: toAnthropicError, ping: ANTHROPIC_PING };

/** OpenAI clients: OpenAI error types; SSE comment lines keep a stream alive (clients ignore comments). */
export const OPENAI_DIALECT: ErrorDialect = { name: "openai", map: toOpenAIError, ping: ": ping\n\n" };
