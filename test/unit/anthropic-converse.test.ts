// Anthropic Messages ⇄ Bedrock Converse translators (the path that lets Claude Code use Qwen, Nova, DeepSeek, …):
// every block type both ways, every stop reason, the Claude-only parts that are dropped or refused, Claude Code's
// captured requests, and the ConverseStream → Anthropic SSE transcoder on the captured fixture, byte-level splits,
// reasoning, in-stream exceptions and truncation. Every translated request also passes the emulator's Converse
// validator (the same checks Bedrock makes).
import { describe, expect, it } from "vitest";
import { MODELS } from "../../worker/models/catalog-data.ts";
import { TranslationError } from "../../worker/protocols/converse/errors.ts";
import {
  anthropicToConverse,
  converseCapabilitiesOf,
  type AnthropicConverseCapabilities,
} from "../../worker/protocols/converse/from-anthropic.ts";
import {
  bedrockConverseToAnthropicSSE,
  converseToAnthropic,
  stopReasonOf,
  type ConverseAnthropicEnd,
} from "../../worker/protocols/converse/to-anthropic.ts";
import { validateConverseBody } from "../support/emulator/converse.ts";
import { converseFrame, exceptionFrame } from "../support/emulator/frames.ts";
import { bedrockFixtureBytes, bedrockFixtureJson, byteSource, claudeCodeRequest, parseSSE, randomSplit, seededRandom } from "../support/fixtures.ts";

const ALL: AnthropicConverseCapabilities = {
  stopSequences: true,
  toolChoiceRequired: true,
  cachePointOnTools: true,
  jsonSchema: true,
  reasoning: true,
  caching: true,
  images: true,
  documents: true,
  toolResultStatus: true,
};
const TEXT_ONLY: AnthropicConverseCapabilities = { stopSequences: true, toolChoiceRequired: true };
const PNG = "iVBORw0KGgo=";
const IDS = { requestedModel: "qwen3-coder-480b", id: "msg_bdrk_test" };

function translate(req: Record<string, unknown>, caps: AnthropicConverseCapabilities = ALL, maxOutput = 32_000) {
  const t = anthropicToConverse({ model: "m", max_tokens: 1000, ...req }, { capabilities: caps, maxOutput });
  if (t.imageUrls.length === 0) validateConverseBody(t.body);
  return t;
}

function refused(req: Record<string, unknown>, caps: AnthropicConverseCapabilities = ALL): TranslationError {
  try {
    translate(req, caps);
  } catch (e) {
    expect(e).toBeInstanceOf(TranslationError);
    expect((e as TranslationError).status).toBe(400);
    return e as TranslationError;
  }
  throw new Error("expected a TranslationError");
}

const user = (content: unknown) => ({ role: "user", content });
const assistant = (content: unknown) => ({ role: "assistant", content });

