import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { describe, expect, it } from "vitest";
import { rewriteInvokeResponse } from "../../worker/protocols/anthropic/response.ts";
import {
  bedrockToAnthropicSSE,
  reportReadableCancel,
  sseEvent,
  type StreamEndReport,
} from "../../worker/protocols/anthropic/stream.ts";
import { UsageTracker, usageFromMessage } from "../../worker/protocols/anthropic/usage.ts";
import { bedrockFixtureBytes, bedrockFixtureJson, parseSSE, randomSplit, seededRandom, splitAt, byteSource } from "../support/fixtures.ts";

const CLAUDE = "invoke-with-response-stream.claude.bin";
const THROTTLING = "invoke-with-response-stream.throttling-exception.bin";
const MODEL = "claude-sonnet-4-5";
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The fixture events as a client should see them: model renamed, Bedrock metrics removed. */
function expectedClientEvents(): any[] {
  const events = bedrockFixtureJson<any[]>("invoke-with-response-stream.claude.events.json");
  return events.map((ev) => {
    if (ev.type === "message_start") return { ...ev, message: { ...ev.message, model: MODEL } };
    if (ev.type === "message_stop") {
      const { ["amazon-bedrock-invocationMetrics"]: _m, ...rest } = ev;
      return rest;
    }
    return ev;
  });
}

const source = byteSource;

async function transcode(pieces: Uint8Array[], settle = true) {
  const ends: StreamEndReport[] = [];
  const src = source(pieces);
  const out = src.stream.pipeThrough(bedrockToAnthropicSSE({ requestedModel: MODEL, onEnd: (r) => ends.push(r) }));
  const text = await new Response(out).text();
  // Let the pipe settle (source cancellation happens after the readable closes).
  if (settle) await new Promise((resolve) => setTimeout(resolve, 0));
  return { text, ends, sourceCancelled: src.state.cancelled };
}

/** Frame bytes of one Anthropic event, as Bedrock sends it. */
function chunkFrame(event: unknown, padding = "abc"): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event)).toString("base64");
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: "chunk" },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify({ bytes, p: padding })),
  });
}

