// The pipeline's settle-once guard (worker/routes/stream-guard.ts): the translator's end fires exactly once, with the
// usage seen so far, however the stream stops — also when the runtime never runs a stream hook.
import { describe, expect, it } from "vitest";
import type { TranscoderStream } from "../../worker/bedrock/frame-transcoder.ts";
import { bedrockToAnthropicSSE, type StreamEndReport } from "../../worker/protocols/anthropic/stream.ts";
import { guardStream } from "../../worker/routes/stream-guard.ts";
import { chunkFrame } from "../support/emulator/frames.ts";
import { bedrockFixtureBytes } from "../support/fixtures.ts";

const START = chunkFrame({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], stop_reason: null, usage: { input_tokens: 42, output_tokens: 1 } } });
const BLOCK = chunkFrame({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
const DELTA = chunkFrame({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } });

/** Bedrock's body: `pieces`, then it ends, fails or goes silent. Records whether the gateway cancelled it. */
function upstream(pieces: Uint8Array[], then: "close" | "error" | "hang") {
  const state = { cancelled: false, index: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const piece = pieces[state.index++];
        if (piece !== undefined) return controller.enqueue(piece);
        if (then === "close") return controller.close();
        if (then === "error") return controller.error(new Error("Network connection lost."));
        return new Promise<void>(() => {}); // silent
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** The real Anthropic translator, its ends collected. */
function anthropic() {
  const ends: StreamEndReport[] = [];
  const translator = bedrockToAnthropicSSE({ requestedModel: "claude-sonnet-4-6", onEnd: (r) => ends.push(r) });
  return { translator, ends };
}

/**
 * A translator whose stream hooks never report anything (a runtime that neither flushes nor cancels a stream the
 * client left): only `end()` can end it.
 */
function hookless() {
  const ends: string[] = [];
  const ts = new TransformStream<Uint8Array, Uint8Array>();
  const translator: TranscoderStream = Object.assign(ts, { end: () => void ends.push("end") });
  return { translator, ends };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

async function readSome(body: ReadableStream<Uint8Array>, n: number) {
  const reader = body.getReader();
  let text = "";
  for (let i = 0; i < n; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  return { reader, text };
}

describe("guardStream", () => {
  it("lets a stream that finishes end once, completed, without cutting it", async () => {
    const { translator, ends } = anthropic();
    const up = upstream([bedrockFixtureBytes("invoke-with-response-stream.claude.bin")], "close");
    const cuts: string[] = [];
    const ac = new AbortController();
    const g = guardStream({ upstream: up.stream, translator, signal: ac.signal, idleMs: 60_000, onCut: (w) => cuts.push(w) });
    const text = await new Response(g.body).text();
    g.settled(); // what the pipeline's onEnd does
    ac.abort(); // a disconnect after the end changes nothing
    await new Promise((r) => setTimeout(r, 10));
    expect(text).toContain("message_stop");
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ completed: true, error: null });
    expect(cuts).toEqual([]);
  });

  it("bills the usage seen so far when the upstream body fails, and errors the client's stream", async () => {
    const { translator, ends } = anthropic();
    const up = upstream([START, BLOCK, DELTA], "error");
    const g = guardStream({ upstream: up.stream, translator, idleMs: 60_000 });
    await expect(new Response(g.body).text()).rejects.toThrow();
    await until(() => ends.length > 0);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ completed: false, usage: { input_tokens: 42 } });
  });

  it("ends a hookless translator when the upstream body fails", async () => {
    const { translator, ends } = hookless();
    const g = guardStream({ upstream: upstream([START], "error").stream, translator, idleMs: 60_000 });
    await expect(new Response(g.body).text()).rejects.toThrow();
    expect(ends).toEqual(["end"]);
  });

  it("ends a hookless translator and cancels Bedrock's body when the client cancels the response", async () => {
    const { translator, ends } = hookless();
    const up = upstream([START, BLOCK, DELTA], "hang");
    const g = guardStream({ upstream: up.stream, translator, idleMs: 60_000 });
    const { reader } = await readSome(g.body, 1);
    await reader.cancel();
    await until(() => up.state.cancelled);
    expect(ends).toEqual(["end"]);
    expect(up.state.cancelled).toBe(true);
  });

  it("bills at once when the request's signal says the client went away, though nothing cancels the stream", async () => {
    const { translator, ends } = anthropic();
    const up = upstream([START, BLOCK, DELTA], "hang");
    const ac = new AbortController();
    const cuts: string[] = [];
    const g = guardStream({ upstream: up.stream, translator, signal: ac.signal, idleMs: 60_000, onCut: (w) => cuts.push(w) });
    const { reader, text } = await readSome(g.body, 2);
    expect(text).toContain("message_start");
    ac.abort(); // the reader is simply abandoned, as a runtime that drops the client does
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ completed: false, usage: { input_tokens: 42 } });
    expect(cuts).toEqual(["the client disconnected"]);
    await until(() => up.state.cancelled);
    expect(up.state.cancelled).toBe(true);
    await expect(reader.read()).rejects.toThrow();
  });

  it("ends at once when the signal had already aborted before the stream began", () => {
    const { translator, ends } = hookless();
    const ac = new AbortController();
    ac.abort();
    guardStream({ upstream: upstream([START], "hang").stream, translator, signal: ac.signal, idleMs: 60_000 });
    expect(ends).toEqual(["end"]);
  });

  it("ends a stream whose upstream goes silent (or is no longer read) after the idle time, once", async () => {
    const { translator, ends } = hookless();
    const up = upstream([START], "hang");
    const cuts: string[] = [];
    const ac = new AbortController();
    guardStream({ upstream: up.stream, translator, signal: ac.signal, idleMs: 30, onCut: (w) => cuts.push(w) });
    // Nobody reads the body: the upstream is not read either, which is what the deadline is for.
    await until(() => ends.length > 0);
    ac.abort();
    await new Promise((r) => setTimeout(r, 50));
    expect(ends).toEqual(["end"]);
    expect(cuts).toEqual(["no upstream bytes for 30 ms"]);
    expect(up.state.cancelled).toBe(true);
  });

  it("ends once when every sign comes together", async () => {
    const { translator, ends } = anthropic();
    const up = upstream([START, BLOCK], "error");
    const ac = new AbortController();
    const g = guardStream({ upstream: up.stream, translator, signal: ac.signal, idleMs: 20 });
    const { reader } = await readSome(g.body, 1);
    ac.abort();
    await reader.cancel().catch(() => {});
    await new Promise((r) => setTimeout(r, 60));
    expect(ends).toHaveLength(1);
  });
});
