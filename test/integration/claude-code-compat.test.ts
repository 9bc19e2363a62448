// The ways Bedrock gateways fail Claude Code, each proved not to happen here: prompt caching lost, thinking blocks
// mangled, beta flags and new fields refused, greedy model matching, no failover, silent streams cut by proxies.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_KNOWN_BETAS, startEmulator, type Emulator } from "../support/emulator/index.ts";
import { parseSSE } from "../support/fixtures.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let secondary: Emulator;
let key: string;
let client: Anthropic;

const ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456";

beforeAll(async () => {
  secondary = await startEmulator();
  stack = await startStack({
    env: (primary) => ({
      STREAM_PING_MS: "300",
      // Before claude-sonnet-4-5's end of life (2026-11-30): it is still sent to its own id here.
      MODEL_LIFECYCLE_DATE: "2026-11-15",
      MODEL_ALIASES: JSON.stringify({ "claude-sonnet-4-5-20250929": "claude-sonnet-4-6" }),
      MODEL_ARNS: JSON.stringify({ [ARN]: "claude-sonnet-4-6" }),
      // Opus 4.7 is served from two places: the primary emulator, then (on throttling/5xx) the secondary one with
      // the global profile.
      BEDROCK_TARGETS: JSON.stringify({
        "claude-opus-4-7": [
          { name: "primary", endpoint: primary.url },
          { name: "secondary", endpoint: secondary.url, profile: "global" },
        ],
      }),
    }),
  });
  key = await stack.createKey({ alias: "compat" });
  client = new Anthropic({ apiKey: key, baseURL: stack.gateway.url, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await secondary?.stop();
});
beforeEach(() => {
  stack.emulator.reset();
  secondary.reset();
});

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.gateway.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, ...headers },
    body: JSON.stringify(body),
  });
}

const lastBody = (emu: Emulator = stack.emulator) => emu.requests.at(-1)!.body as Record<string, any>;

describe("prompt caching, end to end", () => {
  const cached = (text: string, extra: Record<string, unknown> = {}) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 64,
    system: [{ type: "text", text: `${text} `.repeat(200), cache_control: { type: "ephemeral", scope: "session", ...extra } }],
    tools: [{ name: "t", description: "d", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
  });

  it("relays cache_control (sanitised) and reports cache writes then reads, streamed and not", async () => {
    const first = await client.messages.create(cached("You are a cached system prompt.") as any);
    const sent = lastBody();
    expect(sent.system[0].cache_control).toEqual({ type: "ephemeral" }); // `scope` removed, the marker kept
    expect(sent.tools[0].cache_control).toEqual({ type: "ephemeral" });
    expect(sent.messages[0].content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_read_input_tokens).toBe(0);

    const stream = client.messages.stream(cached("You are a cached system prompt.") as any);
    const events: any[] = [];
    stream.on("streamEvent", (e) => events.push(e));
    const second = await stream.finalMessage();
    const start = events.find((e) => e.type === "message_start");
    expect(start.message.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it("bills cache reads and writes at the catalog's cache prices (5-minute and 1-hour writes)", async () => {
    const k = await stack.createKey({ alias: "cache-bill" });
    const c = new Anthropic({ apiKey: k, baseURL: stack.gateway.url, maxRetries: 0 });
    const write1h = await c.messages.create(cached("One hour TTL prompt.", { ttl: "1h" }) as any);
    const read = await c.messages.create(cached("One hour TTL prompt.", { ttl: "1h" }) as any);
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "cache-bill").length).toBe(2);
    const rows = (await stack.spendRows()).filter((r) => r.keyAlias === "cache-bill").sort((a, b) => a.id - b.id);
    // Sonnet 4.6 per 1M tokens: input $3, output $15, cache read $0.30, cache write $3.75 (5 minutes) / $6 (1 hour).
    const u1 = write1h.usage;
    const oneHour = u1.cache_creation!.ephemeral_1h_input_tokens;
    const fiveMin = u1.cache_creation!.ephemeral_5m_input_tokens;
    expect(oneHour).toBeGreaterThan(0);
    expect(fiveMin).toBeGreaterThan(0); // the request mixes a 1-hour breakpoint with 5-minute ones
    expect(rows[0]!.cacheCreationInputTokens).toBe(u1.cache_creation_input_tokens);
    expect(Number(rows[0]!.cost)).toBeCloseTo((u1.input_tokens * 3 + u1.output_tokens * 15 + oneHour * 6 + fiveMin * 3.75) / 1e6, 10);
    const u2 = read.usage;
    expect(rows[1]!.cacheReadInputTokens).toBe(u2.cache_read_input_tokens);
    expect(Number(rows[1]!.cost)).toBeCloseTo((u2.input_tokens * 3 + u2.output_tokens * 15 + u2.cache_read_input_tokens! * 0.3) / 1e6, 10);
  });
});

describe("extended thinking", () => {
  it("streams thinking_delta and signature_delta, and the SDK assembles a signed thinking block", async () => {
    stack.emulator.script({ thinking: "Let me reason about Paris.", text: "Paris is the capital." });
    const res = await post({ model: "claude-sonnet-4-6", max_tokens: 2000, stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "Capital of France?" }] });
    const events = parseSSE(await res.text());
    const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.type);
    expect(deltas).toContain("thinking_delta");
    expect(deltas).toContain("signature_delta");
    expect(lastBody().thinking).toEqual({ type: "enabled", budget_tokens: 1024 });

    stack.emulator.script({ thinking: "Adaptive thoughts.", text: "Done." });
    const final = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 2000, thinking: { type: "adaptive" } as any, messages: [{ role: "user", content: "x" }] });
    const thinking = final.content.find((b) => b.type === "thinking") as any;
    expect(thinking.thinking).toBe("Adaptive thoughts.");
    expect(thinking.signature).toMatch(/\S{20,}/);
  });

  it("relays thinking blocks sent back in a later turn unchanged (Bedrock verifies their signatures)", async () => {
    stack.emulator.script({ thinking: "I should call the tool.", toolUse: { name: "lookup", input: { q: "x" } } });
    const tools = [{ name: "lookup", description: "d", input_schema: { type: "object" as const } }];
    const turn1 = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 }, tools, messages: [{ role: "user", content: "go" }] });
    const toolUse = turn1.content.find((b) => b.type === "tool_use")!;
    const turn2 = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools,
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: turn1.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: (toolUse as any).id, content: "42" }] },
      ],
    });
    expect(turn2.content.at(-1)).toMatchObject({ type: "text", text: "Tool result received: 42" });
    const relayed = lastBody().messages[1].content;
    expect(relayed).toEqual(JSON.parse(JSON.stringify(turn1.content)));
  });
});

