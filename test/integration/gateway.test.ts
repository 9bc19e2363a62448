// The Worker in workerd, against the Bedrock emulator and a real Postgres: the hot path end to end over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseSSE } from "../support/fixtures.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let key: string;
let url: string;

beforeAll(async () => {
  stack = await startStack();
  url = stack.gateway.url;
  key = await stack.createKey({ alias: "alice" });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const HELLO = { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectAnthropicError(res: Response, status: number, type: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id?: string };
  expect(body.type).toBe("error");
  expect(body.error.type).toBe(type);
  if (message) expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toMatch(/at \w+ \(|\.ts:\d+/); // no stack traces
  return body;
}

describe("edge basics", () => {
  it("answers /health without a key and without revealing a version", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("server") ?? "").not.toMatch(/\d/);
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("request-id")).toMatch(/^req_/);
  });

  it("404s unknown paths and 405s wrong methods, in JSON, before any key check", async () => {
    await expectAnthropicError(await fetch(`${url}/v1/complete`, { method: "POST" }), 404, "not_found_error");
    await expectAnthropicError(await fetch(`${url}/health/readiness`), 404, "not_found_error");
    const res = await fetch(`${url}/v1/messages`);
    await expectAnthropicError(res, 405, "invalid_request_error");
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("virtual keys", () => {
  it("accepts x-api-key and Authorization: Bearer", async () => {
    expect((await post("/v1/messages", HELLO)).status).toBe(200);
    const res = await post("/v1/messages", HELLO, { "x-api-key": "", authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
  });

  it("refuses missing, unknown, blocked and expired keys with 401", async () => {
    await expectAnthropicError(await post("/v1/messages", HELLO, { "x-api-key": "" }), 401, "authentication_error", /Missing API key/);
    await expectAnthropicError(await post("/v1/messages", HELLO, { "x-api-key": "sk-bw-not-a-real-key" }), 401, "authentication_error");
    const blocked = await stack.createKey({ blocked: true });
    await expectAnthropicError(await post("/v1/messages", HELLO, { "x-api-key": blocked }), 401, "authentication_error", /blocked/);
    const expired = await stack.createKey({ expires: new Date(Date.now() - 1000) });
    await expectAnthropicError(await post("/v1/messages", HELLO, { "x-api-key": expired }), 401, "authentication_error", /expired/);
  });

  it("refuses a model outside the key's list with 403, and lists only its models", async () => {
    const limited = await stack.createKey({ models: ["claude-haiku-4-5"] });
    await expectAnthropicError(await post("/v1/messages", HELLO, { "x-api-key": limited }), 403, "permission_error", /claude-sonnet-4-6/);
    const ok = await post("/v1/messages", { ...HELLO, model: "claude-haiku-4-5" }, { "x-api-key": limited });
    expect(ok.status).toBe(200);
    const models = (await (await fetch(`${url}/v1/models`, { headers: { "x-api-key": limited } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["claude-haiku-4-5"]);
  });

  it("understands model groups in a key's list (all-claude)", async () => {
    const claudeOnly = await stack.createKey({ models: ["all-claude"] });
    expect((await post("/v1/messages", { ...HELLO, model: "claude-opus-4-7" }, { "x-api-key": claudeOnly })).status).toBe(200);
    const nova = await post("/v1/chat/completions", { model: "nova-pro", messages: [{ role: "user", content: "x" }] }, { "x-api-key": claudeOnly });
    expect(nova.status).toBe(403);
    const models = (await (await fetch(`${url}/v1/models`, { headers: { "x-api-key": claudeOnly, "anthropic-version": "2023-06-01" } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain("claude-sonnet-4-6");
    expect(models.data.length).toBeGreaterThan(10);
  });

  it("serves a warm key from the isolate cache, with no database round trip", async () => {
    const k = await stack.createKey();
    const get = () => fetch(`${url}/v1/models`, { headers: { "x-api-key": k } });
    expect((await get()).status).toBe(200); // cold: one lookup
    const before = stack.dbRequests();
    for (let i = 0; i < 5; i++) expect((await get()).status).toBe(200);
    expect(stack.dbRequests()).toBe(before);
  });
});

describe("POST /v1/messages, non-streaming", () => {
  it("relays to InvokeModel with the Bedrock body rewrite and returns the requested model name", async () => {
    const res = await post("/v1/messages?beta=true", { ...HELLO, stream: false, metadata: { user_id: "u1" } }, {
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).toMatch(/^req_bw_/);
    const msg = (await res.json()) as { model: string; content: { type: string; text: string }[]; usage: Record<string, number> };
    expect(msg.model).toBe("claude-sonnet-4-6");
    expect(msg.content[0]?.text).toBe("Hello from the Bedrock emulator.");

    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.operation).toMatch(/^InvokeModel$/);
    expect(seen.modelId).toBe("us.anthropic.claude-sonnet-4-6");
    expect(seen.signatureValid).toBe(true);
    const body = seen.body as Record<string, unknown>;
    expect(body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(body).not.toHaveProperty("model");
    expect(body).not.toHaveProperty("stream");
    expect(body.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(seen.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEMULATOR\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
  });

  it("signs the bytes it sends: a body with multi-byte characters carries a valid signature and arrives intact", async () => {
    const text = "Grüße, 東京 🌊 — naïve café";
    const res = await post("/v1/messages", { ...HELLO, messages: [{ role: "user", content: text }] });
    expect(res.status).toBe(200);
    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.signatureValid).toBe(true);
    expect((seen.body as { messages: Array<{ content: unknown }> }).messages[0]?.content).toBe(text);
  });

  it("writes one spend row with exact tokens and cost, and adds it to the key's total", async () => {
    const k = await stack.createKey({ alias: "spender" });
    const res = await post("/v1/messages", HELLO, { "x-api-key": k });
    const msg = (await res.json()) as { usage: { input_tokens: number; output_tokens: number } };
    // Spend is written after the response: wait for this key's row (other tests' rows may land meanwhile).
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "spender").length).toBe(1);
    const rows = (await stack.spendRows()).filter((r) => r.keyAlias === "spender");
    const row = rows[0]!;
    expect(row.requestId).toBe(res.headers.get("request-id"));
    expect(row.model).toBe("claude-sonnet-4-6");
    expect(row.bedrockModel).toBe("us.anthropic.claude-sonnet-4-6");
    expect(row.inputTokens).toBe(msg.usage.input_tokens);
    expect(row.outputTokens).toBe(msg.usage.output_tokens);
    expect(row.status).toBe(200);
    const expected = (msg.usage.input_tokens * 3 + msg.usage.output_tokens * 15) / 1e6;
    expect(Number(row.cost)).toBeCloseTo(expected, 10);
    expect(await stack.keySpend(k)).toBeCloseTo(expected, 10);
    // The spend row is the per-request record; the log line per request is off unless REQUEST_LOG=1
    // (test/integration/edge-security.test.ts turns it on and checks it).
    expect(stack.gateway.logs.some((l) => l.includes(row.requestId))).toBe(false);
  });
});

describe("POST /v1/messages, streaming", () => {
  it("emits Anthropic SSE decoded from the event stream, with the requested model name, and bills it", async () => {
    const k = await stack.createKey({ alias: "streamer" });
    stack.emulator.script({ text: "Grüße — «Paris» ☀️ and more words to make several deltas" });
    const res = await post("/v1/messages", { ...HELLO, stream: true }, { "x-api-key": k });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSSE(await res.text());
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(types).toContain("content_block_delta");
    for (const e of events) expect(e.data.type).toBe(e.event);
    expect(events[0]!.data.message.model).toBe("claude-sonnet-4-6");
    const text = events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("");
    expect(text).toBe("Grüße — «Paris» ☀️ and more words to make several deltas");
    expect(JSON.stringify(events.at(-1)!.data)).not.toContain("invocationMetrics");

    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.operation).toBe("InvokeModelWithResponseStream");
    const delta = events.find((e) => e.event === "message_delta")!.data;
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "streamer").length).toBe(1);
    const row = (await stack.spendRows()).find((r) => r.keyAlias === "streamer")!;
    expect(row.stream).toBe(true);
    expect(row.outputTokens).toBe(delta.usage.output_tokens);
    expect(row.inputTokens).toBe(events[0]!.data.message.usage.input_tokens);
  });

  it("turns a mid-stream exception frame into an SSE error event with Bedrock's message", async () => {
    stack.emulator.script({ streamException: { type: "throttlingException", message: "Too many tokens, please wait before trying again.", afterEvents: 3 } });
    const res = await post("/v1/messages", { ...HELLO, stream: true });
    expect(res.status).toBe(200);
    const events = parseSSE(await res.text());
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data).toEqual({ type: "error", error: { type: "rate_limit_error", message: "Too many tokens, please wait before trying again." } });
  });
});

describe("Bedrock HTTP errors map to Anthropic errors, keeping Bedrock's message", () => {
  it.each([
    [429, "ThrottlingException", "Too many requests, please wait before trying again.", 429, "rate_limit_error"],
    [400, "ValidationException", "messages.0.content: text content blocks must be non-empty", 400, "invalid_request_error"],
    [500, "InternalServerException", "The server encountered an internal error.", 500, "api_error"],
    [503, "ServiceUnavailableException", "Bedrock is unable to process your request.", 529, "overloaded_error"],
  ])("%i %s (%s) → %i %s", async (status, errorType, message, want, type) => {
    stack.emulator.script({ http: { status, errorType, message } });
    const res = await post("/v1/messages", HELLO);
    const body = await expectAnthropicError(res, want, type);
    expect(body.error.message).toBe(message);
  });
});

describe("an answer Bedrock sends with 200 that cannot be read", () => {
  it("is a 502 in the caller's dialect, never a 500, and still billed by InvokeModel's token-count headers", async () => {
    const k = await stack.createKey({ alias: "cut-answer" });
    stack.emulator.script({ truncatedBody: true });
    const res = await post("/v1/messages", HELLO, { "x-api-key": k });
    await expectAnthropicError(res, 502, "api_error", /unreadable answer/);
    expect(res.headers.get("x-breakwater-target")).toBeTruthy();
    const [row] = await stack.waitForSpendRows("cut-answer", 1);
    expect(row!.status).toBe(502);
    expect(row!.requestId).toBe(res.headers.get("request-id"));
    // The emulator's headers carry the call's counts: the row bills them, like a readable answer would have.
    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.operation).toBe("InvokeModel");
    expect(row!.inputTokens).toBeGreaterThan(0);
    expect(row!.outputTokens).toBeGreaterThan(0);
    expect(Number(row!.cost)).toBeCloseTo((row!.inputTokens * 3 + row!.outputTokens * 15) / 1e6, 10);
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(Number(row!.cost), 10);
    // The next answer is whole again.
    expect((await post("/v1/messages", HELLO, { "x-api-key": k })).status).toBe(200);
  });

  it("an answer that is the JSON null is a 502 too, billed by the headers", async () => {
    const k = await stack.createKey({ alias: "null-answer" });
    stack.emulator.script({ replaceBody: null });
    const res = await post("/v1/messages", HELLO, { "x-api-key": k });
    await expectAnthropicError(res, 502, "api_error", /unreadable answer/);
    const [row] = await stack.waitForSpendRows("null-answer", 1);
    expect(row!.status).toBe(502);
    expect(row!.inputTokens).toBeGreaterThan(0);
  });

  it("through Converse (an OpenAI chat request) is a 502 in OpenAI's shape with a spend row", async () => {
    const k = await stack.createKey({ alias: "cut-converse" });
    stack.emulator.script({ truncatedBody: true });
    const res = await post("/v1/chat/completions", { model: "nova-pro", messages: [{ role: "user", content: "Hello" }] }, { "x-api-key": k });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("server_error");
    expect(body.error.message).toMatch(/unreadable answer/);
    expect(stack.emulator.requests.at(-1)!.operation).toBe("Converse");
    const [row] = await stack.waitForSpendRows("cut-converse", 1);
    expect(row!.status).toBe(502);
  });
});

describe("response headers", () => {
  // The call pipeline builds its answers with every header at once and the outer middleware dresses the rest
  // (worker/edge/response-headers.ts); either way each header is there exactly once (a duplicate would read "a, a").
  function expectGatewayHeaders(res: Response, cacheControl: string) {
    expect(res.headers.get("request-id")).toMatch(/^req_bw_[^,]+$/);
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe(cacheControl);
  }

  it("JSON, streamed and refused model answers carry the gateway's, the meter's and the target's headers once each", async () => {
    const k = await stack.createKey({ alias: "headers", maxBudget: 10 });
    const json = await post("/v1/messages", HELLO, { "x-api-key": k });
    expect(json.status).toBe(200);
    expectGatewayHeaders(json, "no-store");
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(json.headers.get("x-breakwater-target")).toBe("us-east-1/us.anthropic.claude-sonnet-4-6");
    expect(Number(json.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    expect(json.headers.get("x-litellm-key-max-budget")).toBe("10");
    expect(Number(json.headers.get("x-litellm-key-remaining-budget"))).toBeLessThanOrEqual(10);
    await json.text();

    const sse = await post("/v1/messages", { ...HELLO, stream: true }, { "x-api-key": k });
    expectGatewayHeaders(sse, "no-cache");
    expect(sse.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(sse.headers.get("x-breakwater-target")).toBe("us-east-1/us.anthropic.claude-sonnet-4-6");
    expect(sse.headers.get("x-litellm-key-max-budget")).toBe("10");
    await sse.text();

    stack.emulator.script({ http: { status: 400, errorType: "ValidationException", message: "bad request" } });
    const refused = await post("/v1/messages", HELLO, { "x-api-key": k });
    expectGatewayHeaders(refused, "no-store");
    const body = await expectAnthropicError(refused, 400, "invalid_request_error", /bad request/);
    expect(body.request_id).toBe(refused.headers.get("request-id"));
    expect(refused.headers.get("x-breakwater-target")).toBe("us-east-1/us.anthropic.claude-sonnet-4-6");

    const chat = await post("/v1/chat/completions", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hi" }] }, { "x-api-key": k });
    expect(chat.status).toBe(200);
    expectGatewayHeaders(chat, "no-store");
    expect(chat.headers.get("x-litellm-key-max-budget")).toBe("10");
    await chat.text();
  });

  it("answers built outside the call pipeline are dressed the same way", async () => {
    const models = await fetch(`${url}/v1/models`, { headers: { "x-api-key": key } });
    expect(models.status).toBe(200);
    expectGatewayHeaders(models, "no-store");
    await models.text();
    // (A refused key would do too, but failed authentications count against this address's abuse limit.)
    const malformed = await post("/v1/messages", "{not json");
    expectGatewayHeaders(malformed, "no-store");
    await expectAnthropicError(malformed, 400, "invalid_request_error");
  });
});

describe("count_tokens", () => {
  it("uses Bedrock CountTokens on the base model id and records no spend", async () => {
    const k = await stack.createKey({ alias: "counter" });
    const tools = [{ name: "lookup", description: "d", input_schema: { type: "object" } }];
    const small = await post("/v1/messages/count_tokens", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hello there" }] }, { "x-api-key": k });
    const res = await post(
      "/v1/messages/count_tokens",
      { model: "claude-sonnet-4-6", system: "You are terse.", tools, messages: [{ role: "user", content: "Hello there" }] },
      { "x-api-key": k, "anthropic-beta": "claude-code-20250219" },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { input_tokens: number };
    expect(body).toEqual({ input_tokens: expect.any(Number) });
    // System and tools are counted: the same messages with them count more.
    expect(body.input_tokens).toBeGreaterThan(((await small.json()) as { input_tokens: number }).input_tokens);
    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.operation).toBe("CountTokens");
    expect(seen.modelId).toBe("anthropic.claude-sonnet-4-6"); // base id, not the inference profile
    const invokeBody = JSON.parse(Buffer.from((seen.body as any).input.invokeModel.body, "base64").toString("utf8"));
    expect(invokeBody).toMatchObject({ anthropic_version: "bedrock-2023-05-31", max_tokens: 1, system: "You are terse.", tools });
    expect(invokeBody).not.toHaveProperty("model");
    await new Promise((r) => setTimeout(r, 200));
    expect((await stack.spendRows()).filter((r) => r.keyAlias === "counter")).toHaveLength(0);
  });

  it("an answer CountTokens cuts short is a 502 api_error, not a 500", async () => {
    stack.emulator.script({ truncatedBody: true });
    const res = await post("/v1/messages/count_tokens", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hello there" }] });
    await expectAnthropicError(res, 502, "api_error", /no token count/);
    expect(stack.emulator.requests.at(-1)!.operation).toBe("CountTokens");
  });

  it.each([
    ["the JSON null", null],
    ["an object without a count", {}],
    ["a count that is not a number", { inputTokens: "12" }],
    ["a count that is not a count", { inputTokens: -3 }],
  ])("an answer that is %s is a 502 api_error, not a 500", async (_what, body) => {
    stack.emulator.script({ replaceBody: body });
    const res = await post("/v1/messages/count_tokens", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hello there" }] });
    await expectAnthropicError(res, 502, "api_error", /no token count/);
    expect(stack.emulator.requests.at(-1)!.operation).toBe("CountTokens");
  });
});

describe("bad input gets a 4xx in Anthropic error JSON and no spend row", () => {
  it.each([
    ["malformed JSON", "{\"model\": ", {}, 400, /not valid JSON/],
    ["wrong content type", JSON.stringify(HELLO), { "content-type": "text/plain" }, 415, /application\/json/],
    ["missing model", JSON.stringify({ ...HELLO, model: undefined }), {}, 400, /model/],
    ["unknown model", JSON.stringify({ ...HELLO, model: "claude-nonexistent-9" }), {}, 404, /Available models: .*claude-sonnet-4-6/],
    ["empty messages", JSON.stringify({ ...HELLO, messages: [] }), {}, 400, /messages/],
    ["missing max_tokens", JSON.stringify({ ...HELLO, max_tokens: undefined }), {}, 400, /max_tokens/],
    ["a content block that is not an object", JSON.stringify({ ...HELLO, messages: [{ role: "user", content: [{ type: "text", text: "hi" }, "hi"] }] }), {}, 400, /messages\.0\.content: must be a string or an array of content blocks/],
    ["system blocks that are not objects", JSON.stringify({ ...HELLO, system: [["nested"]] }), {}, 400, /system: must be a string or an array of content blocks/],
    ["a JSON array", "[]", {}, 400, /JSON object/],
    ["an empty body", "", {}, 400, /empty/],
  ])("%s", async (_name, body, headers, status, message) => {
    const k = await stack.createKey({ alias: `bad-${_name}` });
    const before = stack.emulator.requests.length;
    const res = await post("/v1/messages", body, { "x-api-key": k, ...(headers as Record<string, string>) });
    await expectAnthropicError(res, status, status === 404 ? "not_found_error" : "invalid_request_error", message);
    expect(stack.emulator.requests.length).toBe(before); // never reached Bedrock
    await new Promise((r) => setTimeout(r, 50));
    expect((await stack.spendRows()).filter((r) => r.keyAlias === `bad-${_name}`)).toHaveLength(0);
  });

  it("oversized body → 413 request_too_large (drained, never buffered)", async () => {
    const huge = JSON.stringify({ ...HELLO, messages: [{ role: "user", content: "x".repeat(21 * 1024 * 1024) }] });
    const res = await post("/v1/messages", huge);
    await expectAnthropicError(res, 413, "request_too_large", /20 MB/);
  });
});