describe("sseEvent", () => {
  it("formats one Anthropic SSE event", () => {
    expect(sseEvent("ping", { type: "ping" })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});

describe("bedrockToAnthropicSSE on the Claude fixture", () => {
  it("emits the fixture's events with the requested model and without Bedrock metrics", async () => {
    const { text, ends } = await transcode([bedrockFixtureBytes(CLAUDE)]);
    const events = parseSSE(text);
    const expected = expectedClientEvents();
    expect(events.map((e) => e.data)).toEqual(expected);
    expect(events.map((e) => e.event)).toEqual(expected.map((e) => e.type));
    expect(text).not.toContain("amazon-bedrock-invocationMetrics");
    expect(text).not.toContain('"p":');
    expect(text).toContain("☀️ — «Paris»");
    expect(events[0]!.data.message.model).toBe(MODEL);

    expect(ends).toHaveLength(1);
    expect(ends[0]).toEqual({
      usage: { input_tokens: 412, output_tokens: 61, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation_1h_input_tokens: 0 },
      stopReason: "tool_use",
      error: null,
      completed: true,
    });
  });

  it("gives byte-identical output for 1-byte pushes, every 2-way split and random splits", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const reference = (await transcode([bytes])).text;

    const oneByte = await transcode(splitAt(bytes, Array.from(bytes, (_, i) => i)));
    expect(oneByte.text).toBe(reference);
    expect(oneByte.ends).toHaveLength(1);
    expect(oneByte.ends[0]!.completed).toBe(true);

    for (let cut = 1; cut < bytes.length; cut++) {
      const { text } = await transcode([bytes.subarray(0, cut), bytes.subarray(cut)], false);
      if (text !== reference) throw new Error(`output differs when split at byte ${cut}`);
    }
    for (let seed = 1; seed <= 50; seed++) {
      const { text } = await transcode(randomSplit(bytes, seededRandom(seed), 40));
      expect(text, `seed ${seed}`).toBe(reference);
    }
  }, 30_000); // ~4,700 short streams: generous headroom for a loaded machine, not a timing assertion

  it("emits each event as soon as its frame is complete", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const firstFrameLength = new DataView(bytes.buffer).getUint32(0);
    const ts = bedrockToAnthropicSSE({ requestedModel: MODEL, onEnd: () => {} });
    const writer = ts.writable.getWriter();
    const reader = ts.readable.getReader();
    void writer.write(bytes.subarray(0, firstFrameLength));
    const first = await reader.read();
    expect(first.done).toBe(false);
    const events = parseSSE(new TextDecoder().decode(first.value));
    expect(events.map((e) => e.event)).toEqual(["message_start"]);
    await reader.cancel();
  });
});

describe("bedrockToAnthropicSSE errors", () => {
  it("throttling fixture: three events, then a rate_limit_error event with the verbatim message, then the end", async () => {
    const { text, ends } = await transcode([bedrockFixtureBytes(THROTTLING)]);
    const events = parseSSE(text);
    expect(events.map((e) => e.event)).toEqual(["message_start", "content_block_start", "content_block_delta", "error"]);
    expect(events[3]!.data).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "Too many tokens, please wait before trying again." },
    });
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);
    expect(ends[0]!.error).toEqual({
      name: "throttlingException",
      message: "Too many tokens, please wait before trying again.",
      status: 429,
    });
    expect(ends[0]!.usage.input_tokens).toBe(412);
  });

  it("stops at the exception even when more bytes follow, and cancels the upstream body", async () => {
    const bytes = bedrockFixtureBytes(THROTTLING);
    const trailing = chunkFrame({ type: "content_block_stop", index: 0 });
    const { text, ends, sourceCancelled } = await transcode([bytes, trailing, trailing]);
    const events = parseSSE(text);
    expect(events.at(-1)!.event).toBe("error");
    expect(events.filter((e) => e.event === "content_block_stop")).toHaveLength(0);
    expect(ends).toHaveLength(1);
    expect(sourceCancelled).toBe(true);
  });

  it("maps a raw error frame through toAnthropicError", async () => {
    const errorFrame = codec.encode({
      headers: {
        ":message-type": { type: "string", value: "error" },
        ":error-code": { type: "string", value: "InternalFailure" },
        ":error-message": { type: "string", value: "The request processing has failed." },
      },
      body: new Uint8Array(0),
    });
    const { text, ends } = await transcode([chunkFrame({ type: "ping" }), errorFrame]);
    const events = parseSSE(text);
    expect(events).toEqual([
      { event: "ping", data: { type: "ping" } },
      { event: "error", data: { type: "error", error: { type: "api_error", message: "The request processing has failed." } } },
    ]);
    expect(ends[0]!.error!.name).toBe("InternalFailure");
  });

  it("reports a CRC mismatch as api_error after relaying the good events before it", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    bytes[bytes.length - 10]! ^= 0xff; // corrupt the last frame (message_stop)
    const { text, ends } = await transcode([bytes]);
    const events = parseSSE(text);
    expect(events).toHaveLength(16);
    expect(events.slice(0, 15).map((e) => e.data)).toEqual(expectedClientEvents().slice(0, 15));
    expect(events[15]!.event).toBe("error");
    expect(events[15]!.data.error.type).toBe("api_error");
    expect(events[15]!.data.error.message).toMatch(/CRC/);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);
    expect(ends[0]!.error).not.toBeNull();
    expect(ends[0]!.usage.output_tokens).toBe(61); // message_delta got through
  });

  it("reports a truncated body as api_error at the end", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const { text, ends } = await transcode([bytes.subarray(0, bytes.length - 7)]);
    const events = parseSSE(text);
    expect(events).toHaveLength(16);
    expect(events[15]!.data.error).toEqual({ type: "api_error", message: expect.stringMatching(/truncated/) });
    expect(ends).toEqual([expect.objectContaining({ completed: false, stopReason: "tool_use" })]);
  });

  it("reports a body that ends cleanly but before message_stop", async () => {
    const { text, ends } = await transcode([chunkFrame({ type: "ping" })]);
    const events = parseSSE(text);
    expect(events.map((e) => e.event)).toEqual(["ping", "error"]);
    expect(events[1]!.data.error.type).toBe("api_error");
    expect(ends[0]!.completed).toBe(false);
  });

  it("reports an undecodable chunk payload as api_error", async () => {
    const bad = codec.encode({
      headers: { ":event-type": { type: "string", value: "chunk" }, ":message-type": { type: "string", value: "event" } },
      body: fromUtf8('{"bytes":"!!!not base64"}'),
    });
    const { text, ends } = await transcode([bad]);
    expect(parseSSE(text)).toEqual([
      { event: "error", data: { type: "error", error: { type: "api_error", message: expect.stringMatching(/could not be decoded/) } } },
    ]);
    expect(ends).toHaveLength(1);
  });

  it("skips unknown event types and chunks without bytes, like the AWS SDK", async () => {
    const other = codec.encode({
      headers: { ":event-type": { type: "string", value: "somethingNew" }, ":message-type": { type: "string", value: "event" } },
      body: fromUtf8("{}"),
    });
    const empty = codec.encode({
      headers: { ":event-type": { type: "string", value: "chunk" }, ":message-type": { type: "string", value: "event" } },
      body: fromUtf8('{"p":"abc"}'),
    });
    const { text } = await transcode([other, empty, chunkFrame({ type: "message_stop" })]);
    expect(parseSSE(text)).toEqual([{ event: "message_stop", data: { type: "message_stop" } }]);
  });
});

