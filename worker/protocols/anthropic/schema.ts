import { z } from "zod";

// The parts of an Anthropic Messages request the gateway itself depends on. Everything else passes through to the
// translator untouched (`.passthrough()`), so new API fields do not need a gateway release.
const Message = z
  .object({
    role: z.string().min(1, "is required"),
    content: z.union([z.string(), z.array(z.record(z.string(), z.unknown()))], { message: "must be a string or an array of content blocks" }),
  })
  .passthrough();

export const MessagesRequest = z
  .object({
    model: z.string({ message: "is required" }).min(1, "is required"),
    messages: z.array(Message, { message: "must be an array" }).min(1, "must contain at least one message"),
    max_tokens: z.number({ message: "is required and must be a number" }).int("must be an integer").positive("must be positive"),
    stream: z.boolean({ message: "must be a boolean" }).optional(),
    system: z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]).optional(),
  })
  .passthrough();

export type MessagesRequest = z.infer<typeof MessagesRequest>;

export const CountTokensRequest = MessagesRequest.extend({
  max_tokens: z.number().int().positive().optional(),
});