describe("redacted thinking", () => {
  it("passes redacted_thinking blocks through streams and relays them back intact", async () => {
    stack.emulator.script({ thinking: "visible", redactedThinking: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj4ZnIhPkdJ", text: "ok" });
    const res = await post({ model: "claude-sonnet-4-6", max_tokens: 2000, stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "x" }] });
    const events = parseSSE(await res.text());
    const start = events.find((e) => e.event === "content_block_start" && e.data.content_block.type === "redacted_thinking")!;
    expect(start.data.content_block.data).toMatch(/^EmwKAhgB/);

    stack.emulator.script({ thinking: "visible", redactedThinking: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj4ZnIhPkdJ", text: "ok" });
    const turn1 = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "x" }] });
    expect(turn1.content.map((b) => b.type)).toEqual(["thinking", "redacted_thinking", "text"]);
    const turn2 = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "x" }, { role: "assistant", content: turn1.content }, { role: "user", content: "and?" }],
    });
    expect(turn2.type).toBe("message"); // the emulator refuses tampered thinking or unknown redacted data with a 400
    expect(lastBody().messages[1].content).toEqual(JSON.parse(JSON.stringify(turn1.content)));
  });
});

describe("beta flags and fields Bedrock refuses", () => {
  it("filters anthropic-beta through the per-model allowlist and translates bundles", async () => {
    await post({ model: "claude-opus-4-6", max_tokens: 10, messages: [{ role: "user", content: "x" }] }, {
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20,advanced-tool-use-2025-11-20",
    });
    expect(lastBody().anthropic_beta).toEqual(["interleaved-thinking-2025-05-14", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29"]);
  });

  it("learns a beta flag Bedrock rejects: drops it, retries once, and never sends it for that model again", async () => {
    stack.emulator.configure({ knownBetas: DEFAULT_KNOWN_BETAS.filter((b) => b !== "effort-2025-11-24") });
    try {
      const req = { model: "claude-opus-4-6", max_tokens: 10, messages: [{ role: "user", content: "x" }] };
      const headers = { "anthropic-beta": "effort-2025-11-24,interleaved-thinking-2025-05-14" };
      const first = await post(req, headers);
      expect(first.status).toBe(200);
      const [refused, retried] = stack.emulator.requests;
      expect(refused!.status).toBe(400);
      expect((refused!.body as any).anthropic_beta).toContain("effort-2025-11-24");
      expect(retried!.status).toBe(200);
      expect((retried!.body as any).anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);

      stack.emulator.reset();
      expect((await post(req, headers)).status).toBe(200);
      expect(stack.emulator.requests).toHaveLength(1); // remembered: no second 400
      expect(lastBody().anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
      // Other models still try the flag: the memory is per model.
      stack.emulator.reset();
      expect((await post({ ...req, model: "claude-opus-4-7" }, headers)).status).toBe(200);
      expect((stack.emulator.requests[0]!.body as any).anthropic_beta).toContain("effort-2025-11-24");
    } finally {
      stack.emulator.configure({ knownBetas: [...DEFAULT_KNOWN_BETAS] });
    }
  });

  it("learns fields Bedrock rejects (a top-level key, a key inside output_config) the same way", async () => {
    stack.emulator.configure({ rejectTopLevelKeys: ["context_management"], rejectOutputConfigKeys: ["task_budget"] });
    try {
      const req = {
        model: "claude-sonnet-4-6",
        max_tokens: 10,
        output_config: { effort: "medium", task_budget: 100 },
        context_management: { edits: [{ type: "compact_20260112" }] },
        messages: [{ role: "user", content: "x" }],
      };
      const res = await post(req, { "anthropic-beta": "compact-2026-01-12" });
      expect(res.status).toBe(200); // two refusals, each named, each learned, then served
      expect(stack.emulator.requests.map((r) => r.status)).toEqual([400, 400, 200]);
      const sent = lastBody();
      expect(sent).not.toHaveProperty("context_management");
      expect(sent.output_config).toEqual({ effort: "medium" });
      stack.emulator.reset();
      expect((await post(req, { "anthropic-beta": "compact-2026-01-12" })).status).toBe(200);
      expect(stack.emulator.requests).toHaveLength(1);
    } finally {
      stack.emulator.configure({ rejectTopLevelKeys: [], rejectOutputConfigKeys: [] });
    }
  });

  it("turns the [1m] suffix into the 1M-context beta", async () => {
    const res = await post({ model: "claude-sonnet-4-6[1m]", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).model).toBe("claude-sonnet-4-6[1m]");
    expect(lastBody().anthropic_beta).toEqual(["context-1m-2025-08-07"]);
    expect(stack.emulator.requests.at(-1)!.modelId).toBe("us.anthropic.claude-sonnet-4-6");
  });
});

describe("model names", () => {
  const call = (model: string) => post({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] });

  it("maps dated, undated, current and operator-aliased names exactly", async () => {
    for (const [name, id] of [
      ["claude-haiku-4-5-20251001", "us.anthropic.claude-haiku-4-5-20251001-v1:0"],
      ["claude-haiku-4-5", "us.anthropic.claude-haiku-4-5-20251001-v1:0"],
      ["claude-opus-5-5", "us.anthropic.claude-opus-5-5"],
      ["claude-sonnet-4-5-20250929", "us.anthropic.claude-sonnet-4-6"], // operator alias to the successor
      ["claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ]) {
      const res = await call(name!);
      expect(res.status, name).toBe(200);
      expect(((await res.json()) as any).model).toBe(name);
      expect(stack.emulator.requests.at(-1)!.modelId).toBe(id);
    }
  });

  it("passes full Bedrock ids, profile ids and registered application-profile ARNs through as they are", async () => {
    for (const id of ["anthropic.claude-sonnet-4-6", "global.anthropic.claude-sonnet-4-6", "eu.anthropic.claude-haiku-4-5-20251001-v1:0", ARN]) {
      const res = await call(id);
      expect(res.status, id).toBe(200);
      expect(stack.emulator.requests.at(-1)!.modelId).toBe(id);
    }
  });

  it("never matches greedily: near-misses are 404 not_found_error listing what is available", async () => {
    for (const name of ["claude-sonnet-4", "claude-sonnet-4-6-20990101", "sonnet", "claude-opus-4-7-", "us.anthropic.claude-unknown-v1:0", "arn:aws:bedrock:us-east-1:1:application-inference-profile/unregistered"]) {
      const res = await call(name);
      expect(res.status, name).toBe(404);
      const body = (await res.json()) as any;
      expect(body.error.type).toBe("not_found_error");
      expect(body.error.message).toContain("claude-sonnet-4-6");
    }
    expect(stack.emulator.requests).toHaveLength(0);
  });

  it("lists the catalog in the Anthropic format", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("claude-opus-5-5");
    expect(ids).toContain("claude-haiku-4-5");
    expect(ids).not.toContain("nova-pro"); // not an Anthropic-dialect model
    expect(page.data[0]).toMatchObject({ type: "model", display_name: expect.any(String), created_at: expect.stringMatching(/^\d{4}-/) });
  });
});

describe("failover across targets", () => {
  const opus = (stream = false) => ({ model: "claude-opus-4-7", max_tokens: 20, stream, messages: [{ role: "user", content: "x" }] });

  it("moves to the next target on throttling and says which target served", async () => {
    stack.emulator.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." } });
    const res = await post(opus());
    expect(res.status).toBe(200);
    expect(res.headers.get("x-breakwater-target")).toBe("secondary");
    expect(stack.emulator.requests.at(-1)!.modelId).toBe("us.anthropic.claude-opus-4-7");
    expect(secondary.requests.at(-1)!.modelId).toBe("global.anthropic.claude-opus-4-7");
    await expect.poll(async () => (await stack.spendRows()).some((r) => r.target === "secondary" && r.bedrockModel === "global.anthropic.claude-opus-4-7")).toBe(true);
  });

  it("moves on 5xx, and on an exception that arrives as the stream's first frame", async () => {
    stack.emulator.script({ http: { status: 503, errorType: "ServiceUnavailableException", message: "Unavailable." } });
    expect((await post(opus())).headers.get("x-breakwater-target")).toBe("secondary");
    stack.emulator.script({ streamException: { type: "throttlingException", message: "Too many tokens.", afterEvents: 0 } });
    const res = await post(opus(true));
    expect(res.headers.get("x-breakwater-target")).toBe("secondary");
    const events = parseSSE(await res.text());
    expect(events.at(-1)!.event).toBe("message_stop");
  });

  it("stays on the first target when it answers, and reports a mid-stream error in-stream instead of failing over", async () => {
    const ok = await post(opus());
    expect(ok.headers.get("x-breakwater-target")).toBe("primary");
    stack.emulator.script({ streamException: { type: "throttlingException", message: "Too many tokens, please wait before trying again.", afterEvents: 3 } });
    const res = await post(opus(true));
    expect(res.headers.get("x-breakwater-target")).toBe("primary");
    const events = parseSSE(await res.text());
    expect(events.at(-1)).toMatchObject({ event: "error", data: { error: { type: "rate_limit_error" } } });
    expect(secondary.requests).toHaveLength(0);
  });

  it("does not fail over on a client error, and returns the last error when every target fails", async () => {
    stack.emulator.script({ http: { status: 400, errorType: "ValidationException", message: "messages: bad input" } });
    const bad = await post(opus());
    expect(bad.status).toBe(400);
    expect(secondary.requests).toHaveLength(0);
    stack.emulator.script({ http: { status: 429, errorType: "ThrottlingException", message: "primary throttled" } });
    secondary.script({ http: { status: 429, errorType: "ThrottlingException", message: "secondary throttled" } });
    const res = await post(opus());
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.message).toBe("secondary throttled");
  });
});

describe("streaming quality", () => {
  it("sends ping events while Bedrock is silent", async () => {
    stack.emulator.script({ text: "slow answer", delayMs: 500 });
    const res = await post({ model: "claude-sonnet-4-6", max_tokens: 50, stream: true, messages: [{ role: "user", content: "x" }] });
    const events = parseSSE(await res.text());
    const pings = events.filter((e) => e.event === "ping");
    expect(pings.length).toBeGreaterThan(0);
    expect(pings[0]!.data).toEqual({ type: "ping" });
    expect(events[0]!.event).toBe("message_start"); // never before the stream has started
    expect(events.at(-1)!.event).toBe("message_stop");
  });

  it("returns a request id on every response, errors included", async () => {
    for (const res of [await post({ model: "nope", max_tokens: 1, messages: [{ role: "user", content: "x" }] }), await fetch(`${stack.gateway.url}/health`), await fetch(`${stack.gateway.url}/x`)]) {
      expect(res.headers.get("request-id")).toMatch(/^req_bw_[0-9a-f]{24}$/);
    }
  });
});
