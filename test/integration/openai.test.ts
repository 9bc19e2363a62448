// The real `openai` client against the Worker (in workerd), the Bedrock emulator and Postgres: chat completions
// for Claude (InvokeModel path) and for Converse models, tools, images, embeddings, errors.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let client: OpenAI;
let images: Server;
let imagesUrl: string;

// A 1×1 transparent PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

beforeAll(async () => {
  stack = await startStack();
  client = new OpenAI({ apiKey: await stack.createKey({ alias: "openai" }), baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
  // A tiny image host for http(s) image URLs (Bedrock takes only inline bytes, so the gateway must fetch them).
  images = createServer((req, res) => {
    if (req.url === "/pixel.png") res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    else if (req.url === "/page.html") res.writeHead(200, { "content-type": "text/html" }).end("<html></html>");
    else if (req.url === "/huge.png") res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(4_000_000));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => images.listen(0, "127.0.0.1", r));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stack?.stop();
  images?.closeAllConnections();
  await new Promise((r) => images?.close(r));
});
beforeEach(() => stack.emulator.reset());

const lastSent = () => stack.emulator.requests.at(-1)!;

describe("chat completions: Claude through InvokeModel", () => {
  it("create returns a chat.completion with content, finish_reason, usage and the requested model", async () => {
    const r = await client.chat.completions.create({
      model: "claude-sonnet-4-6",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
      max_tokens: 50,
      temperature: 0.2,
      stop: ["END"],
    });
    expect(r.object).toBe("chat.completion");
    expect(r.model).toBe("claude-sonnet-4-6");
    expect(r.choices[0]!.message).toMatchObject({ role: "assistant", content: "Hello from the Bedrock emulator." });
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    const sent = lastSent();
    expect(sent.operation).toBe("InvokeModel"); // Claude keeps the native path
    expect(sent.body).toMatchObject({ anthropic_version: "bedrock-2023-05-31", system: [{ type: "text", text: "Be brief." }], max_tokens: 50, temperature: 0.2, stop_sequences: ["END"] });
  });

  it("streams chunks and a final usage chunk with include_usage", async () => {
    stack.emulator.script({ text: "Streaming from Claude via the edge." });
    const stream = await client.chat.completions.create({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "Hi" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Streaming from Claude via the edge.");
    expect(finish).toBe("stop");
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("completes a tool round trip, streamed, with the runner helper assembling tool calls", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
    stack.emulator.script({ toolUse: { name: "get_weather", input: { city: "Paris" } } });
    const first = await client.chat.completions.stream({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Weather in Paris?" }], tools, tool_choice: "required" }).finalChatCompletion();
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(msg.tool_calls).toHaveLength(1);
    const call = msg.tool_calls![0]!;
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect((lastSent().body as any).tool_choice).toEqual({ type: "any" });

    const second = await client.chat.completions.create({
      model: "claude-sonnet-4-6",
      tools,
      messages: [{ role: "user", content: "Weather in Paris?" }, msg, { role: "tool", tool_call_id: call.id, content: "21°C and sunny" }],
    });
    expect(second.choices[0]!.message.content).toBe("Tool result received: 21°C and sunny");
    const sent = lastSent().body as any;
    expect(sent.messages[1].content[0]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    expect(sent.messages[2].content[0]).toMatchObject({ type: "tool_result", content: "21°C and sunny" });
  });

  it("sends images: data URLs inline, http URLs fetched by the gateway", async () => {
    await client.chat.completions.create({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } }, { type: "image_url", image_url: { url: `${imagesUrl}/pixel.png` } }] }],
    });
    const blocks = (lastSent().body as any).messages[0].content;
    expect(blocks[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") } });
    expect(blocks[2]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") } });
  });

  it("refuses image URLs that are not images or are too large, with a 400 naming the problem", async () => {
    for (const [path, why] of [["/page.html", /text\/html/], ["/huge.png", /larger than/], ["/missing.png", /404/]] as const) {
      const err = await client.chat.completions
        .create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `${imagesUrl}${path}` } }] }] })
        .catch((e) => e);
      expect(err, path).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toMatch(why);
    }
  });

  it("maps response_format json_schema to a forced tool and returns the JSON as content", async () => {
    stack.emulator.script({ toolUse: { name: "person", input: { name: "Ada", born: 1815 } } });
    const r = await client.chat.completions.create({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: "Who wrote the first program?" }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: { type: "object", properties: { name: { type: "string" }, born: { type: "integer" } } } } },
    });
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ name: "Ada", born: 1815 });
  });

  it("maps reasoning_effort to extended thinking and returns the reasoning", async () => {
    stack.emulator.script({ thinking: "Considering.", text: "42" });
    const r = await client.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "?" }], reasoning_effort: "low", max_completion_tokens: 4000 });
    expect((lastSent().body as any).thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(r.choices[0]!.message.content).toBe("42");
    expect((r.choices[0]!.message as any).reasoning_content).toBe("Considering.");
  });
});

