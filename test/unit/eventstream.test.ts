import { crc32 as zlibCrc32 } from "node:zlib";
import { EventStreamCodec, Int64, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EventStreamDecoder,
  EventStreamError,
  crc32,
  decodeBase64Utf8,
  type EventStreamFrame,
} from "../../worker/bedrock/eventstream.ts";
import {
  bedrockFixtureBytes,
  bedrockFixtureJson,
  randomSplit,
  seededRandom,
  splitAt,
} from "../support/fixtures.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const text = new TextDecoder();
const PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const CLAUDE = "invoke-with-response-stream.claude.bin";
const THROTTLING = "invoke-with-response-stream.throttling-exception.bin";
const CONVERSE = "converse-stream.tooluse.bin";
const SINGLE = "single-chunk-frame.bin";
const ALL_STREAMS = [CLAUDE, THROTTLING, CONVERSE, SINGLE];

function decodeAll(pieces: Uint8Array[]): EventStreamFrame[] {
  const decoder = new EventStreamDecoder();
  const frames: EventStreamFrame[] = [];
  for (const piece of pieces) frames.push(...decoder.push(piece));
  decoder.finish();
  return frames;
}

/** Frames as plain comparable data (payload as a byte array). */
function comparable(frames: EventStreamFrame[]) {
  return frames.map((f) => ({ headers: { ...f.headers }, payload: Array.from(f.payload) }));
}

function chunkEvent(frame: EventStreamFrame): { event: unknown; padding: unknown } {
  const payload = JSON.parse(text.decode(frame.payload));
  return { event: JSON.parse(decodeBase64Utf8(payload.bytes)), padding: payload.p };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A 12-byte prelude with a correct CRC, for frames whose lengths are deliberately wrong. */
function prelude(total: number, headersLength: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, total);
  v.setUint32(4, headersLength);
  v.setUint32(8, crc32(bytes.subarray(0, 8)));
  return bytes;
}

describe("crc32", () => {
  it("matches the standard check value and zlib", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const bytes = bedrockFixtureBytes(CLAUDE);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  });

  it("continues from a seed: crc32(b, crc32(a)) == crc32(a ++ b)", () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    for (const cut of [0, 1, 12, 1000, bytes.length]) {
      expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(crc32(bytes));
    }
  });
});

describe("decodeBase64Utf8", () => {
  it("keeps non-ASCII text intact where atob alone corrupts it", () => {
    const original = "the weather ☀️ — «Paris»";
    const b64 = Buffer.from(original, "utf8").toString("base64");
    expect(decodeBase64Utf8(b64)).toBe(original);
    expect(atob(b64)).not.toBe(original); // the pitfall this function exists for
  });
});

