// OpenAI chat.completions ⇄ Claude through Bedrock InvokeModel: request translation, response translation,
// the streaming transcoder (driven by the recorded Bedrock fixtures), and the real `openai` client reading it.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import OpenAI, { APIError } from "openai";
import { Stream } from "openai/streaming";
import { describe, expect, it } from "vitest";
import type { BedrockError } from "../../worker/bedrock/errors.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { openAIErrorEnvelope, toOpenAIError, TranslationError } from "../../worker/protocols/openai/errors.ts";
import {
  anthropicToOpenAI,
  bedrockInvokeToOpenAIChunks,
  finishReasonFromAnthropic,
  openAIUsage,
  type OpenAIStreamEndReport,
} from "../../worker/protocols/openai/from-anthropic.ts";
import { inlineImages, openAIToAnthropic, REASONING_BUDGETS, type ToAnthropicOptions } from "../../worker/protocols/openai/to-anthropic.ts";
import type { OpenAIChatRequest } from "../../worker/protocols/openai/types.ts";
import { checkUnsupported } from "../../worker/protocols/openai/unsupported.ts";
import { bedrockFixtureBytes, bedrockFixtureJson, byteSource, openAIDataLines, randomSplit, seededRandom, splitAt } from "../support/fixtures.ts";

const CLAUDE = "invoke-with-response-stream.claude.bin";
const THROTTLING = "invoke-with-response-stream.throttling-exception.bin";
const MODEL = "claude-sonnet-4-5";
const ID = "chatcmpl-test123";
const CREATED = 1_750_000_000;
const OPTS: ToAnthropicOptions = { model: MODEL, maxTokensDefault: 4096, supportsThinking: true };
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function translate(req: Partial<OpenAIChatRequest> & Record<string, unknown>, opts: Partial<ToAnthropicOptions> = {}) {
  return openAIToAnthropic({ model: MODEL, messages: [{ role: "user", content: "Hi" }], ...req } as OpenAIChatRequest, { ...OPTS, ...opts });
}

/** The TranslationError `fn` throws (fails the test when it does not throw one). */
function translationError(fn: () => unknown): TranslationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TranslationError) return err;
    throw err;
  }
  throw new Error("expected a TranslationError");
}

// ─── request: messages ───────────────────────────────────────────────────────────────────────────────────────