describe("chat completions: other models through Converse", () => {
  it("create and stream on Nova", async () => {
    const r = await client.chat.completions.create({ model: "nova-pro", messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: "Hi" }], max_completion_tokens: 40, top_p: 0.9 });
    expect(r.choices[0]!.message.content).toBe("Hello from the Bedrock emulator.");
    const sent = lastSent();
    expect(sent.operation).toBe("Converse");
    expect(sent.modelId).toBe("us.amazon.nova-pro-v1:0");
    expect(sent.body).toMatchObject({ system: [{ text: "Be brief." }], inferenceConfig: { maxTokens: 40, topP: 0.9 } });

    stack.emulator.script({ text: "Converse streaming works." });
    const stream = await client.chat.completions.create({ model: "deepseek-v3.2", messages: [{ role: "user", content: "Hi" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Converse streaming works.");
    expect(lastSent().operation).toBe("ConverseStream");
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
  });

  it("completes a tool round trip on Qwen", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }];
    stack.emulator.script({ toolUse: { name: "lookup", input: { q: "bedrock" } } });
    const first = await client.chat.completions.create({ model: "qwen3-coder-480b", messages: [{ role: "user", content: "Look it up" }], tools });
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const call = msg.tool_calls![0]!;
    const second = await client.chat.completions.create({ model: "qwen3-coder-480b", tools, messages: [{ role: "user", content: "Look it up" }, msg, { role: "tool", tool_call_id: call.id, content: "found it" }] });
    expect(second.choices[0]!.message.content).toBe("Tool result received: found it");
  });

  it("refuses options a model cannot honour instead of ignoring them", async () => {
    const kimiStop = await client.chat.completions.create({ model: "kimi-k2.5", messages: [{ role: "user", content: "x" }], stop: "END" }).catch((e) => e);
    expect(kimiStop).toBeInstanceOf(OpenAI.BadRequestError);
    expect(kimiStop.param).toBe("stop");
    const schema = await client.chat.completions
      .create({ model: "nova-lite", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } })
      .catch((e) => e);
    expect(schema.status).toBe(400);
    expect(schema.param).toBe("response_format");
    expect(stack.emulator.requests).toHaveLength(0);
  });
});

describe("OpenAI errors", () => {
  it.each([
    [{ n: 2 }, "n"],
    [{ logprobs: true }, "logprobs"],
    [{ audio: { voice: "alloy", format: "mp3" }, modalities: ["text", "audio"] }, "audio"],
    [{ seed: 7 }, "seed"],
  ])("refuses %j with a 400 naming %s", async (extra, param) => {
    const err = await client.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }], ...(extra as object) } as never).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe(param);
    expect(err.error).toMatchObject({ type: "invalid_request_error", param });
  });

  it("unknown model → NotFoundError; missing key → AuthenticationError; throttling → RateLimitError", async () => {
    await expect(client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const anon = new OpenAI({ apiKey: "sk-bw-nope", baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    await expect(anon.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    stack.emulator.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many tokens, please wait before trying again." } });
    const err = await client.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain("Too many tokens, please wait before trying again.");
  });

  it("a Bedrock exception mid-stream surfaces as an error the client raises", async () => {
    stack.emulator.script({ streamException: { type: "modelStreamErrorException", message: "The model stream broke.", afterEvents: 3 } });
    const stream = await client.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }], stream: true });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toContain("The model stream broke.");
  });

  it("malformed JSON and a missing model are OpenAI-shaped 400s", async () => {
    const bad = await fetch(`${stack.gateway.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${client.apiKey}` }, body: "{" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringContaining("JSON") } });
    const noModel = await fetch(`${stack.gateway.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${client.apiKey}` }, body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }) });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({ error: { param: "model" } });
  });
});

