// OpenAI chat completions ⇄ Bedrock Converse translators: request mapping (every §4.4 row, and each refusal),
// response mapping, and the ConverseStream → chat.completion.chunk transcoder, checked against the captured
// fixture, byte-level splits, in-stream exceptions, cancellation, and the real `openai` npm client's parsers.
import OpenAI, { APIError } from "openai";
import { Stream } from "openai/streaming";
import { describe, expect, it } from "vitest";
import { GatewayError, errorBody } from "../../worker/edge/errors.ts";
import { TranslationError } from "../../worker/protocols/converse/errors.ts";
import {
  JSON_OBJECT_INSTRUCTION,
  inlineConverseImages,
  openAIToConverse,
  type ConverseCapabilities,
} from "../../worker/protocols/converse/from-openai.ts";
import {
  bedrockConverseToOpenAIChunks,
  converseToOpenAI,
  converseUsage,
  finishReasonOf,
  type ConverseStreamEndReport,
} from "../../worker/protocols/converse/to-openai.ts";
import { validateConverseBody } from "../support/emulator/converse.ts";
import { converseFrame, corruptMessageCrc, errorFrame, exceptionFrame } from "../support/emulator/frames.ts";
import { bedrockFixtureBytes, bedrockFixtureJson, byteSource, parseOpenAISSE, randomSplit, seededRandom, splitAt } from "../support/fixtures.ts";

const ALL: ConverseCapabilities = {
  toolChoiceRequired: true,
  stopSequences: true,
  cachePointOnTools: true,
  jsonSchema: true,
  reasoning: true,
};
const NONE: ConverseCapabilities = {};
const MODEL = "nova-pro";
const ID = "chatcmpl-test123";
const CREATED = 1_767_000_000;
const TOOLUSE_BIN = "converse-stream.tooluse.bin";
const PNG_B64 = "iVBORw0KGgo=";

/** Translate with sane defaults; the body is also run through the emulator's Converse validator. */
function translate(req: Record<string, unknown>, capabilities: ConverseCapabilities = ALL) {
  const out = openAIToConverse(req, { maxTokensDefault: 4096, capabilities });
  if (out.imageUrls.length === 0) validateConverseBody(out.body);
  return out;
}

function translationError(fn: () => unknown): TranslationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TranslationError) return err;
    throw err;
  }
  throw new Error("expected a TranslationError");
}

