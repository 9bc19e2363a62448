// zod/mini rather than zod: the same validator, tree-shakable, so the Worker bundle does not carry zod's locales.
import * as z from "zod/mini";
import { isRecord as isBlock } from "../../util/is-record.ts";

// The parts of an Anthropic Messages request the gateway itself depends on. Everything else passes through to the
// translator untouched (loose objects), so new API fields do not need a gateway release.

/**
 * A content block is checked to be an object and nothing more: the translator reads the fields it needs, and
 * Bedrock validates the rest. A record schema would walk and copy every field of every block, ~0.2 ms of CPU on a
 * Claude Code request (230 messages, 290 blocks) for an output nobody reads.
 */
const ContentBlocks = z.array(z.custom<Record<string, unknown>>(isBlock));

const Message = z.looseObject({
  role: z.string({ error: "is required" }).check(z.minLength(1, "is required")),
  content: z.union([z.string(), ContentBlocks], { error: "must be a string or an array of content blocks" }),
});

const common = {
  model: z.string({ error: "is required" }).check(z.minLength(1, "is required")),
  messages: z.array(Message, { error: "must be an array of messages" }).check(z.minLength(1, "must contain at least one message")),
  stream: z.optional(z.boolean({ error: "must be a boolean" })),
  system: z.optional(z.union([z.string(), ContentBlocks], { error: "must be a string or an array of content blocks" })),
};
const maxTokens = z.int({ error: "is required and must be an integer" }).check(z.positive("must be positive"));

export const MessagesRequest = z.looseObject({ ...common, max_tokens: maxTokens });
export type MessagesRequest = z.infer<typeof MessagesRequest>;

export const CountTokensRequest = z.looseObject({ ...common, max_tokens: z.optional(maxTokens) });

/** Exactly what `Message` accepts, as one predicate. */
const isMessage = (m: unknown): boolean =>
  isBlock(m) && typeof m.role === "string" && m.role.length > 0 && (typeof m.content === "string" || (Array.isArray(m.content) && m.content.every(isBlock)));

/**
 * Screens accept exactly what the schemas above accept (test/unit/request-screens.test.ts checks it over random
 * bodies), each message checked by one predicate instead of an object schema and a union: for the 230 messages of a
 * Claude Code request, ~0.02 ms of workerd's CPU instead of ~0.2 ms. A body the screen refuses goes through the
 * schema, which words the error (`messages.3.role: is required`); see routes/body.ts `validate`.
 */
const screened = { ...common, messages: z.array(z.custom(isMessage)).check(z.minLength(1)) };
export const MessagesRequestScreen = z.looseObject({ ...screened, max_tokens: maxTokens });
export const CountTokensRequestScreen = z.looseObject({ ...screened, max_tokens: z.optional(maxTokens) });