describe("models and embeddings", () => {
  it("lists models in OpenAI format, filtered by the key", async () => {
    const limited = new OpenAI({ apiKey: await stack.createKey({ models: ["nova-pro", "titan-embed-text-v2"] }), baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    const page = await limited.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(["nova-pro", "titan-embed-text-v2"]);
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "amazon", created: expect.any(Number) });
  });

  it("embeds with Titan (dimensions) and Cohere (batched, base64), and bills input tokens", async () => {
    const k = await stack.createKey({ alias: "embedder" });
    const c = new OpenAI({ apiKey: k, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    const titan = await c.embeddings.create({ model: "titan-embed-text-v2", input: ["alpha", "beta", "gamma"], dimensions: 256 });
    expect(titan.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(titan.data.every((d) => (d.embedding as number[]).length === 256)).toBe(true);
    expect(titan.usage.prompt_tokens).toBeGreaterThan(0);
    expect(stack.emulator.requests.filter((r) => r.modelId === "amazon.titan-embed-text-v2:0")).toHaveLength(3);

    const cohere = await c.embeddings.create({ model: "cohere-embed-english-v3", input: ["one", "two"], encoding_format: "base64" });
    expect(cohere.data).toHaveLength(2);
    // Asked for explicitly, base64 comes back as-is: little-endian float32, like OpenAI's.
    const b64 = cohere.data[0]!.embedding as unknown as string;
    const floats = new Float32Array(new Uint8Array(Buffer.from(b64, "base64")).buffer);
    expect(floats.length).toBe(1024);
    expect(Math.abs(floats[0]!)).toBeLessThanOrEqual(1);
    // Left to its default, the client asks for base64 and decodes it: floats must survive that round trip.
    const auto = await c.embeddings.create({ model: "cohere-embed-english-v3", input: "one" });
    expect(auto.data[0]!.embedding).toHaveLength(1024);
    expect(auto.data[0]!.embedding[0]).toBeCloseTo(floats[0]!, 6);

    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "embedder").length).toBe(3);
    const rows = (await stack.spendRows()).filter((r) => r.keyAlias === "embedder");
    const titanRow = rows.find((r) => r.model === "titan-embed-text-v2")!;
    expect(titanRow.inputTokens).toBe(titan.usage.prompt_tokens);
    expect(Number(titanRow.cost)).toBeCloseTo((titan.usage.prompt_tokens * 0.02) / 1e6, 12);
  });

  it("an embeddings answer cut short is a 502 server_error for the SDK, billed by Bedrock's token-count header", async () => {
    const k = await stack.createKey({ alias: "embed-cut" });
    const c = new OpenAI({ apiKey: k, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    stack.emulator.script({ truncatedBody: true });
    const err = await c.embeddings.create({ model: "titan-embed-text-v2", input: "alpha" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe("server_error");
    expect((err as Error).message).toMatch(/unreadable embeddings response/);
    const [row] = await stack.waitForSpendRows("embed-cut", 1);
    expect(row!.status).toBe(502);
    expect(row!.inputTokens).toBeGreaterThan(0);
    expect(Number(row!.cost)).toBeCloseTo((row!.inputTokens * 0.02) / 1e6, 12);
  });

  it("one failed call of several fails the request in OpenAI's shape, billed for the calls Bedrock answered", async () => {
    const k = await stack.createKey({ alias: "embed-429" });
    const c = new OpenAI({ apiKey: k, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    const whole = await c.embeddings.create({ model: "titan-embed-text-v2", input: ["alpha", "beta", "gamma"] });
    stack.emulator.reset();
    stack.emulator.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." } });
    const err = await c.embeddings.create({ model: "titan-embed-text-v2", input: ["alpha", "beta", "gamma"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as Error).message).toMatch(/Too many requests/);
    expect(stack.emulator.requests.filter((r) => r.operation === "InvokeModel")).toHaveLength(3);
    const rows = await stack.waitForSpendRows("embed-429", 2);
    const failed = rows.find((r) => r.status === 429)!;
    // Two of the three texts were embedded and are billed; the throttled one is not.
    expect(failed.inputTokens).toBeGreaterThan(0);
    expect(failed.inputTokens).toBeLessThan(whole.usage.prompt_tokens);
    expect(Number(failed.cost)).toBeCloseTo((failed.inputTokens * 0.02) / 1e6, 12);
  });

  it("refuses unsupported embedding parameters and chat models", async () => {
    const dims = await client.embeddings.create({ model: "cohere-embed-english-v3", input: "x", dimensions: 256 }).catch((e) => e);
    expect(dims).toBeInstanceOf(OpenAI.BadRequestError);
    expect(dims.param).toBe("dimensions");
    const chat = await client.embeddings.create({ model: "claude-sonnet-4-6", input: "x" }).catch((e) => e);
    expect(chat.status).toBe(400);
    expect(chat.param).toBe("model");
  });
});