const user = (content: unknown) => ({ role: "user", content });
const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("openAIToConverse: messages", () => {
  it("maps the §4.1 example conversation to the SDK's serialization", () => {
    const { body, imageUrls, includeUsage, warnings } = translate({
      model: MODEL,
      messages: [
        { role: "system", content: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }] },
        user([
          { type: "text", text: "Describe the image, then get the weather in Paris." },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw==" } },
        ]),
        { role: "assistant", content: null, tool_calls: [{ id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "tooluse_1", content: '{"tempC":21}' },
      ],
      max_tokens: 512,
      temperature: 0.2,
      stop: "END",
      tools: [weatherTool],
      tool_choice: "auto",
      top_k: 50,
    });
    expect(body).toEqual({
      messages: [
        { role: "user", content: [{ text: "Describe the image, then get the weather in Paris." }, { image: { format: "png", source: { bytes: "iVBORw==" } } }] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: '{"tempC":21}' }] } }] },
      ],
      system: [{ text: "You are terse." }, { cachePoint: { type: "default" } }],
      inferenceConfig: { maxTokens: 512, temperature: 0.2, stopSequences: ["END"] },
      toolConfig: {
        tools: [{ toolSpec: { name: "get_weather", description: "Get weather", inputSchema: { json: weatherTool.function.parameters } } }],
        toolChoice: { auto: {} },
      },
      additionalModelRequestFields: { top_k: 50 },
    });
    expect(imageUrls).toEqual([]);
    expect(includeUsage).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("hoists system and developer messages (string or parts) into system, dropping blank text", () => {
    const { body } = translate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "  " }, { type: "text", text: "Use metric units.", cache_control: { type: "ephemeral", ttl: "1h" } }] },
        user("hi"),
        { role: "system", content: "Late rule." },
      ],
    });
    expect(body.system).toEqual([
      { text: "Be brief." },
      { text: "Use metric units." },
      { cachePoint: { type: "default", ttl: "1h" } },
      { text: "Late rule." },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: [{ text: "hi" }] }]);
  });

  it("adds a cachePoint after a user part with cache_control, never as the first block", () => {
    const { body } = translate({
      messages: [user([{ type: "text", text: " ", cache_control: { type: "ephemeral" } }, { type: "text", text: "long doc", cache_control: { type: "ephemeral" } }, { type: "text", text: "question" }])],
    });
    expect((body.messages as any[])[0].content).toEqual([{ text: "long doc" }, { cachePoint: { type: "default" } }, { text: "question" }]);
  });

  it("merges consecutive same-role messages so turns alternate, and drops empty ones", () => {
    const { body } = translate({
      messages: [user("a"), user([{ type: "text", text: "b" }]), { role: "assistant", content: "c" }, { role: "assistant", content: "" }, { role: "assistant", content: [{ type: "text", text: "d" }] }, user("e")],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ text: "a" }, { text: "b" }] },
      { role: "assistant", content: [{ text: "c" }, { text: "d" }] },
      { role: "user", content: [{ text: "e" }] },
    ]);
  });

  it("raises TranslationError as a 400 GatewayError carrying param, so the app renders it as an OpenAI error", () => {
    const err = translationError(() => translate({ messages: [user("hi")], stop: "END" }, NONE));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.status).toBe(400);
    expect(err.type).toBe("invalid_request_error");
    expect(errorBody("openai", err.status, err.message, err.type, undefined, err.param)).toEqual({
      error: { message: err.message, type: "invalid_request_error", param: "stop", code: "invalid_request_error" },
    });
  });

  it("rejects a conversation that does not start with a user turn, or has none", () => {
    expect(translationError(() => translate({ messages: [{ role: "system", content: "s" }, { role: "assistant", content: "hi" }, user("x")] })).param).toBe("messages");
    expect(translationError(() => translate({ messages: [{ role: "system", content: "s" }] })).param).toBe("messages");
    expect(translationError(() => translate({ messages: [] })).param).toBe("messages");
    expect(translationError(() => translate({ messages: [{ role: "function", name: "f", content: "x" }] })).param).toBe("messages[0].role");
    expect(translationError(() => translate({ messages: [{ role: "robot", content: "x" }] })).param).toBe("messages[0].role");
  });

  it("maps data-URL images by MIME subtype and rejects other types", () => {
    const { body } = translate({
      messages: [
        user([
          { type: "image_url", image_url: { url: `data:image/jpeg;base64,${PNG_B64}` } },
          { type: "image_url", image_url: { url: `data:image/jpg;base64,${PNG_B64}` } },
          { type: "image_url", image_url: { url: `data:image/gif;base64,${PNG_B64}`, detail: "low" } },
          { type: "image_url", image_url: { url: `data:image/webp;base64,${PNG_B64}` } },
          { type: "text", text: "what are these?" },
        ]),
      ],
    });
    expect((body.messages as any[])[0].content.slice(0, 4).map((b: any) => b.image.format)).toEqual(["jpeg", "jpeg", "gif", "webp"]);
    const err = translationError(() => translate({ messages: [user([{ type: "text", text: "x" }, { type: "image_url", image_url: { url: "data:image/svg+xml;base64,PHN2Zz4=" } }])] }));
    expect(err.param).toBe("messages[0].content[1].image_url.url");
    expect(err.message).toContain("image/svg+xml");
    expect(translationError(() => translate({ messages: [user([{ type: "image_url", image_url: { url: "ftp://x/y.png" } }])] })).param).toBe("messages[0].content[0].image_url.url");
    expect(translationError(() => translate({ messages: [user([{ type: "input_audio", input_audio: {} }])] })).param).toBe("messages[0].content[0].type");
  });

  it("leaves http(s) images as placeholders, lists each URL once, and inlineConverseImages fills them", () => {
    const a = "https://example.test/a.png";
    const b = "http://example.test/b";
    const req = { messages: [user([{ type: "image_url", image_url: { url: a } }, { type: "text", text: "and" }, { type: "image_url", image_url: { url: b } }]), { role: "assistant", content: "ok" }, user([{ type: "image_url", image_url: { url: a } }])] };
    const { body, imageUrls } = translate(req);
    expect(imageUrls).toEqual([a, b]);
    // The placeholder is not valid Converse: a route that forgets to inline gets a validation error, not garbage.
    expect(() => validateConverseBody(structuredClone(body))).toThrow();

    const before = structuredClone(body);
    const filled = inlineConverseImages(body, new Map([[a, { mediaType: "image/png", base64: "AAAA" }], [b, { mediaType: "image/webp; charset=binary", base64: "BBBB" }]]));
    expect(body).toEqual(before); // pure
    validateConverseBody(filled);
    const messages = filled.messages as any[];
    expect(messages[0].content).toEqual([{ image: { format: "png", source: { bytes: "AAAA" } } }, { text: "and" }, { image: { format: "webp", source: { bytes: "BBBB" } } }]);
    expect(messages[2].content).toEqual([{ image: { format: "png", source: { bytes: "AAAA" } } }]);

    const missing = translationError(() => inlineConverseImages(body, new Map([[a, { mediaType: "image/png", base64: "AAAA" }]])));
    expect(missing.message).toContain("example.test");
    expect(missing.message).not.toContain("http://example.test/b"); // a URL may carry credentials: host only
    const badType = translationError(() => inlineConverseImages(body, new Map([[a, { mediaType: "text/html", base64: "AAAA" }], [b, { mediaType: "image/png", base64: "B" }]])));
    expect(badType.message).toContain("text/html");
  });

  it("maps assistant tool_calls to toolUse; empty arguments mean {}", () => {
    const { body } = translate({
      messages: [
        user("go"),
        {
          role: "assistant",
          content: "Calling.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "now", arguments: "" } },
            { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "12:00" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "cold" }] },
      ],
      tools: [weatherTool, { type: "function", function: { name: "now" } }],
    });
    const messages = body.messages as any[];
    expect(messages[1].content).toEqual([
      { text: "Calling." },
      { toolUse: { toolUseId: "call_1", name: "now", input: {} } },
      { toolUse: { toolUseId: "call_2", name: "get_weather", input: { city: "Oslo" } } },
    ]);
    // Consecutive tool results share one user turn.
    expect(messages[2]).toEqual({
      role: "user",
      content: [
        { toolResult: { toolUseId: "call_1", content: [{ text: "12:00" }] } },
        { toolResult: { toolUseId: "call_2", content: [{ text: "cold" }] } },
      ],
    });
    // A tool without parameters still gets an (empty) object schema.
    expect((body.toolConfig as any).tools[1]).toEqual({ toolSpec: { name: "now", inputSchema: { json: { type: "object", properties: {} } } } });
  });

  it("rejects tool-call arguments that are not a JSON object, naming the path", () => {
    const call = (args: string) => ({ messages: [user("go"), { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }, { id: "c2", type: "function", function: { name: "f", arguments: args } }] }] });
    const bad = translationError(() => translate(call('{"city": "Par')));
    expect(bad.param).toBe("messages[1].tool_calls[1].function.arguments");
    expect(bad.message).toContain("not valid JSON");
    expect(translationError(() => translate(call("[1,2]"))).param).toBe("messages[1].tool_calls[1].function.arguments");
    expect(translationError(() => translate({ messages: [user("go"), { role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }] })).param).toBe("messages[1].tool_calls[0].id");
  });

  it("sends an empty tool result as content: [] (Bedrock rejects blank text), and merges a following user message", () => {
    const { body } = translate({
      messages: [
        user("go"),
        { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "" },
        user("thanks"),
      ],
      tools: [{ type: "function", function: { name: "f" } }],
    });
    expect((body.messages as any[])[2]).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "c1", content: [] } }, { text: "thanks" }] });
    expect(translationError(() => translate({ messages: [user("go"), { role: "tool", content: "x" }] })).param).toBe("messages[1].tool_call_id");
  });
});

