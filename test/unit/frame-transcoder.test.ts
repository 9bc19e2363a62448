// The plumbing every Bedrock stream transcoder stands on: one terminal error, onEnd exactly once (also on cancel),
// termination after an error or done(), flush of a truncated or incomplete body. A toy transcoder stands in for
// the real ones so each rule is checked on its own.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BedrockError } from "../../worker/bedrock/errors.ts";
import type { EventStreamFrame } from "../../worker/bedrock/eventstream.ts";
import {
  frameTranscoder,
  invokeChunkEvent,
  streamFailure,
  type FrameTranscoder,
} from "../../worker/bedrock/frame-transcoder.ts";
import { chunkFrame, converseFrame, corruptMessageCrc, errorFrame, exceptionFrame } from "../support/emulator/frames.ts";
import { byteSource } from "../support/fixtures.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Several frames as the bytes of one network read. */
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(parts.flatMap((p) => [...p]));

/** A frame carrying `{ v }`; the toy transcoder emits `<type>:<v>|` for it. */
const ev = (v: string, type = "e") => converseFrame(type, { v });

/** A toy transcoder that records what the plumbing asked of it. */
function toy(overrides: Partial<FrameTranscoder> = {}) {
  const calls = { events: [] as string[], errors: [] as BedrockError[], upstreamEnds: 0, ends: [] as (BedrockError | null)[] };
  const t: FrameTranscoder = {
    onEvent(type: string, frame: EventStreamFrame) {
      const v = String(JSON.parse(toUtf8(frame.payload)).v);
      calls.events.push(v);
      return `${type}:${v}|`;
    },
    onError(e) {
      calls.errors.push(e);
      return `error:${e.name}:${e.message}|`;
    },
    onUpstreamEnd() {
      calls.upstreamEnds++;
      return "end|";
    },
    onEnd(error) {
      calls.ends.push(error);
    },
    ...overrides,
  };
  return { t, calls };
}

/** A byte source that hands out one piece per pull and records whether it was cancelled. */
const source = byteSource;

/** Runs `pieces` through the transcoder; returns each write the client received, as text. */
async function run(pieces: Uint8Array[], t: FrameTranscoder) {
  const src = source(pieces);
  const reader = src.stream.pipeThrough(frameTranscoder("toy", t)).getReader();
  const writes: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) writes.push(new TextDecoder().decode(r.value));
  await new Promise((resolve) => setTimeout(resolve, 0)); // the source is cancelled after the readable closes
  return { writes, sourceCancelled: src.state.cancelled };
}

describe("frameTranscoder: events", () => {
  it("sends everything decoded from one read in one write, skips frames without an :event-type, and ends cleanly", async () => {
    const untyped = codec.encode({ headers: { ":message-type": { type: "string", value: "event" } }, body: fromUtf8("{}") });
    const { t, calls } = toy();
    const { writes } = await run([concat(ev("a"), untyped, ev("b", "other")), ev("c")], t);
    expect(writes).toEqual(["e:a|other:b|", "e:c|", "end|"]);
    expect(calls.upstreamEnds).toBe(1);
    expect(calls.errors).toEqual([]);
    expect(calls.ends).toEqual([null]);
  });

  it("a clean end with no closing text writes nothing more", async () => {
    const { t, calls } = toy({ onUpstreamEnd: () => "" });
    const { writes } = await run([ev("a")], t);
    expect(writes).toEqual(["e:a|"]);
    expect(calls.ends).toEqual([null]);
  });
});