describe("bedrockToAnthropicSSE cancellation", () => {
  it("calls onEnd once, with partial usage, when the client cancels the readable", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const ends: StreamEndReport[] = [];
    const src = source(randomSplit(bytes, seededRandom(7), 200));
    const out = src.stream.pipeThrough(bedrockToAnthropicSSE({ requestedModel: MODEL, onEnd: (r) => ends.push(r) }));
    const reader = out.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(new TextDecoder().decode(first.value)).toContain("message_start");
    await reader.cancel(new Error("client went away"));
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);
    expect(ends[0]!.error).toBeNull();
    expect(ends[0]!.usage.input_tokens).toBe(412);
    expect(ends[0]!.usage.output_tokens).toBeLessThan(61);
    expect(src.state.cancelled).toBe(true); // the Bedrock body is released too
  });

  it("calls onEnd once when the upstream body errors mid-stream", async () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const ends: StreamEndReport[] = [];
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(bytes.subarray(0, 1000));
        } else controller.error(new Error("connection reset"));
      },
    });
    const out = failing.pipeThrough(bedrockToAnthropicSSE({ requestedModel: MODEL, onEnd: (r) => ends.push(r) }));
    await expect(new Response(out).text()).rejects.toThrow();
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(false);
  });

  it("does not call onEnd again when cancelled after the stream finished", async () => {
    const ends: StreamEndReport[] = [];
    const ts = bedrockToAnthropicSSE({ requestedModel: MODEL, onEnd: (r) => ends.push(r) });
    const writer = ts.writable.getWriter();
    const reader = ts.readable.getReader();
    const reading = (async () => {
      while (!(await reader.read()).done);
    })();
    await writer.write(bedrockFixtureBytes(CLAUDE));
    await writer.close();
    await reading;
    await reader.cancel().catch(() => {});
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completed).toBe(true);
  });

  it("an onEnd that throws does not break the stream", async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const src = source([bedrockFixtureBytes(CLAUDE)]);
      const out = src.stream.pipeThrough(
        bedrockToAnthropicSSE({
          requestedModel: MODEL,
          onEnd: () => {
            throw new Error("metering down");
          },
        }),
      );
      const events = parseSSE(await new Response(out).text());
      expect(events).toHaveLength(16);
    } finally {
      console.error = original;
    }
  });
});

describe("reportReadableCancel (fallback for runtimes without transformer.cancel)", () => {
  it("reports a consumer cancel once and passes data through unchanged", async () => {
    let gone = 0;
    const wrapped = reportReadableCancel(new TransformStream<Uint8Array, Uint8Array>(), () => gone++);
    const writer = wrapped.writable.getWriter();
    const reader = wrapped.readable.getReader();
    void writer.write(new Uint8Array([1, 2, 3]));
    const r = await reader.read();
    expect(Array.from(r.value!)).toEqual([1, 2, 3]);
    await reader.cancel("bye");
    expect(gone).toBe(1);
  });

  it("reports an upstream abort and closes normally otherwise", async () => {
    let gone = 0;
    const aborted = reportReadableCancel(new TransformStream<Uint8Array, Uint8Array>(), () => gone++);
    const reading = new Response(aborted.readable).text();
    await aborted.writable.getWriter().abort(new Error("reset"));
    await expect(reading).rejects.toThrow();
    expect(gone).toBe(1);

    let gone2 = 0;
    const clean = reportReadableCancel(new TransformStream<Uint8Array, Uint8Array>(), () => gone2++);
    const text = new Response(clean.readable).text();
    const w = clean.writable.getWriter();
    await w.write(new TextEncoder().encode("ok"));
    await w.close();
    expect(await text).toBe("ok");
    expect(gone2).toBe(0);
  });
});