describe("openAIToConverse: parameters", () => {
  it("takes max_completion_tokens over max_tokens over the default", () => {
    const m = [user("hi")];
    expect((translate({ messages: m, max_completion_tokens: 100, max_tokens: 200 }).body.inferenceConfig as any).maxTokens).toBe(100);
    expect((translate({ messages: m, max_tokens: 200 }).body.inferenceConfig as any).maxTokens).toBe(200);
    expect((translate({ messages: m }).body.inferenceConfig as any).maxTokens).toBe(4096);
    expect(translationError(() => translate({ messages: m, max_tokens: 0 })).param).toBe("max_tokens");
    expect(translationError(() => translate({ messages: m, max_completion_tokens: 1.5 })).param).toBe("max_completion_tokens");
  });

  it("maps temperature, top_p and stop; a stop list stays a list", () => {
    const { body } = translate({ messages: [user("hi")], temperature: 0, top_p: 0.9, stop: ["A", "B"] });
    expect(body.inferenceConfig).toEqual({ maxTokens: 4096, temperature: 0, topP: 0.9, stopSequences: ["A", "B"] });
    expect(translationError(() => translate({ messages: [user("hi")], temperature: "hot" })).param).toBe("temperature");
  });

  it("refuses stop for models without stop sequences (Kimi), but accepts stop: null", () => {
    const err = translationError(() => translate({ messages: [user("hi")], stop: "END" }, NONE));
    expect(err.param).toBe("stop");
    expect(translate({ messages: [user("hi")], stop: null }, NONE).body.inferenceConfig).toEqual({ maxTokens: 4096 });
  });

  it("adds a cachePoint after a tool with cache_control, unless the model drops them (Nova)", () => {
    const tools = [{ ...weatherTool, cache_control: { type: "ephemeral" } }];
    expect((translate({ messages: [user("hi")], tools }).body.toolConfig as any).tools[1]).toEqual({ cachePoint: { type: "default" } });
    const nova = translate({ messages: [user("hi")], tools }, { ...ALL, cachePointOnTools: false });
    expect((nova.body.toolConfig as any).tools).toHaveLength(1);
    expect(nova.warnings.join()).toContain("tools[0].cache_control");
    expect(translationError(() => translate({ messages: [user("hi")], tools: [{ type: "custom", custom: {} }] })).param).toBe("tools[0].type");
  });

  it("maps tool_choice auto / required / named, and gates forcing on the capability", () => {
    const base = { messages: [user("hi")], tools: [weatherTool] };
    expect((translate({ ...base, tool_choice: "auto" }).body.toolConfig as any).toolChoice).toEqual({ auto: {} });
    expect((translate({ ...base, tool_choice: "required" }).body.toolConfig as any).toolChoice).toEqual({ any: {} });
    expect((translate({ ...base, tool_choice: { type: "function", function: { name: "get_weather" } } }).body.toolConfig as any).toolChoice).toEqual({ tool: { name: "get_weather" } });
    expect((translate(base).body.toolConfig as any).toolChoice).toBeUndefined();

    expect(translationError(() => translate({ ...base, tool_choice: "required" }, NONE)).param).toBe("tool_choice");
    expect(translationError(() => translate({ ...base, tool_choice: { type: "function", function: { name: "get_weather" } } }, NONE)).param).toBe("tool_choice");
    expect(translationError(() => translate({ ...base, tool_choice: { type: "function", function: { name: "nope" } } })).message).toContain("nope");
    expect(translationError(() => translate({ messages: [user("hi")], tool_choice: "required" })).param).toBe("tool_choice");
    expect(translationError(() => translate({ ...base, tool_choice: "sometimes" })).param).toBe("tool_choice");
  });

  it('drops toolConfig for tool_choice "none", but keeps the tools when the conversation already uses them', () => {
    expect(translate({ messages: [user("hi")], tools: [weatherTool], tool_choice: "none" }).body.toolConfig).toBeUndefined();
    const withHistory = translate({
      messages: [
        user("hi"),
        { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] },
        { role: "tool", tool_call_id: "c1", content: "sunny" },
      ],
      tools: [weatherTool],
      tool_choice: "none",
    });
    expect(withHistory.body.toolConfig).toEqual({ tools: [{ toolSpec: expect.objectContaining({ name: "get_weather" }) }] });
    expect(withHistory.warnings.join()).toContain('tool_choice "none"');
  });

  it("maps response_format json_schema to outputConfig with the schema as a string", () => {
    const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"] };
    const { body } = translate({ messages: [user("hi")], response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } } });
    expect(body.outputConfig).toEqual({ textFormat: { type: "json_schema", structure: { jsonSchema: { name: "answer", schema: JSON.stringify(schema) } } } });
    const err = translationError(() => translate({ messages: [user("hi")], response_format: { type: "json_schema", json_schema: { name: "a", schema } } }, NONE));
    expect(err.param).toBe("response_format");
    expect(translationError(() => translate({ messages: [user("hi")], response_format: { type: "json_schema", json_schema: { name: "a" } } })).param).toBe("response_format.json_schema.schema");
  });

  it("turns json_object into a system instruction and ignores type text", () => {
    const { body } = translate({ messages: [{ role: "system", content: "S" }, user("hi")], response_format: { type: "json_object" } }, NONE);
    expect(body.system).toEqual([{ text: "S" }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(body.outputConfig).toBeUndefined();
    expect(translate({ messages: [user("hi")], response_format: { type: "text" } }).body.system).toBeUndefined();
  });

  it("passes reasoning_effort through additionalModelRequestFields only for reasoning models", () => {
    expect(translate({ messages: [user("hi")], reasoning_effort: "high", top_k: 5 }).body.additionalModelRequestFields).toEqual({ top_k: 5, reasoning_effort: "high" });
    expect(translationError(() => translate({ messages: [user("hi")], reasoning_effort: "high" }, NONE)).param).toBe("reasoning_effort");
    expect(translationError(() => translate({ messages: [user("hi")], top_k: -1 })).param).toBe("top_k");
  });

  it("forwards user as requestMetadata when Bedrock's character rules allow it", () => {
    expect(translate({ messages: [user("hi")], user: "alice@example.com" }).body.requestMetadata).toEqual({ user: "alice@example.com" });
    const odd = translate({ messages: [user("hi")], user: "ålice<script>" });
    expect(odd.body.requestMetadata).toBeUndefined();
    expect(odd.warnings.join()).toContain("user was not forwarded");
    expect(translate({ messages: [user("hi")], user: "x".repeat(257) }).body.requestMetadata).toBeUndefined();
  });

  it("reports include_usage only for streams, warns about ignored fields, refuses n > 1", () => {
    expect(translate({ messages: [user("hi")], stream: true, stream_options: { include_usage: true } }).includeUsage).toBe(true);
    expect(translate({ messages: [user("hi")], stream: true }).includeUsage).toBe(false);
    expect(translate({ messages: [user("hi")], stream_options: { include_usage: true } }).includeUsage).toBe(false);
    const { warnings, body } = translate({ messages: [user("hi")], seed: 1, presence_penalty: 0.5, logprobs: false, parallel_tool_calls: true, n: 1 });
    expect(warnings).toEqual([expect.stringContaining("presence_penalty"), expect.stringContaining("seed")]);
    expect(translate({ messages: [user("hi")], parallel_tool_calls: false }).warnings).toEqual([expect.stringContaining("parallel_tool_calls")]);
    expect(Object.keys(body).sort()).toEqual(["inferenceConfig", "messages"]);
    expect(translationError(() => translate({ messages: [user("hi")], n: 2 })).param).toBe("n");
    expect(translationError(() => translate({ messages: [user("hi")], functions: [] })).param).toBe("functions");
  });
});