describe("frameTranscoder: the one terminal error", () => {
  it("reports only the first failure, sends nothing after it, terminates and cancels the upstream body", async () => {
    const throttled = exceptionFrame("throttlingException", { message: "slow down" });
    const second = exceptionFrame("internalServerException", { message: "second" });
    const { t, calls } = toy();
    const { writes, sourceCancelled } = await run([concat(ev("a"), throttled, second, ev("b")), ev("c"), ev("d")], t);
    expect(writes).toEqual(["e:a|error:throttlingException:slow down|"]);
    expect(calls.events).toEqual(["a"]);
    expect(calls.errors).toHaveLength(1);
    expect(calls.upstreamEnds).toBe(0);
    expect(calls.ends).toEqual([{ name: "throttlingException", message: "slow down", status: 429 }]);
    expect(sourceCancelled).toBe(true);
  });

  it("a raw error frame is a failure too", async () => {
    const { t, calls } = toy();
    const { writes } = await run([ev("a"), errorFrame("InternalFailure", "boom"), ev("b")], t);
    expect(writes).toEqual(["e:a|", "error:InternalFailure:boom|"]);
    expect(calls.ends).toHaveLength(1);
    expect(calls.ends[0]!.name).toBe("InternalFailure");
  });

  it("a BedrockError thrown by onEvent is the failure, as thrown; frames decoded before it still go out", async () => {
    const bad = streamFailure("payload could not be decoded");
    const { t, calls } = toy({
      onEvent: (_type, frame) => {
        const v = String(JSON.parse(toUtf8(frame.payload)).v);
        if (v === "bad") throw bad;
        return `${v}|`;
      },
    });
    const { writes, sourceCancelled } = await run([concat(ev("a"), ev("bad"), ev("b"))], t);
    expect(writes).toEqual(["a|error:StreamDecodeError:payload could not be decoded|"]);
    expect(calls.ends).toEqual([bad]);
    expect(sourceCancelled).toBe(true);
  });

  it("corrupt bytes: the frames before them and the corrupt-stream error share one write", async () => {
    const { t, calls } = toy();
    const { writes } = await run([concat(ev("a"), corruptMessageCrc(ev("b")))], t);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^e:a\|error:StreamDecodeError:Bedrock response stream is corrupt: .*CRC.*\|$/);
    expect(calls.errors).toHaveLength(1);
    expect(calls.ends).toEqual([expect.objectContaining({ name: "StreamDecodeError", status: 502 })]);
  });
});

describe("frameTranscoder: done()", () => {
  it("closes after the read where done() turns true: later frames and even corrupt bytes are ignored", async () => {
    let done = false;
    const { t, calls } = toy({
      done: () => done,
      onEvent: (_type, frame) => {
        const v = String(JSON.parse(toUtf8(frame.payload)).v);
        if (v === "stop") done = true;
        return `${v}|`;
      },
    });
    const garbage = new Uint8Array(20).fill(0xff);
    const { writes, sourceCancelled } = await run([concat(ev("a"), ev("stop"), ev("b"), garbage), ev("c")], t);
    expect(writes).toEqual(["a|stop|"]);
    expect(calls.errors).toEqual([]);
    expect(calls.upstreamEnds).toBe(0);
    expect(calls.ends).toEqual([null]);
    expect(sourceCancelled).toBe(true);
  });
});

describe("frameTranscoder: flush", () => {
  it("a body cut mid-frame is a corrupt-stream failure, reported once, without asking onUpstreamEnd", async () => {
    const whole = ev("b");
    const { t, calls } = toy();
    const { writes } = await run([ev("a"), whole.subarray(0, whole.length - 5)], t);
    expect(writes).toEqual(["e:a|", expect.stringMatching(/^error:StreamDecodeError:Bedrock response stream is corrupt: .*truncated/)]);
    expect(calls.upstreamEnds).toBe(0);
    expect(calls.errors).toHaveLength(1);
    expect(calls.ends).toEqual([calls.errors[0]]);
  });

  it("an incomplete answer (onUpstreamEnd returns a failure) goes out through onError", async () => {
    const early = streamFailure("Bedrock response stream ended before the end");
    const { t, calls } = toy({ onUpstreamEnd: () => early });
    const { writes } = await run([ev("a")], t);
    expect(writes).toEqual(["e:a|", "error:StreamDecodeError:Bedrock response stream ended before the end|"]);
    expect(calls.ends).toEqual([early]);
  });
});