describe("openAIToAnthropic: messages", () => {
  it("minimal request: model, default max_tokens, one user turn, stream false", () => {
    const r = translate({});
    expect(r.body).toEqual({ model: MODEL, max_tokens: 4096, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }], stream: false });
    expect(r).toMatchObject({ warnings: [], imageUrls: [], jsonMode: null, includeUsage: false });
  });

  it("hoists system and developer messages (string and text parts, even mid-conversation) into system blocks, in order", () => {
    const r = translate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use metric units." }, { type: "text", text: "" }] },
        { role: "user", content: "Weather?" },
        { role: "assistant", content: "Sunny." },
        { role: "system", content: "Answer in French from now on." },
        { role: "user", content: "And tomorrow?" },
      ],
    });
    expect(r.body.system).toEqual([
      { type: "text", text: "Be brief." },
      { type: "text", text: "Use metric units." },
      { type: "text", text: "Answer in French from now on." },
    ]);
    expect(r.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
      { role: "assistant", content: [{ type: "text", text: "Sunny." }] },
      { role: "user", content: [{ type: "text", text: "And tomorrow?" }] },
    ]);
    expect(r.warnings).toEqual([expect.stringContaining("messages[4] (system) appears mid-conversation")]);
  });

  it("refuses non-text parts in system messages", () => {
    const e = translationError(() =>
      translate({ messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] }, { role: "user", content: "x" }] }),
    );
    expect(e.param).toBe("messages[0].content[0]");
  });

  it("user parts: text, data-URL images (base64 source), http images (URL placeholder + imageUrls), PDF files", () => {
    const r = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" } },
            { type: "image_url", image_url: { url: "data:image/jpg;base64,/9j/4AAQ" } },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            { type: "image_url", image_url: "https://example.com/a.png" },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
            { type: "file", file: { file_data: "JVBERi0xLjQ=", filename: "b.PDF" } },
          ],
        },
      ],
    });
    expect((r.body.messages as any)[0].content).toEqual([
      { type: "text", text: "Compare" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
      { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
      { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQ=" } },
    ]);
    expect(r.imageUrls).toEqual(["https://example.com/a.png"]);
  });

  it("refuses bad images with the part's param", () => {
    const cases: Array<[unknown, string]> = [
      [{ type: "image_url", image_url: { url: "data:image/tiff;base64,AA" } }, /image\/tiff/.source],
      [{ type: "image_url", image_url: { url: "data:image/png,rawbytes" } }, /base64/.source],
      [{ type: "image_url", image_url: { url: "ftp://example.com/a.png" } }, /data: and http/.source],
      [{ type: "image_url", image_url: {} }, /url/.source],
    ];
    for (const [part, pattern] of cases) {
      const e = translationError(() => translate({ messages: [{ role: "user", content: [{ type: "text", text: "x" }, part as any] }] }));
      expect(e.param).toBe("messages[0].content[1].image_url");
      expect(e.message).toMatch(new RegExp(pattern));
      expect(e.status).toBe(400);
    }
  });

  it("refuses unknown content part types", () => {
    const e = translationError(() => translate({ messages: [{ role: "user", content: [{ type: "video_url", video_url: "x" }] }] }));
    expect(e.param).toBe("messages[0].content[0].type");
  });

  it("assistant: text + tool_calls → text + tool_use (arguments parsed; empty arguments = {}; odd ids made Anthropic-safe)", () => {
    const r = translate({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "call:2/x", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18°C" },
        { role: "tool", tool_call_id: "call:2/x", content: [{ type: "text", text: "12:00" }] },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(r.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2_x", name: "get_time", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18°C" },
          { type: "tool_result", tool_use_id: "call_2_x", content: [{ type: "text", text: "12:00" }] },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });

  it("an empty tool result is sent without content", () => {
    const r = translate({
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: "" },
      ],
    });
    expect((r.body.messages as any)[2]).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "t1" }] });
  });

  it("invalid JSON arguments → TranslationError naming messages[i].tool_calls[j].function.arguments", () => {
    const e = translationError(() =>
      translate({
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: null, tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{}" } }, { id: "b", type: "function", function: { name: "f", arguments: "{oops" } }] },
        ],
      }),
    );
    expect(e.param).toBe("messages[1].tool_calls[1].function.arguments");
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.type).toBe("invalid_request_error");
    // Non-object JSON is refused too: Claude tool inputs are objects.
    const arr = translationError(() =>
      translate({ messages: [{ role: "user", content: "go" }, { role: "assistant", tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "[1]" } }] }] }),
    );
    expect(arr.param).toBe("messages[1].tool_calls[0].function.arguments");
  });

  it("thinking_blocks (LiteLLM) go first in the assistant content; unsigned ones and bare reasoning_content are dropped with a warning", () => {
    const r = translate({
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "answer",
          reasoning_content: "thought",
          thinking_blocks: [
            { type: "thinking", thinking: "thought", signature: "sig==" },
            { type: "redacted_thinking", data: "opaque" },
            { type: "thinking", thinking: "no signature" },
          ],
          tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "t", content: "ok" },
        { role: "assistant", content: "done", reasoning_content: "orphan" },
      ],
    });
    expect((r.body.messages as any)[1].content).toEqual([
      { type: "thinking", thinking: "thought", signature: "sig==" },
      { type: "redacted_thinking", data: "opaque" },
      { type: "text", text: "answer" },
      { type: "tool_use", id: "t", name: "f", input: {} },
    ]);
    expect(r.warnings).toEqual([
      expect.stringContaining("messages[1].thinking_blocks[2] dropped"),
      expect.stringContaining("messages[3].reasoning_content dropped"),
    ]);
  });

  it("merges consecutive same-role messages and skips empty ones", () => {
    const r = translate({
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: [{ type: "text", text: "b" }] },
        { role: "assistant", content: "" },
        { role: "assistant", content: "c" },
        { role: "assistant", content: [{ type: "refusal", refusal: "d" }] },
      ],
    });
    expect(r.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [{ type: "text", text: "c" }, { type: "text", text: "d" }] },
    ]);
    expect(r.warnings).toEqual([expect.stringContaining("messages[2] has no content")]);
  });

  it("refuses a conversation that starts with the assistant, or has no user/assistant turn at all", () => {
    const first = translationError(() => translate({ messages: [{ role: "system", content: "s" }, { role: "assistant", content: "Hello!" }, { role: "user", content: "hi" }] }));
    expect(first.param).toBe("messages");
    expect(first.message).toMatch(/first non-system message/);
    const none = translationError(() => translate({ messages: [{ role: "system", content: "s" }] }));
    expect(none.param).toBe("messages");
  });

  it("refuses unknown roles and drops participant names with a warning", () => {
    expect(translationError(() => translate({ messages: [{ role: "narrator", content: "x" }] })).param).toBe("messages[0].role");
    const r = translate({ messages: [{ role: "user", content: "x", name: "alice" }] });
    expect(r.warnings).toEqual([expect.stringContaining("messages[0].name dropped")]);
  });

  it("carries cache_control from parts, messages and tools onto the Anthropic blocks", () => {
    const cc = { type: "ephemeral" };
    const ttl = { type: "ephemeral", ttl: "1h" };
    const r = translate({
      messages: [
        { role: "system", content: [{ type: "text", text: "long system", cache_control: ttl }] },
        { role: "system", content: "more system", cache_control: cc },
        { role: "user", content: [{ type: "text", text: "doc", cache_control: cc }, { type: "text", text: "question" }] },
        { role: "assistant", content: "answer", cache_control: cc },
        { role: "user", content: "next", cache_control: cc },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } }, cache_control: cc }],
    });
    expect(r.body.system).toEqual([
      { type: "text", text: "long system", cache_control: ttl },
      { type: "text", text: "more system", cache_control: cc },
    ]);
    expect(r.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "doc", cache_control: cc }, { type: "text", text: "question" }] },
      { role: "assistant", content: [{ type: "text", text: "answer", cache_control: cc }] },
      { role: "user", content: [{ type: "text", text: "next", cache_control: cc }] },
    ]);
    expect((r.body.tools as any)[0].cache_control).toEqual(cc);
  });

  it("does not mutate the request", () => {
    const req = {
      model: MODEL,
      messages: [{ role: "user", content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }] }],
      tools: [{ type: "function", function: { name: "f" } }],
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" } } },
    };
    const copy = structuredClone(req);
    openAIToAnthropic(req as OpenAIChatRequest, OPTS);
    expect(req).toEqual(copy);
  });
});

// ─── request: parameters ─────────────────────────────────────────────────────────────────────────────────────

