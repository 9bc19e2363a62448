// The meter object's wire and storage format for spend rows (worker/meter/row-batches.ts): text end to end, chunked,
// and back to the same rows (dates included) when the flush alarm parses them.
import { describe, expect, it } from "vitest";
import type { SpendRow } from "../../worker/db/queries.ts";
import { decodeMeterCall, encodeMeterCall, parseRowChunk, salvageRowChunk } from "../../worker/meter/row-batches.ts";

function row(i: number, extra: Partial<SpendRow> = {}): SpendRow {
  return {
    requestId: `req_${i}`, keyId: "00000000-0000-4000-8000-000000000001", keyAlias: "alice", model: "claude-sonnet-4-6", bedrockModel: "us.anthropic.claude-sonnet-4-6",
    inputTokens: 100 + i, outputTokens: 20, cacheReadInputTokens: 90_000, cacheCreationInputTokens: 0, cost: 0.0123 + i / 1e6, latencyMs: 812, status: 200,
    stream: true, target: "us-east-1", startTime: new Date(Date.UTC(2026, 11, 5, 9, 0, i % 60)), endTime: new Date(Date.UTC(2026, 11, 5, 9, 1, i % 60)), ...extra,
  };
}

describe("spend rows on their way through the meter object", () => {
  it("round-trips the control message and every row, dates restored", () => {
    const rows = [row(1), row(2, { endTime: null, images: 3, target: null })];
    const control = { keyId: "k", leaseId: "l", actual: { tokens: 5, cost: 0.5 }, holding: 0, release: false };
    const { control: back, rowChunks } = decodeMeterCall(encodeMeterCall(control, rows));
    expect(back).toEqual(control);
    expect(rowChunks).toHaveLength(1);
    expect(rowChunks.flatMap(parseRowChunk)).toEqual(rows);
  });

  it("newlines inside row text cannot break the framing (JSON escapes them)", () => {
    const rows = [row(1, { keyAlias: "line\nbreak\r\n", model: "a\u2028b" })];
    const { control, rowChunks } = decodeMeterCall(encodeMeterCall({ keyId: "x\ny" }, rows));
    expect(control).toEqual({ keyId: "x\ny" });
    expect(rowChunks.flatMap(parseRowChunk)).toEqual(rows);
  });

  it("splits a large batch into chunks under the size limit, in order, none empty", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => row(i));
    const limit = 16 * 1024;
    const { rowChunks } = decodeMeterCall(encodeMeterCall({}, rows, limit));
    expect(rowChunks.length).toBeGreaterThan(10);
    for (const chunk of rowChunks) expect(chunk.length).toBeLessThanOrEqual(limit + 2);
    expect(rowChunks.flatMap(parseRowChunk).map((r) => r.requestId)).toEqual(rows.map((r) => r.requestId));
  });

  it("a call without rows carries no chunk; a chunk that is not an array is refused, not half-written", () => {
    expect(decodeMeterCall(encodeMeterCall({ op: 1 }, [])).rowChunks).toEqual([]);
    expect(() => parseRowChunk('{"requestId":"x"}')).toThrow(/not a JSON array/);
    expect(() => parseRowChunk('[{"requestId":"x","model":"m"},{"model":"m"}]')).toThrow(/no request id/);
    expect(() => parseRowChunk('[{"requestId":""}]')).toThrow(/no request id/);
    expect(() => parseRowChunk("[null]")).toThrow(/no request id/);
  });

  it("salvages what can be billed of a chunk the flush set aside: rows kept, ids made from the chunk's name, the rest counted", () => {
    const { requestId: _drop, ...noId } = row(1);
    const text = JSON.stringify([row(0), noId, { ...row(2), requestId: "" }, "text", null, [1]]);
    const out = salvageRowChunk("rows:b:0", text);
    if ("problem" in out) throw new Error(out.problem);
    expect(out.dropped).toBe(3);
    expect(out.rows.map((r) => r.requestId)).toEqual(["req_0", "salvaged_rows:b:0_1", "salvaged_rows:b:0_2"]);
    expect(out.rows[1]!.startTime).toEqual(row(1).startTime); // dates restored, as for any stored row
    // The same chunk salvaged again gets the same ids (Postgres then skips them).
    expect(salvageRowChunk("rows:b:0", text)).toEqual(out);
    expect(salvageRowChunk("x", "[{oops")).toEqual({ problem: expect.stringMatching(/^not JSON: /) });
    expect(salvageRowChunk("x", '{"requestId":"a"}')).toEqual({ problem: "not a JSON array of rows" });
  });
});
