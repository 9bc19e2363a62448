import { describe, expect, it } from "vitest";
import type { SpendRow } from "../../worker/db/queries.ts";
import { SpendRecorder } from "../../worker/meter/spend.ts";

const row = (requestId: string): SpendRow => ({
  requestId, keyId: null, keyAlias: null, model: "m", bedrockModel: null, inputTokens: 1, outputTokens: 1,
  cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cost: 0.01, latencyMs: 1, status: 200, stream: false, target: null,
  startTime: new Date(), endTime: new Date(),
});

describe("spend recorder", () => {
  it("writes rows recorded together in one batch, after the response", async () => {
    const batches: string[][] = [];
    const deferred: Promise<unknown>[] = [];
    const rec = new SpendRecorder(async (rows) => void batches.push(rows.map((r) => r.requestId)), 5);
    rec.record(row("a"), (p) => deferred.push(p));
    rec.record(row("b"), (p) => deferred.push(p));
    rec.record(row("c"), (p) => deferred.push(p));
    expect(batches).toEqual([]); // nothing written synchronously
    expect(deferred).toHaveLength(1); // one scheduled flush carries all three
    await Promise.all(deferred);
    expect(batches).toEqual([["a", "b", "c"]]);
    expect(rec.backlog).toBe(0);
  });

  it("retries a failed write and keeps rows for the next batch when the database stays down", async () => {
    let failures = 3;
    const written: string[] = [];
    const errors: number[] = [];
    const rec = new SpendRecorder(
      async (rows) => {
        if (failures-- > 0) throw new Error("db down");
        written.push(...rows.map((r) => r.requestId));
      },
      0,
      (_e, n) => errors.push(n),
      [1, 1],
    );
    const deferred: Promise<unknown>[] = [];
    rec.record(row("a"), (p) => deferred.push(p));
    await Promise.all(deferred);
    expect(written).toEqual([]);
    expect(errors).toEqual([1]);
    expect(rec.backlog).toBe(1);
    // The next request's flush carries the kept row along with its own.
    rec.record(row("b"), (p) => deferred.push(p));
    await Promise.all(deferred);
    expect(written).toEqual(["a", "b"]);
    expect(rec.backlog).toBe(0);
  });

  it("recordAll joins the scheduled batch and resolves once it is written, with or without a delay", async () => {
    for (const delay of [0, 5]) {
      const batches: string[][] = [];
      const rec = new SpendRecorder(async (rows) => void batches.push(rows.map((r) => r.requestId)), delay);
      rec.record(row("a"), () => {});
      const joined = rec.recordAll([row("b"), row("c")]);
      if (delay > 0) expect(batches).toEqual([]); // still waiting out the delay
      await joined;
      expect(batches.flat()).toEqual(["a", "b", "c"]);
      // Nothing is left scheduled: the next rows make a batch of their own.
      await rec.recordAll([row("d")]);
      expect(batches.at(-1)).toEqual(["d"]);
      expect(rec.backlog).toBe(0);
    }
  });
});
