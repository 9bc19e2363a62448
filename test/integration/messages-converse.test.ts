// `/v1/messages` for models other than Claude, through Converse: the real Anthropic SDK creates and streams text,
// tool calls and reasoning against the Worker (in workerd), the emulator and Postgres; spend is recorded from
// Converse usage; bad input is a 400 in Anthropic's shape; count_tokens says where its figure came from; and the
// model lifecycle sends a retired Claude model to its successor, with a header, and marks it in /v1/models.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { converseSegments } from "../support/emulator/converse.ts";
import { totalInputTokens } from "../support/emulator/tokens.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let client: Anthropic;
let key: string;

beforeAll(async () => {
  // After claude-sonnet-4-5's end of life (2026-11-30), whatever the machine's clock says.
  stack = await startStack({ env: { MODEL_LIFECYCLE_DATE: "2026-12-04", STREAM_PING_MS: "200" } });
  key = await stack.createKey({ alias: "converse-sdk" });
  client = new Anthropic({ apiKey: key, baseURL: stack.gateway.url, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const lastCall = () => stack.emulator.requests.at(-1)!;
const post = (path: string, body: unknown) =>
  fetch(`${stack.gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });

const WEATHER = { name: "get_weather", description: "Weather for a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } };

describe("Anthropic SDK on Converse models", () => {
  it("messages.create on qwen3-coder-480b: a text answer from Converse, with usage, billed like Claude", async () => {
    const msg = await client.messages.create({ model: "qwen3-coder-480b", max_tokens: 1000, system: "Be brief.", messages: [{ role: "user", content: "[[emu:text Qwen here.]]" }] });
    expect(msg).toMatchObject({ type: "message", role: "assistant", model: "qwen3-coder-480b", stop_reason: "end_turn", content: [{ type: "text", text: "Qwen here." }] });
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(lastCall().operation).toBe("Converse");
    expect(lastCall().modelId).toBe("qwen.qwen3-coder-480b-a35b-v1:0");
    expect((lastCall().body as any).inferenceConfig.maxTokens).toBe(1000);
    expect((lastCall().body as any).system).toEqual([{ text: "Be brief." }]);
    const [row] = await stack.waitForSpendRows("converse-sdk", 1);
    expect(row).toMatchObject({ model: "qwen3-coder-480b", status: 200, inputTokens: msg.usage.input_tokens, outputTokens: msg.usage.output_tokens });
    expect(Number(row!.cost)).toBeGreaterThan(0);
  });

  it("messages.stream on nova-pro: a tool call streamed as tool_use with input_json_delta, then the tool result round trip", async () => {
    const stream = client.messages.stream({
      model: "nova-pro",
      max_tokens: 64_000, // above Nova Pro's 10k output limit: clamped
      tools: [WEATHER],
      messages: [{ role: "user", content: '[[emu:tool get_weather {"city":"Paris"}]]' }],
    });
    const jsonDeltas: string[] = [];
    stream.on("inputJson", (partial) => jsonDeltas.push(partial));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    // Converse reports usage at the end; the SDK takes it from message_delta.
    expect(first.usage.input_tokens).toBeGreaterThan(0);
    expect(first.usage.output_tokens).toBeGreaterThan(0);
    const use = first.content.find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    expect(jsonDeltas.length).toBeGreaterThan(0);
    expect(lastCall().operation).toBe("ConverseStream");
    expect(lastCall().modelId).toBe("us.amazon.nova-pro-v1:0");
    expect((lastCall().body as any).inferenceConfig.maxTokens).toBe(10_000);

    const second = await client.messages.create({
      model: "nova-pro",
      max_tokens: 500,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "What is the weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.type === "tool_use" ? use.id : "", content: "21 °C and sunny" }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: "text", text: "Tool result received: 21 °C and sunny" });
    const sent = (lastCall().body as any).messages;
    expect(sent[1].content[0].toolUse).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
    expect(sent[2].content[0].toolResult.content).toEqual([{ text: "21 °C and sunny" }]);
  });

  it("streams gpt-oss reasoning as a thinking block when thinking is on", async () => {
    const stream = client.messages.stream({
      model: "gpt-oss-120b",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "[[emu:text Reasoned answer.]]" }],
    });
    let thinking = "";
    stream.on("thinking", (t) => (thinking += t));
    const final = await stream.finalMessage();
    expect((lastCall().body as any).additionalModelRequestFields).toEqual({ reasoning_effort: "low" });
    expect(thinking).toContain("Reasoning (low effort)");
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect(final.content[1]).toMatchObject({ text: "Reasoned answer." });
  });

  it("raw SSE has Anthropic's event order and pings while the model is silent", async () => {
    // 500 ms between frames, pings every 200 ms: the stream goes silent mid-answer.
    stack.emulator.script({ text: "slow", delayMs: 500 });
    const res = await post("/v1/messages", { model: "deepseek-v3.2", max_tokens: 50, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = [...(await res.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events.filter((e) => e === "ping").length).toBeGreaterThan(0);
    expect(events.filter((e) => e !== "ping")).toEqual(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
  });

  it("a mid-stream Bedrock exception becomes an Anthropic error event that the SDK raises", async () => {
    stack.emulator.script({ text: "one two three four five six", streamException: { type: "modelStreamErrorException", message: "The model stopped.", afterEvents: 2 } });
    const err = await client.messages.stream({ model: "kimi-k2.5", max_tokens: 50, messages: [{ role: "user", content: "x" }] }).finalMessage().catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
  });
});

describe("bad input is a 400 in Anthropic's shape", () => {
  const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };

  it("an image for a text-only model", async () => {
    const res = await post("/v1/messages", { model: "qwen3-coder-480b", max_tokens: 10, messages: [{ role: "user", content: [image, { type: "text", text: "what is it?" }] }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toMatch(/does not accept images/);
    expect(stack.emulator.requests).toHaveLength(0); // refused before Bedrock
  });

  it("a tool schema the model refuses, and a Claude server tool", async () => {
    const schema = await post("/v1/messages", { model: "nova-pro", max_tokens: 10, tools: [{ name: "t", input_schema: { type: "array" } }], messages: [{ role: "user", content: "x" }] });
    expect(schema.status).toBe(400);
    expect(((await schema.json()) as any).error.message).toMatch(/tools\[0\]\.input_schema/);
    const server = await post("/v1/messages", { model: "nova-pro", max_tokens: 10, tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "x" }] });
    expect(server.status).toBe(400);
    expect(((await server.json()) as any).error.type).toBe("invalid_request_error");
  });
});

describe("count_tokens on Converse models", () => {
  it("asks Bedrock first and answers with an estimate when it has no count for the model", async () => {
    const res = await post("/v1/messages/count_tokens", { model: "qwen3-coder-480b", messages: [{ role: "user", content: "count these words please, all of them" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-breakwater-token-count")).toBe("estimate");
    expect(((await res.json()) as any).input_tokens).toBeGreaterThan(5);
    expect(lastCall().operation).toBe("CountTokens");
    expect((lastCall().body as any).input.converse.messages[0].content[0].text).toContain("count these words");
  });

  it("answers with Bedrock's count where Bedrock counts for the model (an emulator that plays a Bedrock counting for Qwen)", async () => {
    stack.emulator.configure({ countTokensFamilies: ["qwen"] });
    try {
      const body = { model: "qwen3-coder-480b", system: "Be brief.", messages: [{ role: "user", content: "count these words please, all of them" }] };
      const res = await post("/v1/messages/count_tokens", body);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-breakwater-token-count")).toBe("bedrock");
      const counted = ((await res.json()) as any).input_tokens;
      // The emulator's own count of the Converse input the gateway sent (its formula, not the gateway's estimate).
      const input = (lastCall().body as any).input.converse;
      expect(input.system).toEqual([{ text: "Be brief." }]);
      expect(counted).toBe(totalInputTokens(converseSegments(input)));
      stack.emulator.configure({ countTokensFamilies: [] });
      const estimated = await post("/v1/messages/count_tokens", body);
      expect(estimated.headers.get("x-breakwater-token-count")).toBe("estimate");
      expect(((await estimated.json()) as any).input_tokens).not.toBe(counted);
    } finally {
      stack.emulator.configure({ countTokensFamilies: [] });
    }
  });

  it("Claude models still get Bedrock's own count", async () => {
    const res = await post("/v1/messages/count_tokens", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hello" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-breakwater-token-count")).toBeNull();
  });
});

describe("model lifecycle", () => {
  it("after claude-sonnet-4-5's end of life its successor serves it, and a header says so", async () => {
    const res = await post("/v1/messages", { model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-breakwater-model-successor")).toBe("claude-sonnet-4-6");
    expect(res.headers.get("sunset")).toBe("Tue, 01 Dec 2026 00:00:00 GMT");
    expect(((await res.json()) as any).model).toBe("claude-sonnet-4-5");
    expect(lastCall().modelId).toBe("us.anthropic.claude-sonnet-4-6");
    const current = await post("/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(current.headers.get("x-breakwater-model-successor")).toBeNull();
  });

  it("/v1/models marks it in both formats", async () => {
    const openai = (await (await fetch(`${stack.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as any;
    expect(openai.data.find((m: any) => m.id === "claude-sonnet-4-5")).toMatchObject({ deprecated: true, end_of_life: "2026-11-30", successor: "claude-sonnet-4-6", retired: true });
    expect(openai.data.find((m: any) => m.id === "claude-sonnet-4-6").deprecated).toBeUndefined();
    const anthropic = (await (await fetch(`${stack.gateway.url}/v1/models`, { headers: { "x-api-key": key, "anthropic-version": "2023-06-01" } })).json()) as any;
    expect(anthropic.data.find((m: any) => m.id === "claude-sonnet-4-5")).toMatchObject({ end_of_life: "2026-11-30", successor: "claude-sonnet-4-6" });
  });
});
