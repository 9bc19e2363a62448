// A spend row is never dropped: when the key's meter cannot be reached, settle() falls back to the isolate's
// batching recorder.
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../worker/context.ts";
import type { SpendRow } from "../../worker/db/queries.ts";
import { settle, type Ticket } from "../../worker/routes/metering.ts";

const row = { requestId: "req_1", keyId: "k", cost: 0.01 } as unknown as SpendRow;

function context(meterSettle: () => Promise<unknown>, ticket: Ticket | undefined, settleLocally?: () => boolean) {
  const recorded: SpendRow[] = [];
  const deferred: Promise<unknown>[] = [];
  const vars: Record<string, unknown> = {
    ticket,
    key: { id: "k" },
    services: { meter: { settle: meterSettle, settleLocally }, spend: { record: (r: SpendRow) => recorded.push(r) } },
  };
  const c = { get: (k: string) => vars[k], executionCtx: { waitUntil: (p: Promise<unknown>) => deferred.push(p) } } as unknown as AppContext;
  return { c, recorded, deferred };
}

const ticket = (): Ticket => ({ reservationId: "req_1", limits: {} as Ticket["limits"], standing: {} as Ticket["standing"], settled: false, streaming: false });

describe("settle", () => {
  it("hands the row to the meter, once", async () => {
    let calls = 0;
    const t = ticket();
    const { c, recorded, deferred } = context(async () => void calls++, t);
    settle(c, { tokens: 1, cost: 0.01 }, row);
    settle(c, { tokens: 1, cost: 0.01 }, row);
    await Promise.all(deferred);
    expect(calls).toBe(1);
    expect(recorded).toEqual([]);
    expect(t.settled).toBe(true);
  });

  it("falls back to the batching recorder when the meter is unreachable", async () => {
    const { c, recorded, deferred } = context(() => Promise.reject(new Error("meter down")), ticket());
    settle(c, { tokens: 1, cost: 0.01 }, row);
    await Promise.all(deferred);
    expect(recorded).toEqual([row]);
  });

  it("a settlement the meter makes in the isolate costs the request no waitUntil of its own", async () => {
    let remote = 0;
    let local = 0;
    const { c, recorded, deferred } = context(async () => void remote++, ticket(), () => (local++, true));
    settle(c, { tokens: 1, cost: 0.01 }, row);
    expect(local).toBe(1);
    expect(remote).toBe(0);
    expect(deferred).toHaveLength(0);
    expect(recorded).toEqual([]);
    // Not held here: the meter's settle(), kept open by waitUntil.
    const other = context(async () => void remote++, ticket(), () => false);
    settle(other.c, { tokens: 1, cost: 0.01 }, row);
    await Promise.all(other.deferred);
    expect(other.deferred).toHaveLength(1);
    expect(remote).toBe(1);
  });

  it("falls back to the batching recorder when settling in the isolate throws", () => {
    const { c, recorded } = context(async () => {}, ticket(), () => {
      throw new Error("lease state broken");
    });
    settle(c, { tokens: 1, cost: 0.01 }, row);
    expect(recorded).toEqual([row]);
  });

  it("records the row even for a request that was never admitted", () => {
    const { c, recorded } = context(async () => {}, undefined);
    settle(c, { tokens: 1, cost: 0.01 }, row);
    expect(recorded).toEqual([row]);
  });
});

describe("admit, when the key changed elsewhere", () => {
  it("reloads a stale cached key before admitting, so a revocation made in another isolate applies at once", async () => {
    const { admit } = await import("../../worker/routes/metering.ts");
    const { InProcessMeter } = await import("../../worker/meter/in-process.ts");
    const meter = new InProcessMeter({ record() {} } as never, async () => {});
    const base = { id: "k", keyAlias: "a", models: [], maxBudget: null, spend: 0, budgetDuration: null, budgetResetAt: null, rpmLimit: null, tpmLimit: null, maxParallelRequests: null, expires: null, blocked: false, userId: null, teamId: null, metadata: {} };
    const vars: Record<string, unknown> = { requestId: "req_x", key: base, keyHash: "h", keyLoadedAt: Date.now() - 1000 };
    let invalidated = 0;
    vars.services = {
      meter,
      keys: {
        invalidate: () => void invalidated++,
        lookupWithTime: async () => ({ record: { ...base, blocked: true }, loadedAt: Date.now() }),
      },
    };
    const c = { get: (k: string) => vars[k], set: (k: string, v: unknown) => void (vars[k] = v) } as unknown as AppContext;
    await meter.keyChanged("k"); // another isolate blocked the key after this one cached it
    await expect(admit(c, { tokens: 1, cost: 0 })).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/blocked/) });
    expect(invalidated).toBe(1);
  });
});