describe("UsageTracker", () => {
  it("takes input/cache from message_start and the latest output_tokens from message_delta", () => {
    const t = new UsageTracker();
    t.observe({
      type: "message_start",
      message: { usage: { input_tokens: 10, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 1 } },
    });
    t.observe({ type: "message_delta", delta: {}, usage: { output_tokens: 7 } });
    t.observe({ type: "message_delta", delta: {}, usage: { output_tokens: 15 } });
    expect(t.usage).toEqual({ input_tokens: 10, output_tokens: 15, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 });
  });

  it("takes non-zero input/cache figures from message_delta, ignores zeros", () => {
    const t = new UsageTracker();
    t.observe({ type: "message_start", message: { usage: { input_tokens: 10, cache_read_input_tokens: 4, output_tokens: 1 } } });
    t.observe({
      type: "message_delta",
      usage: { output_tokens: 9, input_tokens: 12, cache_read_input_tokens: 0, cache_creation_input_tokens: 6 },
    });
    expect(t.usage).toEqual({ input_tokens: 12, output_tokens: 9, cache_creation_input_tokens: 6, cache_read_input_tokens: 4 });
  });

  it("fills in from amazon-bedrock-invocationMetrics when larger or missing", () => {
    const t = new UsageTracker();
    t.observe({ type: "message_start", message: { usage: { input_tokens: 10, output_tokens: 1 } } });
    t.observe({
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": { inputTokenCount: 8, outputTokenCount: 20, cacheReadInputTokenCount: 30 },
    });
    expect(t.usage).toEqual({ input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 30 });

    const onlyMetrics = new UsageTracker();
    onlyMetrics.observe({ type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 5, outputTokenCount: 6 } });
    expect(onlyMetrics.usage.input_tokens).toBe(5);
    expect(onlyMetrics.usage.output_tokens).toBe(6);
  });

  it("keeps the 1-hour share of cache writes from the cache_creation breakdown", () => {
    const t = new UsageTracker();
    t.observe({ type: "message_start", message: { usage: { input_tokens: 4, cache_creation_input_tokens: 30, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 } } } });
    expect(t.usage.cache_creation_1h_input_tokens).toBe(20);
    expect(usageFromMessage({ usage: { cache_creation_input_tokens: 7, cache_creation: { ephemeral_1h_input_tokens: 7 } } }).cache_creation_1h_input_tokens).toBe(7);
  });

  it("ignores junk and returns a copy", () => {
    const t = new UsageTracker();
    for (const junk of [null, 1, "x", { type: "message_start" }, { type: "message_delta", usage: { output_tokens: -3 } }]) {
      t.observe(junk);
    }
    const u = t.usage;
    expect(u).toEqual({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    u.input_tokens = 99;
    expect(t.usage.input_tokens).toBe(0);
  });

  it("usageFromMessage reads a non-streaming body, nulls as 0", () => {
    expect(usageFromMessage(bedrockFixtureJson("invoke.claude.response.json"))).toEqual({
      input_tokens: 12,
      output_tokens: 12,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_1h_input_tokens: 0,
    });
    expect(usageFromMessage({ usage: { input_tokens: 3, cache_read_input_tokens: null } })).toEqual({
      input_tokens: 3,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_1h_input_tokens: 0,
    });
    expect(usageFromMessage(undefined).input_tokens).toBe(0);
  });
});

describe("rewriteInvokeResponse", () => {
  it("sets the requested model on a new object", () => {
    const body = bedrockFixtureJson<any>("invoke.claude.response.json");
    const out = rewriteInvokeResponse(body, MODEL);
    expect(out).toEqual({ ...body, model: MODEL });
    expect(out).not.toBe(body);
    expect(body.model).toBe("claude-sonnet-4-5-20250929");
  });
});