describe("openAIToAnthropic: parameters", () => {
  it("max_completion_tokens wins over max_tokens, which wins over the default", () => {
    expect(translate({ max_completion_tokens: 100, max_tokens: 200 }).body.max_tokens).toBe(100);
    expect(translate({ max_tokens: 200 }).body.max_tokens).toBe(200);
    expect(translate({ max_tokens: null }).body.max_tokens).toBe(4096);
    expect(translationError(() => translate({ max_tokens: 0 })).param).toBe("max_tokens");
    expect(translationError(() => translate({ max_completion_tokens: 1.5 })).param).toBe("max_completion_tokens");
  });

  it("temperature, top_p, top_k and stop (string or array)", () => {
    const r = translate({ temperature: 0.2, top_p: 0.9, top_k: 40, stop: "END" });
    expect(r.body).toMatchObject({ temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ["END"] });
    expect(translate({ stop: ["a", "b"] }).body.stop_sequences).toEqual(["a", "b"]);
    expect(translate({ stop: [] }).body).not.toHaveProperty("stop_sequences");
    expect(translationError(() => translate({ temperature: 1.5 })).param).toBe("temperature");
    expect(translationError(() => translate({ stop: [1] as any })).param).toBe("stop");
  });

  it("tools: function tools → name/description/input_schema; strict dropped with a warning; other tool types refused", () => {
    const r = translate({
      tools: [
        { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: true } },
        { type: "function", function: { name: "ping" } },
        { type: "function", function: { name: "typeless", parameters: { properties: {} } } },
      ],
    });
    expect(r.body.tools).toEqual([
      { name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
      { name: "ping", input_schema: { type: "object", properties: {} } },
      { name: "typeless", input_schema: { type: "object", properties: {} } },
    ]);
    expect(r.warnings).toEqual([expect.stringContaining("tools[0].function.strict dropped")]);
    expect(translationError(() => translate({ tools: [{ type: "custom", custom: { name: "x" } } as any] })).param).toBe("tools[0].type");
  });

  it("tool_choice: auto/none/required/named, and parallel_tool_calls:false → disable_parallel_tool_use", () => {
    const tools = [{ type: "function", function: { name: "f" } }];
    expect(translate({ tools, tool_choice: "auto" }).body.tool_choice).toEqual({ type: "auto" });
    expect(translate({ tools, tool_choice: "none" }).body.tool_choice).toEqual({ type: "none" });
    expect(translate({ tools, tool_choice: "required" }).body.tool_choice).toEqual({ type: "any" });
    expect(translate({ tools, tool_choice: { type: "function", function: { name: "f" } } }).body.tool_choice).toEqual({ type: "tool", name: "f" });
    expect(translate({ tools, parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(translate({ tools, tool_choice: "required", parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(translate({ tools, tool_choice: "none", parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "none" });
    expect(translate({ tools, parallel_tool_calls: true }).body).not.toHaveProperty("tool_choice");
    // Without tools: auto/none are moot, forcing a tool is an error.
    expect(translate({ tool_choice: "auto", parallel_tool_calls: false }).body).not.toHaveProperty("tool_choice");
    expect(translationError(() => translate({ tool_choice: "required" })).param).toBe("tool_choice");
    expect(translationError(() => translate({ tools, tool_choice: { type: "function", function: { name: "g" } } })).param).toBe("tool_choice");
  });

  it("response_format json_schema → a forced tool named after the schema, and jsonMode", () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    const r = translate({ response_format: { type: "json_schema", json_schema: { name: "result", schema, strict: true } } });
    expect(r.body.tools).toEqual([{ name: "result", description: expect.any(String), input_schema: schema }]);
    expect(r.body.tool_choice).toEqual({ type: "tool", name: "result" });
    expect(r.jsonMode).toEqual({ toolName: "result" });
    expect(r.warnings).toEqual([expect.stringContaining("json_schema.strict dropped")]);

    const withTools = translate({
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: "required",
      response_format: { type: "json_schema", json_schema: { name: "result", schema } },
    });
    expect((withTools.body.tools as any[]).map((t) => t.name)).toEqual(["f", "result"]);
    expect(withTools.body.tool_choice).toEqual({ type: "tool", name: "result" });
    expect(withTools.warnings).toEqual([expect.stringContaining("tool_choice was overridden")]);

    expect(translationError(() => translate({ response_format: { type: "json_schema", json_schema: { name: "has space" } } })).param).toBe("response_format.json_schema.name");
    expect(translationError(() => translate({ response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "array" } } } })).param).toBe(
      "response_format.json_schema.schema",
    );
    expect(translationError(() => translate({ tools: [{ type: "function", function: { name: "r" } }], response_format: { type: "json_schema", json_schema: { name: "r" } } })).param).toBe(
      "response_format.json_schema.name",
    );
  });

  it("response_format json_object appends an instruction to the system prompt; text does nothing", () => {
    const r = translate({ messages: [{ role: "system", content: "S" }, { role: "user", content: "u" }], response_format: { type: "json_object" } });
    expect(r.body.system).toEqual([{ type: "text", text: "S" }, { type: "text", text: "Respond with a single JSON object." }]);
    expect(r.jsonMode).toBeNull();
    expect(translate({ response_format: { type: "text" } }).body).not.toHaveProperty("system");
    expect(translationError(() => translate({ response_format: { type: "xml" } })).param).toBe("response_format.type");
  });

  it("reasoning_effort → thinking budget; minimal/none → no thinking; max_tokens raised above the budget with a warning", () => {
    expect(REASONING_BUDGETS).toEqual({ none: null, minimal: null, low: 2048, medium: 8192, high: 16384 });
    const low = translate({ reasoning_effort: "low", max_completion_tokens: 10000 });
    expect(low.body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(low.body.max_tokens).toBe(10000);
    expect(low.warnings).toEqual([]);

    const high = translate({ reasoning_effort: "high", max_tokens: 1000 });
    expect(high.body.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    expect(high.body.max_tokens).toBe(16384 + 1024);
    expect(high.warnings).toEqual([expect.stringContaining("max_tokens raised from 1000 to 17408")]);

    expect(translate({ reasoning_effort: "medium" }).body).toMatchObject({ thinking: { budget_tokens: 8192 }, max_tokens: 8192 + 1024 });
    expect(translate({ reasoning_effort: "minimal" }).body).not.toHaveProperty("thinking");
    expect(translate({ reasoning_effort: "minimal" }, { supportsThinking: false }).body).not.toHaveProperty("thinking");
  });

  it("reasoning_effort is refused on models without thinking, for unknown values, and with incompatible settings", () => {
    expect(translationError(() => translate({ reasoning_effort: "high" }, { supportsThinking: false })).param).toBe("reasoning_effort");
    expect(translationError(() => translate({ reasoning_effort: "extreme" })).param).toBe("reasoning_effort");
    expect(translationError(() => translate({ reasoning_effort: "low", temperature: 0.5 })).param).toBe("temperature");
    expect(translate({ reasoning_effort: "low", temperature: 1 }).body.temperature).toBe(1);
    expect(translationError(() => translate({ reasoning_effort: "low", top_p: 0.5 })).param).toBe("top_p");
    expect(translationError(() => translate({ reasoning_effort: "low", top_k: 5 })).param).toBe("top_k");
    const tools = [{ type: "function", function: { name: "f" } }];
    expect(translationError(() => translate({ reasoning_effort: "low", tools, tool_choice: "required" })).param).toBe("tool_choice");
    expect(translationError(() => translate({ reasoning_effort: "low", response_format: { type: "json_schema", json_schema: { name: "r" } } })).param).toBe("response_format");
  });

  it("user → metadata.user_id; metadata itself is not forwarded", () => {
    const r = translate({ user: "user-42", metadata: { team: "x" } });
    expect(r.body.metadata).toEqual({ user_id: "user-42" });
  });

  it("stream and stream_options.include_usage", () => {
    const r = translate({ stream: true, stream_options: { include_usage: true } });
    expect(r.body.stream).toBe(true);
    expect(r.includeUsage).toBe(true);
    expect(translate({ stream: true }).includeUsage).toBe(false);
    expect(translate({ stream: false, stream_options: { include_usage: true } }).includeUsage).toBe(false);
  });

  it("throws the checkUnsupported problem as a TranslationError", () => {
    const e = translationError(() => translate({ n: 3 }));
    expect(e.param).toBe("n");
    expect(e.status).toBe(400);
  });
});

describe("checkUnsupported", () => {
  const base: OpenAIChatRequest = { model: MODEL, messages: [{ role: "user", content: "hi" }] };
  const check = (extra: Record<string, unknown>) => checkUnsupported({ ...base, ...extra });

  it("accepts a plain request and harmless or default-valued parameters", () => {
    expect(
      check({
        n: 1,
        logprobs: false,
        top_logprobs: null,
        modalities: ["text"],
        logit_bias: {},
        seed: null,
        presence_penalty: 0,
        frequency_penalty: 0,
        service_tier: "auto",
        stream_options: { include_usage: true },
        user: "u",
        metadata: { a: "b" },
        store: false,
        verbosity: "medium",
      }),
    ).toBeNull();
    expect(check({ service_tier: "default" })).toBeNull();
  });

  it.each([
    [{ n: 2 }, "n"],
    [{ logprobs: true }, "logprobs"],
    [{ top_logprobs: 3 }, "top_logprobs"],
    [{ audio: { voice: "alloy", format: "mp3" } }, "audio"],
    [{ modalities: ["text", "audio"] }, "modalities"],
    [{ prediction: { type: "content", content: "x" } }, "prediction"],
    [{ logit_bias: { "50256": -100 } }, "logit_bias"],
    [{ web_search_options: {} }, "web_search_options"],
    [{ functions: [{ name: "f" }] }, "functions"],
    [{ function_call: "auto" }, "function_call"],
    [{ stream_options: "yes" }, "stream_options"],
    [{ service_tier: "flex" }, "service_tier"],
    [{ seed: 42 }, "seed"],
    [{ presence_penalty: 0.5 }, "presence_penalty"],
    [{ frequency_penalty: -1 }, "frequency_penalty"],
    [{ verbosity: "low" }, "verbosity"],
  ])("%j → 400 naming %s", (extra, param) => {
    const problem = check(extra);
    expect(problem?.param).toBe(param);
    expect(problem?.message.startsWith(param)).toBe(true);
  });

  it("message-level: legacy function role/calls, audio parts, files by id or not PDF", () => {
    const at = (messages: unknown[]) => checkUnsupported({ ...base, messages: messages as any })?.param;
    expect(at([{ role: "user", content: "x" }, { role: "function", name: "f", content: "r" }])).toBe("messages[1].role");
    expect(at([{ role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } }])).toBe("messages[0].function_call");
    expect(at([{ role: "assistant", audio: { id: "a" } }])).toBe("messages[0].audio");
    expect(at([{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AA", format: "wav" } }] }])).toBe("messages[0].content[0]");
    expect(at([{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }])).toBe("messages[0].content[0].file");
    expect(at([{ role: "user", content: [{ type: "file", file: { file_data: "data:text/plain;base64,aGk=" } }] }])).toBe("messages[0].content[0].file.file_data");
    expect(at([{ role: "user", content: [{ type: "file", file: { file_data: "aGk=", filename: "notes.txt" } }] }])).toBe("messages[0].content[0].file.file_data");
    expect(at([{ role: "user", content: [{ type: "file", file: { file_data: "data:application/pdf;base64,JVBE" } }] }])).toBeUndefined();
  });
});

describe("inlineImages", () => {
  it("replaces URL placeholders (also inside tool results) with fetched bytes, leaves unknown URLs, shares the rest", () => {
    const { body, imageUrls } = translate({
      messages: [
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "https://a/1.png" }, cache_control: { type: "ephemeral" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "t", type: "function", function: { name: "shot", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t", content: [{ type: "image_url", image_url: { url: "https://a/2.jpg" } }] },
        { role: "user", content: [{ type: "image_url", image_url: { url: "https://a/missing.gif" } }] },
      ],
    });
    expect(imageUrls).toEqual(["https://a/1.png", "https://a/2.jpg", "https://a/missing.gif"]);
    const before = structuredClone(body);
    const fetched = new Map([
      ["https://a/1.png", { mediaType: "image/png", base64: "UE5H" }],
      ["https://a/2.jpg", { mediaType: "image/jpeg", base64: "SlBH" }],
    ]);
    const out = inlineImages(body, fetched) as any;
    expect(body).toEqual(before); // pure
    expect(out.messages[0].content[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: "UE5H" }, cache_control: { type: "ephemeral" } });
    expect(out.messages[2].content[0].content[0]).toEqual({ type: "image", source: { type: "base64", media_type: "image/jpeg", data: "SlBH" } });
    expect(out.messages[1]).toBe((body.messages as any)[1]);
    expect(out.messages[2].content[1].source.url).toBe("https://a/missing.gif");
    expect(inlineImages(body, new Map())).toBe(body);
  });
});

// ─── response (non-streaming) ────────────────────────────────────────────────────────────────────────────────

const RESP = { requestedModel: MODEL, id: ID, created: CREATED, jsonMode: null };

function message(content: unknown[], stop_reason: string | null, usage: Record<string, unknown> = { input_tokens: 10, output_tokens: 5 }) {
  return { id: "msg_bdrk_1", type: "message", role: "assistant", model: "claude-sonnet-4-5-20250929", content, stop_reason, stop_sequence: null, usage };
}

describe("anthropicToOpenAI", () => {
  it("text answer from the recorded InvokeModel fixture", () => {
    const out = anthropicToOpenAI(bedrockFixtureJson("invoke.claude.response.json"), RESP);
    expect(out).toEqual({
      id: ID,
      object: "chat.completion",
      created: CREATED,
      model: MODEL,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I help you today?", refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 12,
        total_tokens: 24,
        prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 },
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  it("joins text blocks; parallel tool calls; content null when only tools", () => {
    const out: any = anthropicToOpenAI(
      message(
        [
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
        ],
        "tool_use",
      ),
      RESP,
    );
    expect(out.choices[0].message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
      ],
    });
    expect(out.choices[0].finish_reason).toBe("tool_calls");
    const joined: any = anthropicToOpenAI(message([{ type: "text", text: "Hello, " }, { type: "text", text: "world" }], "end_turn"), RESP);
    expect(joined.choices[0].message.content).toBe("Hello, world");
    const empty: any = anthropicToOpenAI(message([], "end_turn"), RESP);
    expect(empty.choices[0].message.content).toBe("");
  });

  it("thinking → reasoning_content and thinking_blocks (with signatures, redacted kept)", () => {
    const out: any = anthropicToOpenAI(
      message(
        [
          { type: "thinking", thinking: "Step 1. ", signature: "sigA" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "thinking", thinking: "Step 2.", signature: "sigB" },
          { type: "text", text: "42" },
        ],
        "end_turn",
      ),
      RESP,
    );
    expect(out.choices[0].message).toEqual({
      role: "assistant",
      content: "42",
      refusal: null,
      reasoning_content: "Step 1. Step 2.",
      thinking_blocks: [
        { type: "thinking", thinking: "Step 1. ", signature: "sigA" },
        { type: "redacted_thinking", data: "opaque" },
        { type: "thinking", thinking: "Step 2.", signature: "sigB" },
      ],
    });
  });

  it("JSON mode: the schema tool's input becomes content, finish_reason stop", () => {
    const out: any = anthropicToOpenAI(message([{ type: "tool_use", id: "toolu_1", name: "result", input: { answer: "é" } }], "tool_use"), {
      ...RESP,
      jsonMode: { toolName: "result" },
    });
    expect(out.choices[0].message).toEqual({ role: "assistant", content: '{"answer":"é"}', refusal: null });
    expect(out.choices[0].finish_reason).toBe("stop");
    // A real tool call alongside keeps tool_calls semantics.
    const mixed: any = anthropicToOpenAI(message([{ type: "tool_use", id: "toolu_2", name: "other", input: {} }], "tool_use"), { ...RESP, jsonMode: { toolName: "result" } });
    expect(mixed.choices[0].finish_reason).toBe("tool_calls");
    expect(mixed.choices[0].message.tool_calls[0].function.name).toBe("other");
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["pause_turn", "stop"],
    ["tool_use", "tool_calls"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["refusal", "content_filter"],
  ])("stop_reason %s → finish_reason %s", (stop, finish) => {
    expect(finishReasonFromAnthropic(stop, false)).toBe(finish);
    expect((anthropicToOpenAI(message([{ type: "text", text: "x" }], stop), RESP) as any).choices[0].finish_reason).toBe(finish);
  });

  it("finishReasonFromAnthropic: json mode turns tool_use into stop; null and unknown read as stop", () => {
    expect(finishReasonFromAnthropic("tool_use", true)).toBe("stop");
    expect(finishReasonFromAnthropic("max_tokens", true)).toBe("length");
    expect(finishReasonFromAnthropic(null, false)).toBe("stop");
    expect(finishReasonFromAnthropic("something_new", false)).toBe("stop");
  });

  it("usage with cache reads and writes (1-hour share kept)", () => {
    const out: any = anthropicToOpenAI(
      message([{ type: "text", text: "x" }], "end_turn", {
        input_tokens: 10,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 300,
        cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
        output_tokens: 50,
      }),
      RESP,
    );
    expect(out.usage).toEqual({
      prompt_tokens: 1310,
      completion_tokens: 50,
      total_tokens: 1360,
      prompt_tokens_details: {
        cached_tokens: 1000,
        cache_creation_tokens: 300,
        cache_creation_token_details: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
      },
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 1000,
    });
    expect(openAIUsage({ input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }).total_tokens).toBe(3);
  });
});

// ─── errors ──────────────────────────────────────────────────────────────────────────────────────────────────

describe("toOpenAIError", () => {
  const e = (name: string, status: number, message = "m"): BedrockError => ({ name, status, message });
  it.each([
    [e("ValidationException", 400), 400, "invalid_request_error", "invalid_request_error"],
    [e("AccessDeniedException", 403), 403, "permission_error", "permission_error"],
    [e("InvalidSignatureException", 403), 401, "authentication_error", "authentication_error"],
    [e("ResourceNotFoundException", 404), 404, "not_found_error", "model_not_found"],
    [e("ThrottlingException", 429), 429, "rate_limit_error", "rate_limit_exceeded"],
    [e("ServiceQuotaExceededException", 400), 429, "rate_limit_error", "insufficient_quota"],
    [e("ModelNotReadyException", 429), 503, "server_error", "server_error"],
    [e("ModelTimeoutException", 408), 504, "timeout", "timeout"],
    [e("ModelErrorException", 424), 500, "server_error", "server_error"],
    [e("InternalServerException", 500), 500, "server_error", "server_error"],
    [e("ServiceUnavailableException", 503), 503, "server_error", "server_error"],
    [e("throttlingException", 429), 429, "rate_limit_error", "rate_limit_exceeded"],
    [e("serviceUnavailableException", 503), 503, "server_error", "server_error"],
    [e("modelStreamErrorException", 424), 500, "server_error", "server_error"],
    [e("internalServerException", 500), 500, "server_error", "server_error"],
    [e("validationException", 400), 400, "invalid_request_error", "invalid_request_error"],
    [e("modelTimeoutException", 408), 504, "timeout", "timeout"],
    [e("SomethingNew", 404), 404, "not_found_error", "not_found_error"],
    [e("StreamDecodeError", 502), 502, "server_error", "server_error"],
  ])("%j → %i %s / %s, message verbatim", (err, status, type, code) => {
    expect(toOpenAIError(err)).toEqual({ status, type, code, message: "m" });
  });

  it("an input-too-long ValidationException gets code context_length_exceeded (still 400)", () => {
    const out = toOpenAIError(e("ValidationException", 400, "prompt is too long: 215000 tokens > 200000 maximum"));
    expect(out).toEqual({ status: 400, type: "invalid_request_error", code: "context_length_exceeded", message: "prompt is too long: 215000 tokens > 200000 maximum" });
  });

  it("openAIErrorEnvelope is the {error:{message,type,param,code}} shape", () => {
    expect(openAIErrorEnvelope(e("ThrottlingException", 429, "Too many tokens"))).toEqual({
      error: { message: "Too many tokens", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" },
    });
  });
});

// ─── streaming ───────────────────────────────────────────────────────────────────────────────────────────────

const source = byteSource;

interface StreamOpts {
  includeUsage?: boolean;
  jsonMode?: { toolName: string } | null;
}

function transcoder(o: StreamOpts, ends: OpenAIStreamEndReport[]) {
  return bedrockInvokeToOpenAIChunks({
    requestedModel: MODEL,
    id: ID,
    created: CREATED,
    includeUsage: o.includeUsage ?? false,
    jsonMode: o.jsonMode ?? null,
    onEnd: (r) => ends.push(r),
  });
}

async function transcode(pieces: Uint8Array[], o: StreamOpts = {}) {
  const ends: OpenAIStreamEndReport[] = [];
  const src = source(pieces);
  const text = await new Response(src.stream.pipeThrough(transcoder(o, ends))).text();
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the pipe settle (source cancel comes after close)
  return { text, ends, sourceCancelled: src.state.cancelled };
}


function chunksOf(text: string): any[] {
  return openAIDataLines(text).filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
}

/** Frame bytes of one Anthropic event, as Bedrock sends it. */
function chunkFrame(event: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: "chunk" },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString("base64"), p: "abcdef" })),
  });
}

function frames(events: unknown[]): Uint8Array[] {
  return events.map(chunkFrame);
}

const START = { type: "message_start", message: { id: "msg_bdrk_x", model: "claude", content: [], usage: { input_tokens: 7, output_tokens: 1 } } };

describe("bedrockInvokeToOpenAIChunks on the Claude fixture", () => {
  it("emits role, reasoning, thinking block, text, tool call, finish — then [DONE]", async () => {
    const { text, ends } = await transcode([bedrockFixtureBytes(CLAUDE)]);
    const events = openAIDataLines(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = chunksOf(text);
    for (const c of chunks) {
      expect(c).toMatchObject({ id: ID, object: "chat.completion.chunk", created: CREATED, model: MODEL, system_fingerprint: null });
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0].index).toBe(0);
      expect(c.choices[0].logprobs).toBeNull();
      expect(c).not.toHaveProperty("usage"); // include_usage not requested
    }
    expect(chunks.map((c) => [c.choices[0].delta, c.choices[0].finish_reason])).toEqual([
      [{ role: "assistant", content: "" }, null],
      [{ reasoning_content: "The user wants the weather in Paris; call get_weather." }, null],
      [{ thinking_blocks: [{ type: "thinking", thinking: "The user wants the weather in Paris; call get_weather.", signature: "EqQBCkgIARABGAIiQEXAMPLESIGNATURE==" }] }, null],
      [{ content: "Let me check" }, null],
      [{ content: " the weather ☀️ — «Paris»." }, null],
      [{ tool_calls: [{ index: 0, id: "toolu_bdrk_01EXAMPLE0000000000000002", type: "function", function: { name: "get_weather", arguments: "" } }] }, null],
      [{ tool_calls: [{ index: 0, function: { arguments: '{"city": "Pa' } }] }, null],
      [{ tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] }, null],
      [{}, "tool_calls"],
    ]);
    // The concatenated argument fragments are the fixture's tool input.
    const args = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
    const fixtureTool = bedrockFixtureJson<any[]>("invoke-with-response-stream.claude.events.json").find((e) => e.content_block?.type === "tool_use");
    expect(JSON.parse(args)).toEqual({ city: "Paris" });
    expect(fixtureTool).toBeDefined();

    expect(ends).toEqual([
      {
        usage: { input_tokens: 412, output_tokens: 61, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation_1h_input_tokens: 0 },
        finishReason: "tool_calls",
        error: null,
        completed: true,
      },
    ]);
  });

  it("include_usage: every chunk has usage null, then one choices:[] chunk with the usage, then [DONE]", async () => {
    const { text } = await transcode([bedrockFixtureBytes(CLAUDE)], { includeUsage: true });
    const events = openAIDataLines(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = chunksOf(text);
    const last = chunks.at(-1);
    expect(last).toEqual({
      id: ID,
      object: "chat.completion.chunk",
      created: CREATED,
      model: MODEL,
      system_fingerprint: null,
      choices: [],
      usage: {
        prompt_tokens: 412,
        completion_tokens: 61,
        total_tokens: 473,
        prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 },
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("gives byte-identical output for 1-byte pushes, every 2-way split and random splits", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const reference = (await transcode([bytes], { includeUsage: true })).text;
    const oneByte = await transcode(splitAt(bytes, Array.from(bytes, (_, i) => i)), { includeUsage: true });
    expect(oneByte.text).toBe(reference);
    expect(oneByte.ends).toHaveLength(1);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const ends: OpenAIStreamEndReport[] = [];
      const text = await new Response(source([bytes.subarray(0, cut), bytes.subarray(cut)]).stream.pipeThrough(transcoder({ includeUsage: true }, ends))).text();
      if (text !== reference) throw new Error(`output differs when split at byte ${cut}`);
    }
    for (let seed = 1; seed <= 30; seed++) {
      const { text } = await transcode(randomSplit(bytes, seededRandom(seed), 40), { includeUsage: true });
      expect(text, `seed ${seed}`).toBe(reference);
    }
  }, 30_000); // thousands of short streams: headroom for a loaded machine, not a timing assertion
});

describe("bedrockInvokeToOpenAIChunks: synthetic streams", () => {
  it("parallel tool calls are indexed 0, 1 and keep their own argument fragments; a no-argument tool gets {}", async () => {
    const { text } = await transcode(
      frames([
        START,
        { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_a", name: "get_weather", input: {} } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"city":' } },
        { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_b", name: "now", input: {} } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '"Rome"}' } },
        { type: "content_block_stop", index: 0 },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
        { type: "content_block_stop", index: 1 },
        { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 20 } },
        { type: "message_stop" },
      ]),
    );
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const c of chunksOf(text)) {
      for (const t of c.choices[0].delta.tool_calls ?? []) {
        const entry = calls.get(t.index) ?? { args: "" };
        if (t.id) entry.id = t.id;
        if (t.function.name) entry.name = t.function.name;
        entry.args += t.function.arguments;
        calls.set(t.index, entry);
      }
    }
    expect([...calls.entries()]).toEqual([
      [0, { id: "toolu_a", name: "get_weather", args: '{"city":"Rome"}' }],
      [1, { id: "toolu_b", name: "now", args: "{}" }],
    ]);
  });

  it("JSON mode: the schema tool's fragments stream as content and the finish reason is stop", async () => {
    const { text, ends } = await transcode(
      frames([
        START,
        { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_j", name: "result", input: {} } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"answer"' } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: ': "«ok»"}' } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
        { type: "message_stop" },
      ]),
      { jsonMode: { toolName: "result" } },
    );
    const chunks = chunksOf(text);
    expect(chunks.some((c) => c.choices[0].delta.tool_calls)).toBe(false);
    const content = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
    expect(JSON.parse(content)).toEqual({ answer: "«ok»" });
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(ends[0]!.finishReason).toBe("stop");
  });

  it.each([
    ["end_turn", "stop"],
    ["max_tokens", "length"],
    ["refusal", "content_filter"],
    ["stop_sequence", "stop"],
  ])("message_delta stop_reason %s → one finish chunk with %s", async (stop, finish) => {
    const { text } = await transcode(
      frames([
        START,
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 3 } },
        { type: "message_stop" },
      ]),
    );
    const finishes = chunksOf(text).filter((c) => c.choices[0].finish_reason !== null);
    expect(finishes).toHaveLength(1);
    expect(finishes[0].choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: finish });
  });

  it("redacted thinking is passed on as a thinking block; cache usage reaches the usage chunk", async () => {
    const { text } = await transcode(
      frames([
        { type: "message_start", message: { usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 1 } } },
        { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "opaque" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 4 } },
        { type: "message_stop" },
      ]),
      { includeUsage: true },
    );
    const chunks = chunksOf(text);
    expect(chunks[1].choices[0].delta).toEqual({ thinking_blocks: [{ type: "redacted_thinking", data: "opaque" }] });
    expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 125, completion_tokens: 4, total_tokens: 129, prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 20 } });
  });
});

