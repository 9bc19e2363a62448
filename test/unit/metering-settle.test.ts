// A spend row is never dropped: when the key's meter cannot be reached, settle() falls back to the isolate's
// batching recorder.
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../worker/context.ts";
import type { SpendRow } from "../../worker/db/queries.ts";
import { settle, type Ticket } from "../../worker/routes/metering.ts";

const row = { requestId: "req_1", keyId: "k", cost: 0.01 } as unknown as SpendRow;

function context(meterSettle: () => Promise<unknown>, ticket: Ticket | undefined) {
  const recorded: SpendRow[] = [];
  const deferred: Promise<unknown>[] = [];
  const vars: Record<string, unknown> = {
    ticket,
    key: { id: "k" },
    services: { meter: { settle: meterSettle }, spend: { record: (r: SpendRow) => recorded.push(r) } },
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

  it("records the row even for a request that was never admitted", () => {
    const { c, recorded } = context(async () => {}, undefined);
    settle(c, { tokens: 1, cost: 0.01 }, row);
    expect(recorded).toEqual([row]);
  });
});