// Inline copy of ../shared/reference/bedrock-fixtures/converse.response.json (not among test/fixtures/bedrock).
const CONVERSE_RESPONSE = {
  output: {
    message: {
      role: "assistant",
      content: [
        { text: "Let me check the weather." },
        { toolUse: { toolUseId: "tooluse_EXAMPLE0000000001", name: "get_weather", input: { city: "Paris" } } },
      ],
    },
  },
  stopReason: "tool_use",
  usage: { inputTokens: 412, outputTokens: 61, totalTokens: 473, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  metrics: { latencyMs: 2150 },
};

const opts = { requestedModel: MODEL, id: ID, created: CREATED };

describe("converseToOpenAI", () => {
  it("maps the captured Converse response to a chat.completion", () => {
    expect(converseToOpenAI(CONVERSE_RESPONSE, opts)).toEqual({
      id: ID,
      object: "chat.completion",
      created: CREATED,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Let me check the weather.",
            refusal: null,
            tool_calls: [{ id: "tooluse_EXAMPLE0000000001", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 412, completion_tokens: 61, total_tokens: 473, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it("maps every stopReason", () => {
    const table: Record<string, string> = {
      end_turn: "stop",
      stop_sequence: "stop",
      tool_use: "tool_calls",
      max_tokens: "length",
      model_context_window_exceeded: "length",
      guardrail_intervened: "content_filter",
      content_filtered: "content_filter",
      malformed_model_output: "stop",
      malformed_tool_use: "stop",
    };
    for (const [stopReason, finish] of Object.entries(table)) {
      expect(finishReasonOf(stopReason)).toBe(finish);
      const resp = converseToOpenAI({ ...CONVERSE_RESPONSE, stopReason }, opts) as any;
      expect(resp.choices[0].finish_reason).toBe(finish);
    }
  });

  it("puts reasoning into reasoning_content, joins text, and uses null content for tool-only answers", () => {
    const resp = converseToOpenAI(
      {
        output: { message: { role: "assistant", content: [{ reasoningContent: { reasoningText: { text: "Think", signature: "sig" } } }, { reasoningContent: { redactedContent: "AAAA" } }, { text: "A" }, { text: "B" }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      },
      opts,
    ) as any;
    expect(resp.choices[0].message).toEqual({ role: "assistant", content: "AB", refusal: null, reasoning_content: "Think" });
    const toolOnly = converseToOpenAI({ output: { message: { content: [{ toolUse: { toolUseId: "t", name: "f", input: {} } }] } }, stopReason: "tool_use" }, opts) as any;
    expect(toolOnly.choices[0].message.content).toBeNull();
    expect(toolOnly.choices[0].message.tool_calls[0].function.arguments).toBe("{}");
  });

  it("counts cache reads and writes as prompt tokens; 1h cache writes are metered separately", () => {
    const usage = { inputTokens: 10, outputTokens: 20, totalTokens: 1530, cacheReadInputTokens: 1000, cacheWriteInputTokens: 500, cacheDetails: [{ inputTokens: 300, ttl: "1h" }, { inputTokens: 200, ttl: "5m" }] };
    expect(converseUsage(usage)).toEqual({ input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 1000, cache_creation_input_tokens: 500, cache_creation_1h_input_tokens: 300 });
    expect((converseToOpenAI({ ...CONVERSE_RESPONSE, usage }, opts) as any).usage).toEqual({ prompt_tokens: 1510, completion_tokens: 20, total_tokens: 1530, prompt_tokens_details: { cached_tokens: 1000 } });
    expect(converseUsage(undefined)).toEqual({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cache_creation_1h_input_tokens: 0 });
  });

  it("parses with the openai client", async () => {
    const body = JSON.stringify(converseToOpenAI(CONVERSE_RESPONSE, opts));
    const client = new OpenAI({ apiKey: "k", baseURL: "http://127.0.0.1:1/v1", fetch: async () => new Response(body, { headers: { "content-type": "application/json" } }) });
    const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { name: "get_weather" } });
    expect(completion.usage!.total_tokens).toBe(473);
  });
});

const source = byteSource;

async function transcode(pieces: Uint8Array[], includeUsage = true, settle = true) {
  const ends: ConverseStreamEndReport[] = [];
  const src = source(pieces);
  const out = src.stream.pipeThrough(bedrockConverseToOpenAIChunks({ ...opts, includeUsage, onEnd: (r) => ends.push(r) }));
  const text = await new Response(out).text();
  if (settle) await new Promise((resolve) => setTimeout(resolve, 0)); // let the pipe settle (source cancel happens after close)
  return { text, ends, sourceCancelled: src.state.cancelled };
}


const c = (delta: unknown, finish: string | null = null, withUsage = true) => ({
  id: ID,
  object: "chat.completion.chunk",
  created: CREATED,
  model: MODEL,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...(withUsage ? { usage: null } : {}),
});

const FIXTURE_CHUNKS = [
  c({ role: "assistant", content: "" }),
  c({ content: "Let me check" }),
  c({ content: " the weather." }),
  c({ tool_calls: [{ index: 0, id: "tooluse_EXAMPLE0000000001", type: "function", function: { name: "get_weather", arguments: "" } }] }),
  c({ tool_calls: [{ index: 0, function: { arguments: '{"city": "Pa' } }] }),
  c({ tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] }),
  c({}, "tool_calls"),
  { id: ID, object: "chat.completion.chunk", created: CREATED, model: MODEL, choices: [], usage: { prompt_tokens: 412, completion_tokens: 61, total_tokens: 473, prompt_tokens_details: { cached_tokens: 0 } } },
  "[DONE]",
];

describe("bedrockConverseToOpenAIChunks", () => {
  it("transcodes the captured ConverseStream: role, text, tool call fragments, finish, usage, [DONE]", async () => {
    const { text, ends, sourceCancelled } = await transcode([bedrockFixtureBytes(TOOLUSE_BIN)]);
    expect(parseOpenAISSE(text)).toEqual(FIXTURE_CHUNKS);
    expect(ends).toEqual([
      { usage: { input_tokens: 412, output_tokens: 61, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cache_creation_1h_input_tokens: 0 }, finishReason: "tool_calls", error: null, completed: true },
    ]);
    expect(sourceCancelled).toBe(true); // nothing may follow [DONE], so the upstream body is released right away

    // The argument fragments concatenate to the input the fixture's events describe.
    const events = bedrockFixtureJson<any[]>("converse-stream.tooluse.events.json");
    const expectedInput = events.filter((e) => e.contentBlockDelta?.delta?.toolUse).map((e) => e.contentBlockDelta.delta.toolUse.input).join("");
    const args = parseOpenAISSE(text).flatMap((ch: any) => ch.choices?.[0]?.delta?.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
    expect(args).toBe(expectedInput);
    expect(JSON.parse(args)).toEqual(CONVERSE_RESPONSE.output.message.content[1]!.toolUse!.input);
  });

  it("without include_usage: no usage fields and no usage chunk", async () => {
    const { text } = await transcode([bedrockFixtureBytes(TOOLUSE_BIN)], false);
    const chunks = parseOpenAISSE(text);
    expect(chunks).toEqual([...FIXTURE_CHUNKS.slice(0, 7).map((ch: any) => { const { usage: _u, ...rest } = ch; return rest; }), "[DONE]"]);
  });

  it("gives identical output however the bytes are split (every cut point, single bytes, random pieces)", async () => {
    const bytes = bedrockFixtureBytes(TOOLUSE_BIN);
    const whole = parseOpenAISSE((await transcode([bytes])).text);
    const singles = await transcode(Array.from(bytes, (b) => new Uint8Array([b])));
    expect(parseOpenAISSE(singles.text)).toEqual(whole);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { text, ends } = await transcode(splitAt(bytes, [cut]), true, false);
      expect(parseOpenAISSE(text), `cut at ${cut}`).toEqual(whole);
      expect(ends).toHaveLength(1);
    }
    for (let seed = 1; seed <= 20; seed++) {
      expect(parseOpenAISSE((await transcode(randomSplit(bytes, seededRandom(seed), 50))).text), `seed ${seed}`).toEqual(whole);
    }
  }, 60_000); // every cut point of a long stream: slow on a busy machine, and not a speed test

  it("streams reasoning as reasoning_content and numbers tool calls per tool block", async () => {
    const frames = [
      converseFrame("messageStart", { role: "assistant" }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "hmm" } } }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "sig" } } }),
      converseFrame("contentBlockStop", { contentBlockIndex: 0 }),
      converseFrame("contentBlockStart", { contentBlockIndex: 1, start: { toolUse: { toolUseId: "t1", name: "a" } } }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: "{}" } } }),
      converseFrame("contentBlockStart", { contentBlockIndex: 2, start: { toolUse: { toolUseId: "t2", name: "b" } } }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: '{"x":1}' } } }),
      converseFrame("messageStop", { stopReason: "tool_use" }),
      converseFrame("metadata", { usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11 }, metrics: { latencyMs: 1 } }),
    ];
    const chunks = parseOpenAISSE((await transcode(frames, false)).text);
    expect(chunks.map((ch: any) => (ch === "[DONE]" ? ch : ch.choices[0].delta))).toEqual([
      { role: "assistant", content: "" },
      { reasoning_content: "hmm" },
      { tool_calls: [{ index: 0, id: "t1", type: "function", function: { name: "a", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "{}" } }] },
      { tool_calls: [{ index: 1, id: "t2", type: "function", function: { name: "b", arguments: "" } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"x":1}' } }] },
      {},
      "[DONE]",
    ]);
  });

  it("orders finish_reason before usage even when metadata arrives first", async () => {
    const frames = [
      converseFrame("messageStart", { role: "assistant" }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "hi" } }),
      converseFrame("metadata", { usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11 } }),
      converseFrame("messageStop", { stopReason: "max_tokens" }),
    ];
    const chunks = parseOpenAISSE((await transcode(frames)).text);
    expect(chunks.slice(-3)).toEqual([c({}, "length"), expect.objectContaining({ choices: [], usage: expect.objectContaining({ total_tokens: 11 }) }), "[DONE]"]);
  });

  it("finishes a stream cut after messageStop (no metadata): [DONE], completed, usage unknown", async () => {
    const frames = [converseFrame("messageStart", { role: "assistant" }), converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "hi" } }), converseFrame("messageStop", { stopReason: "end_turn" })];
    const { text, ends } = await transcode(frames, false);
    expect(parseOpenAISSE(text).slice(-2)).toEqual([c({}, "stop", false), "[DONE]"]);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ completed: true, finishReason: "stop", error: null, usage: { input_tokens: 0 } });
  });

  it("turns an exception frame into an error chunk, closes without [DONE], and releases the upstream body", async () => {
    const bytes = bedrockFixtureBytes(TOOLUSE_BIN);
    const firstFrameLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    const pieces = [bytes.subarray(0, firstFrameLength), exceptionFrame("throttlingException", { message: "Too many tokens, please wait before trying again." }), bytes.subarray(firstFrameLength)];
    const { text, ends, sourceCancelled } = await transcode(pieces);
    expect(parseOpenAISSE(text)).toEqual([
      c({ role: "assistant", content: "" }),
      { error: { message: "Too many tokens, please wait before trying again.", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } },
    ]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error).toEqual({ name: "throttlingException", message: "Too many tokens, please wait before trying again.", status: 429 });
    expect(ends[0]!.completed).toBe(false);
    expect(sourceCancelled).toBe(true);
  });

  it("reports error frames, corrupt bytes and truncated streams as error chunks", async () => {
    const start = converseFrame("messageStart", { role: "assistant" });
    const err = parseOpenAISSE((await transcode([start, errorFrame("InternalFailure", "boom")])).text);
    expect(err.at(-1)).toEqual({ error: { message: "boom", type: "server_error", param: null, code: "server_error" } });

    const corrupt = await transcode([start, corruptMessageCrc(converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } }))]);
    expect(parseOpenAISSE(corrupt.text).at(-1).error.message).toContain("CRC");
    expect(corrupt.ends[0]!.error!.name).toBe("StreamDecodeError");

    const truncated = await transcode([start, converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } })]);
    const chunks = parseOpenAISSE(truncated.text);
    expect(chunks).not.toContain("[DONE]");
    expect(chunks.at(-1).error.message).toContain("before messageStop");
    expect(truncated.ends).toEqual([expect.objectContaining({ completed: false, finishReason: null })]);

    const cutMidFrame = await transcode([start, bedrockFixtureBytes(TOOLUSE_BIN).subarray(0, 30)]);
    expect(parseOpenAISSE(cutMidFrame.text).at(-1).error.message).toContain("truncated");
  });

  it("calls onEnd once, incomplete, when the client cancels", async () => {
    const ends: ConverseStreamEndReport[] = [];
    const src = source(randomSplit(bedrockFixtureBytes(TOOLUSE_BIN), seededRandom(3), 120));
    const reader = src.stream.pipeThrough(bedrockConverseToOpenAIChunks({ ...opts, includeUsage: true, onEnd: (r) => ends.push(r) })).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    await reader.cancel(new Error("client went away"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ends).toHaveLength(1);
    expect(ends[0]!).toMatchObject({ completed: false, error: null, finishReason: null });
    expect(src.state.cancelled).toBe(true);
  });

  it("calls onEnd once when the upstream body fails, and not again when cancelled after the end", async () => {
    const ends: ConverseStreamEndReport[] = [];
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(bedrockFixtureBytes(TOOLUSE_BIN).subarray(0, 200));
        } else controller.error(new Error("connection reset"));
      },
    });
    await expect(new Response(failing.pipeThrough(bedrockConverseToOpenAIChunks({ ...opts, includeUsage: false, onEnd: (r) => ends.push(r) }))).text()).rejects.toThrow();
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);

    const after: ConverseStreamEndReport[] = [];
    const ts = bedrockConverseToOpenAIChunks({ ...opts, includeUsage: false, onEnd: (r) => after.push(r) });
    const reader = ts.readable.getReader();
    const reading = (async () => {
      while (!(await reader.read()).done);
    })();
    const writer = ts.writable.getWriter();
    await writer.write(bedrockFixtureBytes(TOOLUSE_BIN)).catch(() => {});
    await writer.close().catch(() => {}); // the transcoder already terminated at [DONE]
    await reading;
    await reader.cancel().catch(() => {});
    expect(after).toHaveLength(1);
    expect(after[0]!.completed).toBe(true);
  });

  it("an onEnd that throws does not break the stream", async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const out = source([bedrockFixtureBytes(TOOLUSE_BIN)]).stream.pipeThrough(
        bedrockConverseToOpenAIChunks({ ...opts, includeUsage: true, onEnd: () => { throw new Error("metering down"); } }),
      );
      expect(parseOpenAISSE(await new Response(out).text())).toEqual(FIXTURE_CHUNKS);
    } finally {
      console.error = original;
    }
  });
});