describe("bedrockInvokeToOpenAIChunks errors", () => {
  it("throttling fixture: role + text, then an error chunk with the verbatim message, no [DONE], onEnd with the error", async () => {
    const { text, ends } = await transcode([bedrockFixtureBytes(THROTTLING)], { includeUsage: true });
    const events = openAIDataLines(text);
    expect(events).not.toContain("[DONE]");
    const parsed = events.map((d) => JSON.parse(d));
    expect(parsed.slice(0, 2).map((c) => c.choices[0].delta)).toEqual([{ role: "assistant", content: "" }, { content: "Hel" }]);
    expect(parsed[2]).toEqual({
      error: { message: "Too many tokens, please wait before trying again.", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" },
    });
    expect(parsed).toHaveLength(3);
    expect(ends).toEqual([
      {
        usage: expect.objectContaining({ input_tokens: 412 }),
        finishReason: null,
        error: { name: "throttlingException", message: "Too many tokens, please wait before trying again.", status: 429 },
        completed: false,
      },
    ]);
  });

  it("stops at the exception even when more frames follow, and cancels the upstream body", async () => {
    const trailing = chunkFrame({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "MORE" } });
    const { text, ends, sourceCancelled } = await transcode([bedrockFixtureBytes(THROTTLING), trailing, trailing]);
    expect(text).not.toContain("MORE");
    expect(JSON.parse(openAIDataLines(text).at(-1)!)).toHaveProperty("error");
    expect(ends).toHaveLength(1);
    expect(sourceCancelled).toBe(true);
  });

  it("a raw error frame, a CRC failure, a truncated body and a body without message_stop all end with an error chunk", async () => {
    const errorFrame = codec.encode({
      headers: {
        ":message-type": { type: "string", value: "error" },
        ":error-code": { type: "string", value: "InternalFailure" },
        ":error-message": { type: "string", value: "The request processing has failed." },
      },
      body: new Uint8Array(0),
    });
    const raw = await transcode([chunkFrame(START), errorFrame]);
    expect(JSON.parse(openAIDataLines(raw.text).at(-1)!)).toEqual({
      error: { message: "The request processing has failed.", type: "server_error", param: null, code: "server_error" },
    });
    expect(raw.ends[0]!.error!.name).toBe("InternalFailure");

    const corrupt = bedrockFixtureBytes(CLAUDE);
    corrupt[corrupt.length - 10]! ^= 0xff; // the last frame (message_stop)
    const crc = await transcode([corrupt]);
    const crcEvents = openAIDataLines(crc.text);
    expect(crcEvents).not.toContain("[DONE]");
    expect(JSON.parse(crcEvents.at(-1)!).error.message).toMatch(/CRC/);
    expect(crc.ends).toEqual([expect.objectContaining({ completed: false, finishReason: "tool_calls" })]);
    expect(crc.ends[0]!.usage.output_tokens).toBe(61);

    const bytes = bedrockFixtureBytes(CLAUDE);
    const truncated = await transcode([bytes.subarray(0, bytes.length - 7)]);
    expect(JSON.parse(openAIDataLines(truncated.text).at(-1)!).error).toEqual({
      message: expect.stringMatching(/truncated/),
      type: "server_error",
      param: null,
      code: "server_error",
    });
    expect(truncated.ends).toHaveLength(1);

    const early = await transcode([chunkFrame(START)]);
    expect(openAIDataLines(early.text).map((d) => Object.keys(JSON.parse(d))[0])).toEqual(["id", "error"]);
    expect(early.ends[0]).toMatchObject({ completed: false, error: { name: "StreamDecodeError" } });
  });

  it("an undecodable chunk payload is an error chunk", async () => {
    const bad = codec.encode({
      headers: { ":event-type": { type: "string", value: "chunk" }, ":message-type": { type: "string", value: "event" } },
      body: fromUtf8('{"bytes":"!!!not base64"}'),
    });
    const { text, ends } = await transcode([bad]);
    expect(openAIDataLines(text).map((d) => JSON.parse(d))).toEqual([
      { error: { message: expect.stringMatching(/could not be decoded/), type: "server_error", param: null, code: "server_error" } },
    ]);
    expect(ends).toHaveLength(1);
  });
});

