// Bedrock's streams as the translators meet them, whatever their events hold: sequences of InvokeModel chunk events
// (Claude's Messages events) and ConverseStream events with any type and any value in any field, encoded as real
// event-stream frames. Properties, for each of the four stream translators (Claude → Anthropic SSE, Claude → OpenAI
// chunks, Converse → Anthropic SSE, Converse → OpenAI chunks): the stream ends without throwing, its end is reported
// exactly once with a billable usage (finite, non-negative token counts), and what the client reads is well-formed
// SSE whose every data line is JSON (or OpenAI's [DONE]).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TranscoderStream } from "../../worker/bedrock/frame-transcoder.ts";
import { bedrockToAnthropicSSE } from "../../worker/protocols/anthropic/stream.ts";
import { bedrockConverseToAnthropicSSE } from "../../worker/protocols/converse/to-anthropic.ts";
import { bedrockConverseToOpenAIChunks } from "../../worker/protocols/converse/to-openai.ts";
import { bedrockInvokeToOpenAIChunks } from "../../worker/protocols/openai/from-anthropic.ts";
import { chunkFrame, converseFrame } from "../support/emulator/frames.ts";
import { byteSource, parseOpenAISSE, parseSSE } from "../support/fixtures.ts";

const anyValue = fc.jsonValue({ maxDepth: 2 });
/** A record with some of `fields` and maybe other keys, every value possibly of the wrong type. */
const shaped = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 6 }), anyValue, { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a }));
const count = fc.oneof(fc.nat(100_000), anyValue);
const claudeUsage = fc.oneof(shaped({ input_tokens: count, output_tokens: count, cache_read_input_tokens: count, cache_creation_input_tokens: count }), anyValue);
const claudeEvent = shaped({
  type: fc.oneof(
    fc.constantFrom("message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping", "error", "newer_event"),
    anyValue,
  ),
  index: fc.oneof(fc.nat(3), anyValue),
  message: fc.oneof(shaped({ id: anyValue, model: anyValue, role: anyValue, content: anyValue, usage: claudeUsage }), anyValue),
  content_block: fc.oneof(shaped({ type: fc.oneof(fc.constantFrom("text", "tool_use", "thinking", "redacted_thinking"), anyValue), text: anyValue, id: anyValue, name: anyValue, input: anyValue }), anyValue),
  delta: fc.oneof(
    shaped({ type: fc.oneof(fc.constantFrom("text_delta", "input_json_delta", "thinking_delta", "signature_delta"), anyValue), text: anyValue, partial_json: anyValue, stop_reason: anyValue }),
    anyValue,
  ),
  usage: claudeUsage,
  error: anyValue,
});
const converseEvent = fc.tuple(
  fc.oneof(fc.constantFrom("messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"), fc.string({ minLength: 1, maxLength: 12 })),
  shaped({
    role: anyValue,
    contentBlockIndex: fc.oneof(fc.nat(3), anyValue),
    start: fc.oneof(shaped({ toolUse: fc.oneof(shaped({ toolUseId: anyValue, name: anyValue }), anyValue) }), anyValue),
    delta: fc.oneof(shaped({ text: anyValue, toolUse: fc.oneof(shaped({ input: anyValue }), anyValue), reasoningContent: anyValue }), anyValue),
    stopReason: anyValue,
    usage: fc.oneof(shaped({ inputTokens: count, outputTokens: count, cacheReadInputTokens: count, cacheWriteInputTokens: count }), anyValue),
  }),
);

interface End {
  usage: object;
}

async function run(make: (onEnd: (end: End) => void) => TranscoderStream, frames: Uint8Array[]) {
  const ends: End[] = [];
  const out = byteSource(frames).stream.pipeThrough(make((e) => ends.push(e)));
  const text = await new Response(out).text();
  return { text, ends };
}

function expectEndedOnce(ends: End[]) {
  expect(ends).toHaveLength(1);
  for (const k of ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]) {
    const n = (ends[0]!.usage as Record<string, unknown>)[k];
    expect(typeof n === "number" && Number.isFinite(n) && n >= 0, `${k} = ${JSON.stringify(n)}`).toBe(true);
  }
}


const ids = { requestedModel: "claude-sonnet-4-6", id: "msg_bdrk_1" };
const openAI = { requestedModel: "claude-sonnet-4-6", id: "chatcmpl-1", created: 1, includeUsage: true };
const claudeFrames = fc.array(claudeEvent, { maxLength: 12 }).map((events) => events.map(chunkFrame));
const converseFrames = fc.array(converseEvent, { maxLength: 12 }).map((events) => events.map(([type, member]) => converseFrame(type, member)));
/** The client's side of each dialect: the SSE parsed with its framing asserted. */
const anthropicSSE = (text: string) => parseSSE(text).forEach((e) => expect(typeof e.event).toBe("string"));

const TRANSLATORS: [string, fc.Arbitrary<Uint8Array[]>, (onEnd: (end: End) => void) => TranscoderStream, (text: string) => unknown][] = [
  ["Claude's InvokeModel stream → Anthropic SSE", claudeFrames, (onEnd) => bedrockToAnthropicSSE({ requestedModel: "claude-sonnet-4-6", onEnd }), anthropicSSE],
  ["Claude's InvokeModel stream → OpenAI chunks", claudeFrames, (onEnd) => bedrockInvokeToOpenAIChunks({ ...openAI, jsonMode: null, onEnd }), parseOpenAISSE],
  ["a ConverseStream → Anthropic SSE", converseFrames, (onEnd) => bedrockConverseToAnthropicSSE({ ...ids, onEnd }), anthropicSSE],
  ["a ConverseStream → OpenAI chunks", converseFrames, (onEnd) => bedrockConverseToOpenAIChunks({ ...openAI, onEnd }), parseOpenAISSE],
];

describe("stream translators, on any sequence of events Bedrock could send", () => {
  it.each(TRANSLATORS)("%s", async (_name, frames, make, read) => {
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        const { text, ends } = await run(make, f);
        expectEndedOnce(ends);
        read(text);
      }),
      { numRuns: 300 },
    );
  });
});
