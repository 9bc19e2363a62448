// The real Anthropic SDK against the Worker (in workerd), the emulator and Postgres.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = new Anthropic({ apiKey: await stack.createKey({ alias: "sdk" }), baseURL: stack.gateway.url, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

describe("@anthropic-ai/sdk through the gateway", () => {
  it("messages.create returns a typed message with the requested model and usage", async () => {
    const msg = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    expect(msg.type).toBe("message");
    expect(msg.model).toBe("claude-haiku-4-5");
    expect(msg.content[0]).toMatchObject({ type: "text", text: "Hello from the Bedrock emulator." });
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(stack.emulator.requests.at(-1)!.modelId).toBe("us.anthropic.claude-haiku-4-5-20251001-v1:0");
  });

  it("messages.stream yields text deltas and a final message equal to the streamed text", async () => {
    stack.emulator.script({ text: "Streaming through the edge, one delta at a time." });
    const stream = client.messages.stream({ model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("Streaming through the edge, one delta at a time.");
    expect(final.content[0]).toMatchObject({ type: "text", text });
    expect(final.model).toBe("claude-sonnet-4-6");
    expect(final.stop_reason).toBe("end_turn");
  });

  it("streams a tool_use block whose input JSON reassembles exactly", async () => {
    stack.emulator.script({ toolUse: { name: "get_weather", input: { city: "Paris", units: "metric", days: [1, 2, 3] } } });
    const final = await client.messages
      .stream({
        model: "claude-sonnet-4-6",
        max_tokens: 200,
        tools: [{ name: "get_weather", description: "weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
        messages: [{ role: "user", content: "Weather in Paris?" }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const tool = final.content.find((b) => b.type === "tool_use");
    expect(tool).toMatchObject({ name: "get_weather", input: { city: "Paris", units: "metric", days: [1, 2, 3] } });
  });

  it("messages.countTokens returns input_tokens", async () => {
    const r = await client.messages.countTokens({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Count me" }] });
    expect(r.input_tokens).toBeGreaterThan(0);
  });

  it("raises typed errors: RateLimitError for throttling, NotFoundError for an unknown model", async () => {
    stack.emulator.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many tokens, please wait before trying again." } });
    const err = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.message).toContain("Too many tokens, please wait before trying again.");
    const nf = await client.messages.create({ model: "claude-unknown", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(nf).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("raises an APIError from a mid-stream exception frame", async () => {
    stack.emulator.script({ streamException: { type: "modelStreamErrorException", message: "The model stream failed.", afterEvents: 2 } });
    const stream = client.messages.stream({ model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    const err = await stream.finalMessage().catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err.message)).toContain("The model stream failed.");
  });
});
