// The parts of an OpenAI request the gateway itself depends on; everything else is the translators' business.
import * as z from "zod/mini";
import { isRecord } from "../../util/is-record.ts";

const model = z.string({ error: "is required" }).check(z.minLength(1, "is required"));
const stream = z.optional(z.nullable(z.boolean({ error: "must be a boolean" })));

export const ChatRequest = z.looseObject({
  model,
  messages: z
    .array(z.looseObject({ role: z.string({ error: "is required" }) }), { error: "must be an array of messages" })
    .check(z.minLength(1, "must contain at least one message")),
  stream,
});

/**
 * Accepts exactly what `ChatRequest` accepts, each message checked by one predicate rather than an object schema
 * (a long conversation is hundreds of them); the schema words the error of a body this refuses
 * (test/unit/request-screens.test.ts, routes/body.ts `validate`).
 */
export const ChatRequestScreen = z.looseObject({
  model,
  messages: z.array(z.custom((m) => isRecord(m) && typeof m.role === "string")).check(z.minLength(1)),
  stream,
});

export const EmbeddingsRequest = z.looseObject({
  model,
});