describe("EventStreamDecoder on the fixtures", () => {
  it("decodes the 166-byte single frame exactly as dissected in BEDROCK_WIRE §3.2", () => {
    const bytes = bedrockFixtureBytes(SINGLE);
    expect(bytes.length).toBe(166);
    expect(hex(bytes.subarray(0, 12))).toBe("00 00 00 a6 00 00 00 4b 7b 4b 2d 47");
    expect(hex(bytes.subarray(162))).toBe("f6 2a 7b e8");
    expect(crc32(bytes.subarray(0, 8))).toBe(0x7b4b2d47);
    expect(crc32(bytes.subarray(0, 162))).toBe(0xf62a7be8);

    const frames = decodeAll([bytes]);
    expect(frames).toHaveLength(1);
    const frame = frames[0]!;
    expect({ ...frame.headers }).toEqual({
      ":event-type": "chunk",
      ":content-type": "application/json",
      ":message-type": "event",
    });
    expect(frame.payload.length).toBe(75);
    expect(text.decode(frame.payload)).toBe(
      '{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19zdG9wIiwiaW5kZXgiOjB9","p":"abcd"}',
    );
    // Payload occupies bytes 87..161.
    expect(hex(frame.payload.subarray(0, 4))).toBe("7b 22 62 79");
    expect(chunkEvent(frame).event).toEqual({ type: "content_block_stop", index: 0 });
  });

  it("decodes the Claude stream into the 16 events of its .events.json, non-ASCII intact", () => {
    const expected = bedrockFixtureJson<unknown[]>("invoke-with-response-stream.claude.events.json");
    const frames = decodeAll([bedrockFixtureBytes(CLAUDE)]);
    expect(frames).toHaveLength(16);
    expect(frames.map((f) => chunkEvent(f).event)).toEqual(expected);
    for (const frame of frames) {
      expect({ ...frame.headers }).toEqual({
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
      });
      const { padding } = chunkEvent(frame);
      expect(typeof padding).toBe("string");
      expect(PADDING_ALPHABET.startsWith(padding as string)).toBe(true);
    }
    const texts = JSON.stringify(frames.map((f) => chunkEvent(f).event));
    expect(texts).toContain("☀️ — «Paris»");
  });

  it("decodes the ConverseStream fixture into the events of its .events.json", () => {
    const expected = bedrockFixtureJson<Record<string, unknown>[]>("converse-stream.tooluse.events.json");
    const frames = decodeAll([bedrockFixtureBytes(CONVERSE)]);
    expect(frames).toHaveLength(expected.length);
    const decoded = frames.map((f) => {
      expect(f.headers[":message-type"]).toBe("event");
      const { p, ...member } = JSON.parse(text.decode(f.payload));
      expect(typeof p).toBe("string");
      return { [f.headers[":event-type"] as string]: member };
    });
    expect(decoded).toEqual(expected);
  });

  it("decodes the throttling fixture: three chunks, then the exception frame", () => {
    const frames = decodeAll([bedrockFixtureBytes(THROTTLING)]);
    expect(frames).toHaveLength(4);
    expect(frames.slice(0, 3).map((f) => (chunkEvent(f).event as { type: string }).type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
    ]);
    expect(chunkEvent(frames[2]!).event).toEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "Hel" },
    });
    const last = frames[3]!;
    expect({ ...last.headers }).toEqual({
      ":message-type": "exception",
      ":exception-type": "throttlingException",
      ":content-type": "application/json",
    });
    expect(JSON.parse(text.decode(last.payload))).toEqual({
      message: "Too many tokens, please wait before trying again.",
    });
  });

  it("decodes a whole frame in place, without copying the pushed chunk", () => {
    const bytes = bedrockFixtureBytes(SINGLE);
    const [frame] = new EventStreamDecoder().push(bytes);
    expect(frame!.payload.buffer).toBe(bytes.buffer);
  });
});

describe("EventStreamDecoder with split input", () => {
  for (const name of ALL_STREAMS) {
    const bytes = bedrockFixtureBytes(name);
    const reference = comparable(decodeAll([bytes]));

    it(`${name}: 1-byte pushes give the same frames`, () => {
      expect(reference.length).toBeGreaterThan(0);
      expect(comparable(decodeAll(splitAt(bytes, Array.from(bytes, (_, i) => i))))).toEqual(reference);
    });

    it(`${name}: every 2-way split gives the same frames`, () => {
      for (let cut = 0; cut <= bytes.length; cut++) {
        const frames = comparable(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]));
        if (JSON.stringify(frames) !== JSON.stringify(reference)) {
          throw new Error(`split at ${cut} decoded differently`);
        }
      }
    });

    it(`${name}: random splits give the same frames`, () => {
      for (let seed = 1; seed <= 100; seed++) {
        const pieces = randomSplit(bytes, seededRandom(seed), seed % 2 ? 7 : 300);
        expect(comparable(decodeAll(pieces)), `seed ${seed}`).toEqual(reference);
      }
    });
  }

  it("returns frames as soon as they complete, not at the end", () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const decoder = new EventStreamDecoder();
    const firstLength = new DataView(bytes.buffer).getUint32(0);
    expect(decoder.push(bytes.subarray(0, firstLength - 1))).toHaveLength(0);
    expect(decoder.push(bytes.subarray(firstLength - 1, firstLength))).toHaveLength(1);
  });

  it("feed() delivers the good frames before reporting a corrupt one in the same chunk", () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    bytes[bytes.length - 10]! ^= 0xff; // damage the last frame's payload
    const seen: EventStreamFrame[] = [];
    expect(() => new EventStreamDecoder().feed(bytes, (f) => seen.push(f))).toThrow(EventStreamError);
    expect(seen).toHaveLength(15);
  });
});

