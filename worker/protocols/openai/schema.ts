// The parts of an OpenAI request the gateway itself depends on; everything else is the translators' business.
import * as z from "zod/mini";

export const ChatRequest = z.looseObject({
  model: z.string({ error: "is required" }).check(z.minLength(1, "is required")),
  messages: z
    .array(z.looseObject({ role: z.string({ error: "is required" }) }), { error: "must be an array of messages" })
    .check(z.minLength(1, "must contain at least one message")),
  stream: z.optional(z.nullable(z.boolean({ error: "must be a boolean" }))),
});

export const EmbeddingsRequest = z.looseObject({
  model: z.string({ error: "is required" }).check(z.minLength(1, "is required")),
});