describe("bedrockConverseToOpenAIChunks through the openai npm client", () => {
  const sseResponse = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });

  it("Stream.fromSSEResponse yields the chunks up to [DONE]", async () => {
    const { text } = await transcode([bedrockFixtureBytes(TOOLUSE_BIN)]);
    const parsed: unknown[] = [];
    for await (const chunk of Stream.fromSSEResponse(sseResponse(text), new AbortController())) parsed.push(chunk);
    expect(parsed).toEqual(FIXTURE_CHUNKS.slice(0, -1));
  });

  it("the error chunk raises APIError with Bedrock's message, type and code", async () => {
    const { text } = await transcode([converseFrame("messageStart", { role: "assistant" }), exceptionFrame("serviceUnavailableException", { message: "Bedrock is unable to process your request." })]);
    const parsed: unknown[] = [];
    let caught: unknown;
    try {
      for await (const chunk of Stream.fromSSEResponse(sseResponse(text), new AbortController())) parsed.push(chunk);
    } catch (err) {
      caught = err;
    }
    expect(parsed).toHaveLength(1);
    expect(caught).toBeInstanceOf(APIError);
    const apiError = caught as APIError;
    expect(apiError.message).toContain("Bedrock is unable to process your request.");
    expect(apiError.type).toBe("server_error");
    expect(apiError.code).toBe("server_error");
  });

  it("the client's stream helper assembles the final completion with the tool call", async () => {
    const { text } = await transcode([bedrockFixtureBytes(TOOLUSE_BIN)]);
    const client = new OpenAI({ apiKey: "k", baseURL: "http://127.0.0.1:1/v1", fetch: async () => sseResponse(text) });
    const stream = client.chat.completions.stream({ model: MODEL, messages: [{ role: "user", content: "weather?" }], stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check the weather.");
    expect(choice.message.tool_calls).toEqual([{ id: "tooluse_EXAMPLE0000000001", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } }]);
    expect(final.usage?.prompt_tokens).toBe(412);
  });
});