describe("frameTranscoder: onEnd exactly once", () => {
  it("on a client cancel: once, with no error, and the upstream body is released", async () => {
    const { t, calls } = toy();
    const src = source([ev("a"), ev("b"), ev("c")]);
    const reader = src.stream.pipeThrough(frameTranscoder("toy", t)).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("e:a|");
    await reader.cancel(new Error("client went away"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.ends).toEqual([null]);
    expect(calls.upstreamEnds).toBe(0);
    expect(src.state.cancelled).toBe(true);
  });

  it("when the upstream body fails mid-stream", async () => {
    const { t, calls } = toy();
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(new Error("connection reset"));
        else {
          sent = true;
          controller.enqueue(ev("a"));
        }
      },
    });
    await expect(new Response(failing.pipeThrough(frameTranscoder("toy", t))).text()).rejects.toThrow();
    expect(calls.ends).toEqual([null]);
  });

  it("not again when cancelled after a finished or failed stream", async () => {
    for (const last of [ev("z"), errorFrame("InternalFailure", "boom")]) {
      const { t, calls } = toy();
      const ts = frameTranscoder("toy", t);
      const reader = ts.readable.getReader();
      const reading = (async () => {
        while (!(await reader.read()).done);
      })();
      const writer = ts.writable.getWriter();
      await writer.write(last).catch(() => {});
      await writer.close().catch(() => {}); // after an error the transcoder has already terminated
      await reading;
      await reader.cancel().catch(() => {});
      expect(calls.ends).toHaveLength(1);
    }
  });

  it("an onEnd that throws is logged under the transcoder's name and does not break the stream", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { t } = toy({
        onEnd: () => {
          throw new Error("metering down");
        },
      });
      const { writes } = await run([ev("a")], t);
      expect(writes).toEqual(["e:a|", "end|"]);
      expect(logged).toHaveBeenCalledWith("toy: onEnd threw", expect.objectContaining({ message: "metering down" }));
    } finally {
      logged.mockRestore();
    }
  });
});

describe("frameTranscoder without the transformer.cancel hook", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  /** The module loaded where TransformStream never calls transformer.cancel, as in runtimes that predate the hook. */
  async function withoutCancelHook() {
    const Native = globalThis.TransformStream;
    class NoCancelHook<I, O> extends Native<I, O> {
      constructor(transformer?: Transformer<I, O>, ws?: QueuingStrategy<I>, rs?: QueuingStrategy<O>) {
        const { cancel: _ignored, ...rest } = (transformer ?? {}) as Transformer<I, O> & { cancel?: unknown };
        super(rest, ws, rs);
      }
    }
    vi.stubGlobal("TransformStream", NoCancelHook);
    vi.resetModules(); // the hook probe runs once per module instance
    return import("../../worker/bedrock/frame-transcoder.ts");
  }

  it("still reports a client cancel exactly once (through the readable wrapper)", async () => {
    const fresh = await withoutCancelHook();
    const { t, calls } = toy();
    const src = source([ev("a"), ev("b")]);
    const reader = src.stream.pipeThrough(fresh.frameTranscoder("toy", t)).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("e:a|");
    await reader.cancel("bye");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.ends).toEqual([null]);
    expect(src.state.cancelled).toBe(true);
  });

  it("a cancel after the error went out (before the close was read) does not report the end again", async () => {
    const fresh = await withoutCancelHook();
    const { t, calls } = toy();
    const ts = fresh.frameTranscoder("toy", t);
    const reader = ts.readable.getReader();
    void ts.writable.getWriter().write(errorFrame("InternalFailure", "boom")).catch(() => {});
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("error:InternalFailure:boom|");
    await reader.cancel("bye");
    expect(calls.ends).toHaveLength(1);
    expect(calls.ends[0]!.name).toBe("InternalFailure");
  });
});

describe("invokeChunkEvent", () => {
  it("returns the event's JSON text as Bedrock wrote it, and parsed", () => {
    const frame = codec.decode(chunkFrame({ type: "ping", text: "☀️ — «Paris»" }));
    const decoded = invokeChunkEvent({ headers: {}, payload: frame.body });
    expect(decoded).toEqual({ raw: '{"type":"ping","text":"☀️ — «Paris»"}', event: { type: "ping", text: "☀️ — «Paris»" } });
  });

  it("null for a chunk without bytes; a StreamDecodeError for undecodable payloads", () => {
    expect(invokeChunkEvent({ headers: {}, payload: fromUtf8('{"p":"abc"}') })).toBeNull();
    for (const body of ['{"bytes":"!!!not base64"}', "not json", `{"bytes":"${btoa("{oops")}"}`]) {
      let thrown: unknown;
      try {
        invokeChunkEvent({ headers: {}, payload: fromUtf8(body) });
      } catch (err) {
        thrown = err;
      }
      expect(thrown, body).toMatchObject({ name: "StreamDecodeError", status: 502, message: expect.stringMatching(/^Bedrock stream chunk could not be decoded: /) });
    }
  });
});