describe("anthropicToConverse: messages and blocks", () => {
  it("maps system text, cache_control (with ttl) to cachePoints, and merges system turns inside messages", () => {
    const { body } = translate({
      system: [{ type: "text", text: "Be terse." }, { type: "text", text: "Repo rules.", cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [user("Hi"), { role: "system", content: [{ type: "text", text: "Reminder." }] }, assistant("Hello"), user([{ type: "text", text: "Again", cache_control: { type: "ephemeral" } }])],
    });
    expect(body.system).toEqual([{ text: "Be terse." }, { text: "Repo rules." }, { cachePoint: { type: "default", ttl: "1h" } }, { text: "Reminder." }]);
    expect(body.messages).toEqual([
      { role: "user", content: [{ text: "Hi" }] },
      { role: "assistant", content: [{ text: "Hello" }] },
      { role: "user", content: [{ text: "Again" }, { cachePoint: { type: "default" } }] },
    ]);
  });

  it("drops cache_control on a model without prompt caching, with a warning", () => {
    const t = translate({ system: [{ type: "text", text: "S", cache_control: { type: "ephemeral" } }], messages: [user("x")] }, TEXT_ONLY);
    expect(t.body.system).toEqual([{ text: "S" }]);
    expect(t.warnings.join(" ")).toMatch(/cache_control is ignored/);
  });

  it("maps images (base64 and URL placeholders) and documents (PDF and text)", () => {
    const t = anthropicToConverse(
      {
        max_tokens: 10,
        messages: [
          user([
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
            { type: "document", title: "Q3 report.pdf", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "héllo" } },
            { type: "text", text: "Describe." },
          ]),
        ],
      },
      { capabilities: ALL, maxOutput: 100 },
    );
    const content = (t.body.messages as any)[0].content;
    expect(content[0]).toEqual({ image: { format: "png", source: { bytes: PNG } } });
    expect(content[1]).toEqual({ image: { source: { url: "https://example.com/a.jpg" } } });
    expect(t.imageUrls).toEqual(["https://example.com/a.jpg"]);
    expect(content[2]).toEqual({ document: { format: "pdf", name: "Q3 report pdf", source: { bytes: "JVBERi0=" } } });
    expect(content[3].document.format).toBe("txt");
    expect(new TextDecoder().decode(Uint8Array.from(atob(content[3].document.source.bytes), (ch) => ch.charCodeAt(0)))).toBe("héllo");
  });

  it("maps tool_use and tool_result turns, including image results and errors", () => {
    const { body } = translate({
      tools: [{ name: "Read", description: "Read a file", input_schema: { type: "object", properties: { path: { type: "string" } } } }],
      messages: [
        user("Read it"),
        assistant([{ type: "text", text: "Reading." }, { type: "tool_use", id: "toolu_01", name: "Read", input: { path: "a.png" } }, { type: "tool_use", id: "toolu_02", name: "Read", input: { path: "b" } }]),
        user([
          { type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "text", text: "an image:" }, { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] },
          { type: "tool_result", tool_use_id: "toolu_02", is_error: true, content: "No such file" },
        ]),
      ],
    });
    const msgs = body.messages as any[];
    expect(msgs[1].content).toEqual([{ text: "Reading." }, { toolUse: { toolUseId: "toolu_01", name: "Read", input: { path: "a.png" } } }, { toolUse: { toolUseId: "toolu_02", name: "Read", input: { path: "b" } } }]);
    expect(msgs[2].content[0]).toEqual({ toolResult: { toolUseId: "toolu_01", content: [{ text: "an image:" }, { image: { format: "png", source: { bytes: PNG } } }] } });
    expect(msgs[2].content[1]).toEqual({ toolResult: { toolUseId: "toolu_02", content: [{ text: "No such file" }], status: "error" } });
  });

  it("marks a tool error in the text on models without toolResult.status, and sends an empty result as []", () => {
    const { body } = translate(
      {
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
        messages: [user("go"), assistant([{ type: "tool_use", id: "t1", name: "Bash", input: {} }]), user([{ type: "tool_result", tool_use_id: "t1", is_error: true, content: "exit 1" }, { type: "tool_result", tool_use_id: "t1", content: "" }])],
      },
      TEXT_ONLY,
    );
    const results = (body.messages as any[])[2].content;
    expect(results[0]).toEqual({ toolResult: { toolUseId: "t1", content: [{ text: "Error: exit 1" }] } });
    expect(results[1]).toEqual({ toolResult: { toolUseId: "t1", content: [] } });
  });

  it("drops thinking and redacted_thinking from earlier turns (Claude's signatures mean nothing here)", () => {
    const t = translate({ messages: [user("q"), assistant([{ type: "thinking", thinking: "hmm", signature: "sig" }, { type: "redacted_thinking", data: "x" }, { type: "text", text: "a" }]), user("q2")] });
    expect((t.body.messages as any[])[1]).toEqual({ role: "assistant", content: [{ text: "a" }] });
    expect(t.warnings.join(" ")).toMatch(/thinking blocks/);
  });

  it("merges consecutive same-role turns and refuses a conversation that starts with the assistant", () => {
    expect((translate({ messages: [user("a"), user("b")] }).body.messages as any[])).toEqual([{ role: "user", content: [{ text: "a" }, { text: "b" }] }]);
    expect(refused({ messages: [assistant("hi"), user("x")] }).message).toMatch(/first message must come from the user/);
  });
});