describe("bedrockInvokeToOpenAIChunks cancellation", () => {
  it("calls onEnd once, with partial usage, when the client cancels; the Bedrock body is released", async () => {
    const ends: OpenAIStreamEndReport[] = [];
    const src = source(randomSplit(bedrockFixtureBytes(CLAUDE), seededRandom(7), 200));
    const reader = src.stream.pipeThrough(transcoder({}, ends)).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    await reader.cancel(new Error("client went away"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ completed: false, error: null, finishReason: null });
    expect(ends[0]!.usage.input_tokens).toBe(412);
    expect(src.state.cancelled).toBe(true);
  });

  it("calls onEnd once when the upstream body errors mid-stream", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const ends: OpenAIStreamEndReport[] = [];
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(bytes.subarray(0, 1000));
        } else controller.error(new Error("connection reset"));
      },
    });
    await expect(new Response(failing.pipeThrough(transcoder({}, ends))).text()).rejects.toThrow();
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);
  });

  it("does not call onEnd again when cancelled after the stream finished", async () => {
    const ends: OpenAIStreamEndReport[] = [];
    const ts = transcoder({}, ends);
    const writer = ts.writable.getWriter();
    const reader = ts.readable.getReader();
    const reading = (async () => {
      while (!(await reader.read()).done);
    })();
    await writer.write(bedrockFixtureBytes(CLAUDE)).catch(() => {});
    await writer.close().catch(() => {}); // the transcoder already terminated at message_stop
    await reading;
    await reader.cancel().catch(() => {});
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(true);
  });

  it("an onEnd that throws does not break the stream", async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const out = source([bedrockFixtureBytes(CLAUDE)]).stream.pipeThrough(
        bedrockInvokeToOpenAIChunks({
          requestedModel: MODEL,
          id: ID,
          created: CREATED,
          includeUsage: false,
          jsonMode: null,
          onEnd: () => {
            throw new Error("metering down");
          },
        }),
      );
      expect(openAIDataLines(await new Response(out).text()).at(-1)).toBe("[DONE]");
    } finally {
      console.error = original;
    }
  });
});