describe("EventStreamDecoder rejects bad input", () => {
  it("throws EventStreamError on a corrupted prelude CRC", () => {
    const bytes = bedrockFixtureBytes(SINGLE);
    bytes[9]! ^= 0x01;
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(EventStreamError);
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(/prelude CRC/);
    // Also when the prelude arrives byte by byte.
    const decoder = new EventStreamDecoder();
    expect(() => splitAt(bytes, Array.from(bytes, (_, i) => i)).forEach((p) => decoder.push(p))).toThrow(
      /prelude CRC/,
    );
  });

  it("throws EventStreamError when a length field is corrupted (caught by the prelude CRC)", () => {
    const bytes = bedrockFixtureBytes(SINGLE);
    bytes[3] = 0x10;
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(EventStreamError);
  });

  it("throws EventStreamError on a corrupted message CRC or payload", () => {
    const badCrc = bedrockFixtureBytes(SINGLE);
    badCrc[165]! ^= 0x80;
    expect(() => new EventStreamDecoder().push(badCrc)).toThrow(EventStreamError);
    expect(() => new EventStreamDecoder().push(badCrc)).toThrow(/message CRC/);

    const badPayload = bedrockFixtureBytes(SINGLE);
    badPayload[100]! ^= 0x01;
    const decoder = new EventStreamDecoder();
    decoder.push(badPayload.subarray(0, 50));
    expect(() => decoder.push(badPayload.subarray(50))).toThrow(/message CRC/);
  });

  it("stays failed after an error", () => {
    const bytes = bedrockFixtureBytes(SINGLE);
    bytes[165]! ^= 0x80;
    const decoder = new EventStreamDecoder();
    expect(() => decoder.push(bytes)).toThrow(EventStreamError);
    expect(() => decoder.push(bedrockFixtureBytes(SINGLE))).toThrow(EventStreamError);
    expect(() => decoder.finish()).toThrow(EventStreamError);
  });

  it("finish() throws on a stream truncated mid-frame or mid-prelude, and not on a clean end", () => {
    const bytes = bedrockFixtureBytes(CLAUDE);
    const cut = new EventStreamDecoder();
    expect(cut.push(bytes.subarray(0, bytes.length - 1))).toHaveLength(15);
    expect(() => cut.finish()).toThrow(EventStreamError);
    expect(() => cut.finish()).toThrow(/truncated/);

    const inPrelude = new EventStreamDecoder();
    inPrelude.push(bytes.subarray(0, 5));
    expect(() => inPrelude.finish()).toThrow(/truncated/);

    const whole = new EventStreamDecoder();
    whole.push(bytes);
    expect(() => whole.finish()).not.toThrow();
    expect(() => new EventStreamDecoder().finish()).not.toThrow();
  });

  it("rejects total_length below 16, above 16 MiB, and headers_length that does not fit", () => {
    expect(() => new EventStreamDecoder().push(prelude(15, 0))).toThrow(/below the minimum/);
    // Rejected from the prelude alone: the decoder must not wait for (or allocate) 16 MiB.
    expect(() => new EventStreamDecoder().push(prelude(16 * 1024 * 1024 + 1, 0))).toThrow(/exceeds the limit/);
    expect(() => new EventStreamDecoder().push(prelude(100, 85))).toThrow(/headers length/);
    expect(() => new EventStreamDecoder().push(prelude(100, 84))).not.toThrow();
  });

  it("accepts the smallest frame: 16 bytes, no headers, no payload", () => {
    const frame = codec.encode({ headers: {}, body: new Uint8Array(0) });
    expect(frame.length).toBe(16);
    const frames = decodeAll(splitAt(frame, [3, 12, 14]));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload.length).toBe(0);
    expect(Object.keys(frames[0]!.headers)).toHaveLength(0);
  });

  it("rejects a header block that overruns or has an unknown type", () => {
    // headers_length 4 holding a header that claims a 9-byte name.
    const headers = new Uint8Array([9, 0x61, 0x62, 0x63]);
    const frame = buildRawFrame(headers, new Uint8Array(0));
    expect(() => new EventStreamDecoder().push(frame)).toThrow(/header name runs past/);
    const unknownType = buildRawFrame(new Uint8Array([1, 0x61, 10]), new Uint8Array(0));
    expect(() => new EventStreamDecoder().push(unknownType)).toThrow(/unknown type 10/);
  });
});