describe("anthropicToConverse: inference settings, tools and Claude-only parts", () => {
  it("clamps max_tokens to the model's limit and maps temperature, top_p, stop sequences and top_k", () => {
    const t = translate({ max_tokens: 128_000, temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ["END"], messages: [user("x")] }, ALL, 10_000);
    expect(t.body.inferenceConfig).toEqual({ maxTokens: 10_000, temperature: 0.2, topP: 0.9, stopSequences: ["END"] });
    expect(t.maxTokens).toBe(10_000);
    expect(t.body.additionalModelRequestFields).toEqual({ top_k: 40 });
  });

  it("maps tools and every tool_choice", () => {
    const tools = [{ name: "a", description: "A", input_schema: { type: "object", properties: {} }, cache_control: { type: "ephemeral" } }, { name: "b", input_schema: { type: "object" } }];
    const cfg = (tool_choice?: unknown) => translate({ tools, tool_choice, messages: [user("x")] }).body.toolConfig as any;
    expect(cfg().tools).toEqual([{ toolSpec: { name: "a", description: "A", inputSchema: { json: { type: "object", properties: {} } } } }, { cachePoint: { type: "default" } }, { toolSpec: { name: "b", inputSchema: { json: { type: "object" } } } }]);
    expect(cfg({ type: "auto" }).toolChoice).toEqual({ auto: {} });
    expect(cfg({ type: "any" }).toolChoice).toEqual({ any: {} });
    expect(cfg({ type: "tool", name: "b" }).toolChoice).toEqual({ tool: { name: "b" } });
    expect(cfg({ type: "none" })).toBeUndefined();
    // With tool blocks in the conversation Bedrock needs the toolConfig, so "none" keeps the tools.
    const withHistory = translate({ tools, tool_choice: { type: "none" }, messages: [user("x"), assistant([{ type: "tool_use", id: "t", name: "a", input: {} }]), user([{ type: "tool_result", tool_use_id: "t", content: "ok" }])] });
    expect((withHistory.body.toolConfig as any).toolChoice).toBeUndefined();
  });

  it("maps thinking to the reasoning switch of models that have one, and drops it elsewhere", () => {
    const effort = (req: Record<string, unknown>, caps = ALL) => (translate({ messages: [user("x")], ...req }, caps).body.additionalModelRequestFields as any)?.reasoning_effort;
    expect(effort({ thinking: { type: "enabled", budget_tokens: 2048 } })).toBe("low");
    expect(effort({ thinking: { type: "enabled", budget_tokens: 8000 } })).toBe("medium");
    expect(effort({ thinking: { type: "enabled", budget_tokens: 32000 } })).toBe("high");
    expect(effort({ thinking: { type: "adaptive" }, output_config: { effort: "high" } })).toBe("high");
    expect(effort({ thinking: { type: "disabled" } })).toBeUndefined();
    expect(effort({ thinking: { type: "adaptive" } }, TEXT_ONLY)).toBeUndefined();
  });

  it("drops Claude-only fields: context_management, output_config.effort, metadata, deferred tools and tool search", () => {
    const t = translate({
      metadata: { user_id: "u" },
      context_management: { edits: [{ type: "clear_thinking_20251015" }] },
      output_config: { effort: "medium" },
      tools: [{ name: "Bash", input_schema: { type: "object" } }, { name: "Later", defer_loading: true, input_schema: { type: "object" } }, { type: "tool_search_tool_regex_20251119", name: "tool_search" }],
      messages: [user("x")],
    });
    expect(Object.keys(t.body).sort()).toEqual(["inferenceConfig", "messages", "toolConfig"]);
    expect((t.body.toolConfig as any).tools.map((x: any) => x.toolSpec.name)).toEqual(["Bash"]);
  });

  it("refuses what the model cannot do, naming the field (400)", () => {
    const img = user([{ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }]);
    expect(refused({ messages: [img] }, TEXT_ONLY).message).toMatch(/does not accept images/);
    expect(refused({ messages: [user([{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "x" } }])] }, TEXT_ONLY).param).toBe("messages[0].content[0]");
    expect(refused({ tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [user("x")] }).message).toMatch(/Claude's built-in tools/);
    expect(refused({ tools: [{ name: "t", input_schema: { type: "string" } }], messages: [user("x")] }).param).toBe("tools[0].input_schema");
    expect(refused({ tools: [{ name: "t", input_schema: { type: "object" } }], tool_choice: { type: "any" }, messages: [user("x")] }, { ...TEXT_ONLY, toolChoiceRequired: false }).param).toBe("tool_choice");
    expect(refused({ stop_sequences: ["x"], messages: [user("x")] }, { toolChoiceRequired: true }).param).toBe("stop_sequences");
    expect(refused({ mcp_servers: [{ type: "url", url: "https://x", name: "x" }], messages: [user("x")] }).param).toBe("mcp_servers");
    expect(refused({ output_config: { format: { type: "json_schema", schema: { type: "object" } } }, messages: [user("x")] }, TEXT_ONLY).param).toBe("output_config.format");
  });

  it("translates Claude Code's captured requests into bodies Bedrock accepts", () => {
    for (const name of ["tool-roundtrip-1.json", "tool-roundtrip-2.json"]) {
      const req = claudeCodeRequest(name).body;
      const row = MODELS.find((m) => m.name === "qwen3-coder-480b")!;
      const t = anthropicToConverse(req, { capabilities: converseCapabilitiesOf(row), maxOutput: row.maxOutput });
      validateConverseBody(t.body);
      expect(t.maxTokens).toBe(row.maxOutput); // Claude Code asks for 128k
      expect((t.body.toolConfig as any).tools.map((x: any) => x.toolSpec.name)).toEqual(["Bash", "Read"]);
      expect((t.body.system as any[]).length).toBeGreaterThan(1);
    }
  });
});

