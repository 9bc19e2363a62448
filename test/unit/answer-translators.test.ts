// Bedrock's JSON answers as the translators meet them: any object at all, and objects shaped like a real answer with
// any value in any field. The call pipeline turns a translator that throws into a 502 (test/unit/call-pipeline.test.ts);
// these properties say today's translators never get there: each answer becomes the client's answer, and its usage is
// made of finite, non-negative token counts (what the meter bills must be a number; the spend row rounds them to
// whole ones, worker/db/queries.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rewriteInvokeResponse } from "../../worker/protocols/anthropic/response.ts";
import { usageFromMessage } from "../../worker/protocols/anthropic/usage.ts";
import { converseToAnthropic } from "../../worker/protocols/converse/to-anthropic.ts";
import { converseToOpenAI, converseUsage } from "../../worker/protocols/converse/to-openai.ts";
import { anthropicToOpenAI } from "../../worker/protocols/openai/from-anthropic.ts";

const anyValue = fc.jsonValue({ maxDepth: 3 });
/** A record with some of `fields` (each any JSON value) and maybe other keys. */
const shaped = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.string(), anyValue, { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));

const block = shaped({ type: fc.constantFrom("text", "tool_use", "thinking", "redacted_thinking", "image", 5, null), text: anyValue, input: anyValue, name: anyValue, id: anyValue, thinking: anyValue, signature: anyValue });
const claudeAnswer = fc.oneof(
  fc.dictionary(fc.string(), anyValue, { maxKeys: 5 }),
  shaped({
    id: anyValue,
    type: anyValue,
    role: anyValue,
    model: anyValue,
    content: fc.oneof(fc.array(fc.oneof(block, anyValue), { maxLength: 4 }), anyValue),
    stop_reason: fc.oneof(fc.constantFrom("end_turn", "tool_use", "max_tokens", "refusal"), anyValue),
    usage: fc.oneof(shaped({ input_tokens: anyValue, output_tokens: anyValue, cache_read_input_tokens: anyValue, cache_creation_input_tokens: anyValue }), anyValue),
  }),
);
const converseBlock = shaped({ text: anyValue, toolUse: fc.oneof(shaped({ toolUseId: anyValue, name: anyValue, input: anyValue }), anyValue), reasoningContent: anyValue });
const converseAnswer = fc.oneof(
  fc.dictionary(fc.string(), anyValue, { maxKeys: 5 }),
  shaped({
    output: fc.oneof(shaped({ message: fc.oneof(shaped({ role: anyValue, content: fc.oneof(fc.array(fc.oneof(converseBlock, anyValue), { maxLength: 4 }), anyValue) }), anyValue) }), anyValue),
    stopReason: fc.oneof(fc.constantFrom("end_turn", "tool_use", "max_tokens", "guardrail_intervened", "content_filtered"), anyValue),
    usage: fc.oneof(shaped({ inputTokens: anyValue, outputTokens: anyValue, cacheReadInputTokens: anyValue, cacheWriteInputTokens: anyValue }), anyValue),
  }),
);

function expectBillable(usage: Record<string, unknown>) {
  for (const k of ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]) {
    const n = usage[k];
    expect(typeof n === "number" && Number.isFinite(n) && n >= 0, `${k} = ${JSON.stringify(n)}`).toBe(true);
  }
}

const ids = { requestedModel: "claude-sonnet-4-6", id: "msg_bdrk_1" };

describe("answer translators, on any JSON object Bedrock could send", () => {
  it("Claude's answer (InvokeModel) → Anthropic Messages and OpenAI chat, with a billable usage", () => {
    fc.assert(
      fc.property(claudeAnswer, (answer) => {
        expectBillable(usageFromMessage(answer) as unknown as Record<string, unknown>);
        expect(JSON.parse(JSON.stringify(rewriteInvokeResponse(structuredClone(answer), "claude-sonnet-4-6")))).toMatchObject({ model: "claude-sonnet-4-6" });
        const chat = anthropicToOpenAI(answer, { id: "chatcmpl-1", created: 1, requestedModel: "claude-sonnet-4-6", jsonMode: null });
        expect(chat).toMatchObject({ object: "chat.completion", model: "claude-sonnet-4-6", choices: [expect.any(Object)] });
      }),
      { numRuns: 500 },
    );
  });

  it("a Converse answer → Anthropic Messages and OpenAI chat, with a billable usage", () => {
    fc.assert(
      fc.property(converseAnswer, (answer) => {
        expectBillable(converseUsage((answer as { usage?: unknown }).usage) as unknown as Record<string, unknown>);
        expect(converseToAnthropic(answer, ids)).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-4-6", content: expect.any(Array) });
        expect(converseToOpenAI(answer, { ...ids, created: 1 })).toMatchObject({ object: "chat.completion", choices: [expect.any(Object)] });
      }),
      { numRuns: 500 },
    );
  });
});
