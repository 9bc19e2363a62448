// Spend records are never dropped: not when the client disconnects mid-stream, not while the database is down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const body = (content: string, stream: boolean) =>
  JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 100_000, stream, messages: [{ role: "user", content }] });

describe("spend durability", () => {
  it("bills the partial output of a stream the client abandons, and stops reading from Bedrock", async () => {
    const key = await stack.createKey({ alias: "quitter" });
    stack.emulator.script({ delayMs: 5 }); // slow stream: ~20k words at 5 ms per frame would take minutes
    const ac = new AbortController();
    const res = await fetch(`${stack.gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: body("[[emu:words 20000]]", true),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 2000) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.byteLength;
    }
    ac.abort();
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "quitter").length, { timeout: 10_000 }).toBe(1);
    const row = (await stack.spendRows()).find((r) => r.keyAlias === "quitter")!;
    expect(row.status).toBe(499); // client closed request
    expect(row.inputTokens).toBeGreaterThan(0); // from message_start
    expect(Number(row.cost)).toBeGreaterThan(0);
    // The upstream Bedrock call was cancelled, not left streaming to nobody.
    const upstream = stack.emulator.requests.findLast((r) => r.operation === "InvokeModelWithResponseStream")!;
    await expect.poll(() => upstream.clientClosedEarly, { timeout: 5000 }).toBe(true);
  });

  it("keeps spend rows while the database is unreachable and writes them all once it is back", async () => {
    const key = await stack.createKey({ alias: "outage" });
    const send = () =>
      fetch(`${stack.gateway.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": key },
        body: body("Hello", false),
      });
    expect((await send()).status).toBe(200); // warms the key cache, so requests keep working during the outage
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "outage").length).toBe(1);

    stack.setDatabaseDown(true);
    const during = await Promise.all([send(), send(), send()]);
    expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
    // Let the write attempts (with their retries) fail while the database is down.
    await new Promise((r) => setTimeout(r, 3500));
    stack.setDatabaseDown(false);
    expect((await (await stack.spendRows()).filter((r) => r.keyAlias === "outage")).length).toBe(1);
    // The key is leased (no rate limits), so its rows went to Postgres directly, were refused, and were handed to the
    // key's Durable Object, which keeps them in its storage and retries from its alarm.
    expect(stack.gateway.logs.some((l) => l.includes("spend rows handed to the meter: the database did not take them"))).toBe(true);

    expect((await send()).status).toBe(200); // the next batch carries the kept rows along
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "outage").length, { timeout: 10_000 }).toBe(5);
    const rows = (await stack.spendRows()).filter((r) => r.keyAlias === "outage");
    const total = rows.reduce((s, r) => s + Number(r.cost), 0);
    expect(await stack.keySpend(key)).toBeCloseTo(total, 10);
  });
});