/** A frame with arbitrary header bytes and valid CRCs (the codec cannot produce malformed headers). */
function buildRawFrame(headers: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = 16 + headers.length + payload.length;
  const bytes = new Uint8Array(total);
  bytes.set(prelude(total, headers.length));
  bytes.set(headers, 12);
  bytes.set(payload, 12 + headers.length);
  new DataView(bytes.buffer).setUint32(total - 4, crc32(bytes.subarray(0, total - 4)));
  return bytes;
}

describe("EventStreamDecoder against @smithy/eventstream-codec", () => {
  const headerValue = fc.oneof(
    fc.boolean().map((value) => ({ type: "boolean" as const, value })),
    fc.integer({ min: -128, max: 127 }).map((value) => ({ type: "byte" as const, value })),
    fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: "short" as const, value })),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => ({ type: "integer" as const, value })),
    fc
      .integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
      .map((n) => ({ type: "long" as const, value: Int64.fromNumber(n) })),
    fc.uint8Array({ maxLength: 300 }).map((value) => ({ type: "binary" as const, value })),
    fc.string({ unit: "grapheme", maxLength: 100 }).map((value) => ({ type: "string" as const, value })),
    fc
      .integer({ min: -8.64e15, max: 8.64e15 })
      .map((ms) => ({ type: "timestamp" as const, value: new Date(ms) })),
    fc.uuid().map((value) => ({ type: "uuid" as const, value })),
  );
  const message = fc.record({
    headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), headerValue, { maxKeys: 6 }),
    body: fc.uint8Array({ maxLength: 2000 }),
  });

  /** What our decoder should produce for a codec header value. */
  function expectedValue(h: { type: string; value: unknown }): unknown {
    if (h.type === "long") return BigInt((h.value as Int64).toString());
    return h.value;
  }

  it("decodes random codec-encoded frames, split at random points, to the same headers and payloads", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.integer(), (messages, seed) => {
        // Header names include "__proto__" at times: our decoder keeps it as an ordinary key (the codec's own
        // decoder loses it, so the codec is only used to encode).
        const encoded = messages.map((m) => codec.encode({ headers: m.headers as MessageHeaders, body: m.body }));
        const stream = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
        let offset = 0;
        for (const e of encoded) {
          stream.set(e, offset);
          offset += e.length;
        }
        const frames = decodeAll(randomSplit(stream, seededRandom(seed), 97));
        expect(frames).toHaveLength(messages.length);
        frames.forEach((frame, i) => {
          const m = messages[i]!;
          expect(Array.from(frame.payload)).toEqual(Array.from(m.body));
          expect(Object.keys(frame.headers).sort()).toEqual(Object.keys(m.headers).sort());
          for (const [name, h] of Object.entries(m.headers)) {
            expect(frame.headers[name]).toEqual(expectedValue(h));
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a header named "__proto__" as an ordinary header', () => {
    const frame = codec.encode({ headers: { ["__proto__"]: { type: "string", value: "x" } } as MessageHeaders, body: new Uint8Array(0) });
    const [decoded] = decodeAll([frame]);
    expect(Object.keys(decoded!.headers)).toEqual(["__proto__"]);
    expect(decoded!.headers["__proto__"]).toBe("x");
  });

  it("parses every header type 0–9 to the documented JS type", () => {
    const frame = codec.encode({
      headers: {
        t: { type: "boolean", value: true },
        f: { type: "boolean", value: false },
        b: { type: "byte", value: -7 },
        s: { type: "short", value: -300 },
        i: { type: "integer", value: 123456789 },
        l: { type: "long", value: Int64.fromNumber(-9007199254740991) },
        bin: { type: "binary", value: new Uint8Array([0, 1, 255]) },
        str: { type: "string", value: "héllo ☀️" },
        ts: { type: "timestamp", value: new Date(1735689600123) },
        id: { type: "uuid", value: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" },
      },
      body: new Uint8Array(0),
    });
    const [decoded] = decodeAll([frame]);
    expect({ ...decoded!.headers }).toEqual({
      t: true,
      f: false,
      b: -7,
      s: -300,
      i: 123456789,
      l: -9007199254740991n,
      bin: new Uint8Array([0, 1, 255]),
      str: "héllo ☀️",
      ts: new Date(1735689600123),
      id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    });
    expect(decoded!.headers.ts).toBeInstanceOf(Date);
    expect(typeof decoded!.headers.l).toBe("bigint");
  });
});