// ─── the real openai client reads the stream ─────────────────────────────────────────────────────────────────

async function sseResponse(pieces: Uint8Array[], o: StreamOpts = {}): Promise<Response> {
  const ends: OpenAIStreamEndReport[] = [];
  return new Response(source(pieces).stream.pipeThrough(transcoder(o, ends)), { status: 200, headers: { "content-type": "text/event-stream" } });
}

/** An OpenAI client whose transport answers every request with the given Response factory. */
function clientAnswering(respond: () => Promise<Response>): OpenAI {
  return new OpenAI({ apiKey: "sk-test", baseURL: "http://127.0.0.1:9/v1", maxRetries: 0, fetch: (async () => respond()) as any });
}

describe("openai-node reads the transcoded stream", () => {
  it("Stream.fromSSEResponse yields every chunk (usage last) and stops at [DONE]", async () => {
    const res = await sseResponse([bedrockFixtureBytes(CLAUDE)], { includeUsage: true });
    const items: any[] = [];
    for await (const item of Stream.fromSSEResponse<any>(res, new AbortController())) items.push(item);
    expect(items).toEqual(chunksOf((await transcode([bedrockFixtureBytes(CLAUDE)], { includeUsage: true })).text));
    expect(items).toHaveLength(10); // 9 chunks + the usage chunk
    expect(items[0].choices[0].delta.role).toBe("assistant");
    expect(items.at(-1).usage.total_tokens).toBe(473);
    expect(items.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("Stream.fromSSEResponse throws APIError with the type and code on the error chunk", async () => {
    const res = await sseResponse([bedrockFixtureBytes(THROTTLING)]);
    const items: any[] = [];
    let caught: unknown;
    try {
      for await (const item of Stream.fromSSEResponse<any>(res, new AbortController())) items.push(item);
    } catch (err) {
      caught = err;
    }
    expect(items.map((i) => i.choices[0].delta)).toEqual([{ role: "assistant", content: "" }, { content: "Hel" }]);
    expect(caught).toBeInstanceOf(APIError);
    expect((caught as APIError).type).toBe("rate_limit_error");
    expect((caught as APIError).code).toBe("rate_limit_exceeded");
    expect((caught as APIError).message).toContain("Too many tokens, please wait before trying again.");
  });

  it("client.chat.completions.stream() assembles the final completion (text, tool call, usage)", async () => {
    const client = clientAnswering(() => sseResponse([bedrockFixtureBytes(CLAUDE)], { includeUsage: true }));
    const runner = client.chat.completions.stream({ model: MODEL, messages: [{ role: "user", content: "Weather in Paris?" }], stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.id).toBe(ID);
    expect(final.model).toBe(MODEL);
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check the weather ☀️ — «Paris».");
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]! as any;
    expect(call.id).toBe("toolu_bdrk_01EXAMPLE0000000000000002");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect(final.usage?.total_tokens).toBe(473);
  });

  it("client.chat.completions.create({stream:true}) rejects with APIError on an in-stream error", async () => {
    const client = clientAnswering(() => sseResponse([bedrockFixtureBytes(THROTTLING)]));
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toBeInstanceOf(APIError);
    expect(seen.join("")).toBe("Hel");
  });
});