describe("converseToAnthropic", () => {
  it("maps the captured Converse response to an Anthropic message", () => {
    expect(converseToAnthropic(bedrockFixtureJson("converse.response.json"), IDS)).toEqual({
      id: "msg_bdrk_test",
      type: "message",
      role: "assistant",
      model: "qwen3-coder-480b",
      content: [{ type: "text", text: "Let me check the weather." }, { type: "tool_use", id: "tooluse_EXAMPLE0000000001", name: "get_weather", input: { city: "Paris" } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 412, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 61 },
    });
  });

  it("maps reasoning to thinking / redacted_thinking and cache usage with its TTL split", () => {
    const msg = converseToAnthropic(
      {
        output: { message: { content: [{ reasoningContent: { reasoningText: { text: "Think." } } }, { reasoningContent: { redactedContent: "b64" } }, { text: "Done." }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 5, outputTokens: 3, cacheReadInputTokens: 7, cacheWriteInputTokens: 10, cacheDetails: [{ inputTokens: 4, ttl: "1h" }, { inputTokens: 6, ttl: "5m" }] },
      },
      IDS,
    );
    expect(msg.content).toEqual([{ type: "thinking", thinking: "Think.", signature: "" }, { type: "redacted_thinking", data: "b64" }, { type: "text", text: "Done." }]);
    expect(msg.usage).toEqual({ input_tokens: 5, output_tokens: 3, cache_read_input_tokens: 7, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 6, ephemeral_1h_input_tokens: 4 } });
  });

  it("maps every Converse stop reason", () => {
    expect(
      ["end_turn", "tool_use", "max_tokens", "stop_sequence", "guardrail_intervened", "content_filtered", "malformed_model_output", "malformed_tool_use", "model_context_window_exceeded", "something_new"].map(stopReasonOf),
    ).toEqual(["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "refusal", "end_turn", "end_turn", "model_context_window_exceeded", "end_turn"]);
  });
});

async function runStream(pieces: Uint8Array[]) {
  const ends: ConverseAnthropicEnd[] = [];
  const src = byteSource(pieces);
  const text = await new Response(src.stream.pipeThrough(bedrockConverseToAnthropicSSE({ ...IDS, onEnd: (r) => ends.push(r) }))).text();
  return { events: parseSSE(text), text, ends };
}

const concat = (frames: Uint8Array[]) => {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
};

describe("bedrockConverseToAnthropicSSE", () => {
  it("turns the captured tool-use stream into Anthropic's event sequence", async () => {
    const { events, ends } = await runStream([bedrockFixtureBytes("converse-stream.tooluse.bin")]);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "content_block_start", ...events.filter((e) => e.data.delta?.type === "input_json_delta").map(() => "content_block_delta"), "content_block_stop",
      "message_delta", "message_stop",
    ]);
    expect(events[0]!.data.message).toMatchObject({ id: "msg_bdrk_test", model: "qwen3-coder-480b", role: "assistant", content: [], stop_reason: null });
    expect(events[1]!.data).toEqual({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    const toolStart = events.find((e) => e.data.content_block?.type === "tool_use")!.data;
    expect(toolStart.index).toBe(1);
    const json = events.filter((e) => e.data.delta?.type === "input_json_delta").map((e) => e.data.delta.partial_json).join("");
    const fixture = bedrockFixtureJson<any[]>("converse-stream.tooluse.events.json");
    const expected = fixture.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? "").join("");
    expect(json).toBe(expected);
    expect(toolStart.content_block).toEqual({ type: "tool_use", id: fixture.find((e) => e.contentBlockStart)!.contentBlockStart.start.toolUse.toolUseId, name: "get_weather", input: {} });
    const delta = events.at(-2)!.data;
    expect(delta.delta).toEqual({ stop_reason: "tool_use", stop_sequence: null });
    expect(delta.usage.output_tokens).toBeGreaterThan(0);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ stopReason: "tool_use", error: null, completed: true });
    expect(ends[0]!.usage.input_tokens).toBe(delta.usage.input_tokens);
  });

  it("gives the same SSE however the bytes are split", async () => {
    const bytes = bedrockFixtureBytes("converse-stream.tooluse.bin");
    const whole = (await runStream([bytes])).text;
    for (let seed = 1; seed <= 5; seed++) expect((await runStream(randomSplit(bytes, seededRandom(seed), 7))).text, `seed ${seed}`).toBe(whole);
  });

  it("streams reasoning as a thinking block (thinking_delta, signature_delta) before the text", async () => {
    const frames = [
      converseFrame("messageStart", { role: "assistant" }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "Let me " } } }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "think." } } }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "sig" } } }),
      converseFrame("contentBlockStop", { contentBlockIndex: 0 }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 1, delta: { text: "Answer." } }),
      converseFrame("contentBlockStop", { contentBlockIndex: 1 }),
      converseFrame("messageStop", { stopReason: "max_tokens" }),
      converseFrame("metadata", { usage: { inputTokens: 11, outputTokens: 22, cacheReadInputTokens: 3, cacheWriteInputTokens: 0 }, metrics: { latencyMs: 5 } }),
    ];
    const { events, ends } = await runStream([concat(frames)]);
    expect(events.map((e) => [e.event, e.data.index ?? null, e.data.delta?.type ?? e.data.content_block?.type ?? null])).toEqual([
      ["message_start", null, null],
      ["content_block_start", 0, "thinking"],
      ["content_block_delta", 0, "thinking_delta"],
      ["content_block_delta", 0, "thinking_delta"],
      ["content_block_delta", 0, "signature_delta"],
      ["content_block_stop", 0, null],
      ["content_block_start", 1, "text"],
      ["content_block_delta", 1, "text_delta"],
      ["content_block_stop", 1, null],
      ["message_delta", null, null],
      ["message_stop", null, null],
    ]);
    expect(events[9]!.data).toEqual({ type: "message_delta", delta: { stop_reason: "max_tokens", stop_sequence: null }, usage: { input_tokens: 11, output_tokens: 22, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 } });
    expect(ends[0]!.usage).toMatchObject({ input_tokens: 11, output_tokens: 22, cache_read_input_tokens: 3 });
  });

  it("ends with an Anthropic error event on an exception frame, still reporting what was generated", async () => {
    const frames = [
      converseFrame("messageStart", { role: "assistant" }),
      converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Partial" } }),
      exceptionFrame("throttlingException", { message: "Too many requests, please wait before trying again." }),
    ];
    const { events, ends } = await runStream([concat(frames)]);
    expect(events.at(-1)).toEqual({ event: "error", data: { type: "error", error: { type: "rate_limit_error", message: "Too many requests, please wait before trying again." } } });
    expect(ends[0]!.completed).toBe(false);
    expect(ends[0]!.error?.name).toMatch(/throttling/i);
  });

  it("finishes an answer whose stream lost its metadata, and reports a stream cut before messageStop as an error", async () => {
    const stoppedOnly = await runStream([concat([converseFrame("messageStart", { role: "assistant" }), converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "ok" } }), converseFrame("messageStop", { stopReason: "end_turn" })])]);
    expect(stoppedOnly.events.map((e) => e.event).slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(stoppedOnly.ends[0]!.completed).toBe(true);

    const cut = await runStream([concat([converseFrame("messageStart", { role: "assistant" }), converseFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "o" } })])]);
    expect(cut.events.at(-1)!.event).toBe("error");
    expect(cut.ends[0]!.completed).toBe(false);
  });
});
