// Keys people can hand out without fear: limits and budgets enforced by the per-key Durable Object, under
// concurrency, in both dialects, with the headers clients read.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { apiKeys } from "../../worker/db/schema.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const keyWith = (alias: string, set: Partial<typeof apiKeys.$inferInsert>): Promise<string> => stack.createKey({ alias, set });

const STRICT = { budget_mode: "strict" };
const BODY = { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] };
const send = (key: string, body: unknown = BODY, path = "/v1/messages") =>
  fetch(`${stack.gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": key }, body: JSON.stringify(body) });

describe("strict budget guarantee (metadata.budget_mode: \"strict\")", () => {
  it("50 parallel requests on a key whose budget covers about 10: spend stays within budget, the rest get a clean 402", async () => {
    // Worst case of one request: (body bytes + 1024 preamble) at the dearest input price ($6/M, 1-hour cache write)
    // plus 100 output tokens at $15/M. Budget for ten of them.
    const bodyBytes = Buffer.byteLength(JSON.stringify(BODY));
    const worst = ((bodyBytes + 1024) * 6 + 100 * 15) / 1e6;
    const budget = Number((worst * 10.5).toFixed(6));
    const key = await keyWith("budget-50", { maxBudget: String(budget), metadata: STRICT });
    // Every answer uses all 100 output tokens and arrives after a long pause, so the requests really overlap (the
    // budget covers ~10 worst cases at once, but ~56 real costs one after another).
    stack.emulator.script({ usage: { output_tokens: 100 }, stallMs: 2500, times: 50 });

    const responses = await Promise.all(Array.from({ length: 50 }, () => send(key)));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(10);
    expect(refused.length).toBe(50 - ok.length);
    for (const r of refused) {
      expect(r.status).toBe(402); // not 429: clients must not retry it
      const body = (await r.json()) as any;
      expect(body.error.type).toBe("billing_error");
      expect(body.error.message).toMatch(/budget/i);
    }
    await Promise.all(ok.map((r) => r.text()));
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "budget-50").length).toBe(ok.length);
    const rows = (await stack.spendRows()).filter((r) => r.keyAlias === "budget-50");
    const total = rows.reduce((s, r) => s + Number(r.cost), 0);
    expect(total).toBeLessThanOrEqual(budget);
    expect(total).toBeGreaterThan(0);
    await expect.poll(() => stack.keySpend(key)).toBeCloseTo(total, 9);
  });

  it("refuses a request whose worst case no longer fits, saying so, and lets a smaller one through", async () => {
    // Worst cases: ~$0.007 for the input side, plus $15/M per max_tokens: 1000 → ~$0.022, 10 → ~$0.007.
    const key = await keyWith("budget-fit", { maxBudget: "0.02", metadata: STRICT });
    const big = await send(key, { ...BODY, max_tokens: 1000 });
    expect(big.status).toBe(402);
    expect(((await big.json()) as any).error.message).toMatch(/lower max_tokens/);
    expect((await send(key, { ...BODY, max_tokens: 10 })).status).toBe(200);
  });

  it("resets a spent budget at the period boundary and says when in the refusal (standard mode)", async () => {
    const resetAt = new Date(Date.now() + 2500);
    // The first request runs alone and really costs $0.012 (4000 input tokens): the $0.01 budget is spent.
    const key = await keyWith("budget-reset", { maxBudget: "0.01", budgetDuration: "3s", budgetResetAt: resetAt });
    stack.emulator.script({ usage: { input_tokens: 4000, output_tokens: 1 } });
    expect((await send(key, { ...BODY, max_tokens: 1 })).status).toBe(200);
    const refused = await send(key, { ...BODY, max_tokens: 1 });
    expect(refused.status).toBe(402);
    const msg = ((await refused.json()) as any).error.message as string;
    expect(msg).toContain(`It resets at ${resetAt.toISOString()}`);
    expect(refused.headers.get("x-breakwater-budget-resets-at")).toBe(resetAt.toISOString());
    await new Promise((r) => setTimeout(r, resetAt.getTime() - Date.now() + 200));
    const after = await send(key, { ...BODY, max_tokens: 1 });
    expect(after.status).toBe(200);
  });
});

describe("rate limits across isolates (one meter object per key)", () => {
  it("rpm: the request over the limit gets 429 with retry-after and x-ratelimit headers, in each dialect", async () => {
    const key = await keyWith("rpm", { rpmLimit: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await send(key);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit-requests")).toBe("3");
      expect(r.headers.get("x-ratelimit-remaining-requests")).toBe(String(2 - i));
    }
    const over = await send(key);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(((await over.json()) as any).error).toMatchObject({ type: "rate_limit_error", message: expect.stringMatching(/3 requests per minute/) });
    const openai = await send(key, { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }] }, "/v1/chat/completions");
    expect(openai.status).toBe(429);
    expect(((await openai.json()) as any).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_error" });
  });

  it("rpm under leases (a key far from its limit is served from the isolate's lease): exactly the limit in a minute", async () => {
    // rpm 20: the isolate leases a few request slots at a time from the key's object and reports what it used;
    // slots a finished lease did not use come back. 24 requests in bursts of 4: 20 answered, 4 refused.
    const key = await keyWith("rpm-lease", { rpmLimit: 20 });
    const statuses: number[] = [];
    const remaining: number[] = [];
    for (let burst = 0; burst < 6; burst++) {
      const rs = await Promise.all(Array.from({ length: 4 }, () => send(key)));
      for (const r of rs) {
        statuses.push(r.status);
        if (r.status === 200) remaining.push(Number(r.headers.get("x-ratelimit-remaining-requests")));
        else expect(((await r.json()) as any).error).toMatchObject({ type: "rate_limit_error" });
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // Each answer's header is what is left for this key, never more than the limit allows.
    for (const left of remaining) expect(left).toBeGreaterThanOrEqual(0);
    expect(Math.min(...remaining)).toBe(0);
  });

  it("tpm: once the minute's tokens are used, the next request waits", async () => {
    const key = await keyWith("tpm", { tpmLimit: 50 });
    stack.emulator.script({ usage: { input_tokens: 40, output_tokens: 20 } });
    expect((await send(key)).status).toBe(200);
    const over = await send(key);
    expect(over.status).toBe(429);
    expect(((await over.json()) as any).error.message).toMatch(/50 tokens per minute/);
  });

  it("max_parallel_requests: a second concurrent request is refused, and count_tokens counts too", async () => {
    const key = await keyWith("parallel", { maxParallelRequests: 1 });
    stack.emulator.script({ stallMs: 600 });
    const [a, b] = await Promise.all([send(key), new Promise<Response>((r) => setTimeout(() => r(send(key)), 150))]);
    // Whichever got the slot first is served; the other is refused (order can flip on a loaded machine).
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    // Once the first finished, its slot is free again (for count_tokens too, which is free of spend but not of limits).
    const count = await send(key, { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "x" }] }, "/v1/messages/count_tokens");
    expect(count.status).toBe(200);
  });

  it("max_parallel_requests with a lease: a burst of the limit's size runs, the next is refused, and the places come back", async () => {
    // Six places: the first request takes a lease of three of them in the isolate, the rest are admitted by the
    // key's object one by one. No place is lost or held on either side.
    const key = await keyWith("parallel-lease", { maxParallelRequests: 6 });
    stack.emulator.script({ stallMs: 1200, times: 6 });
    const burst = Array.from({ length: 6 }, () => send(key));
    await new Promise((r) => setTimeout(r, 400));
    const seventh = await send(key);
    expect(seventh.status).toBe(429);
    expect(Number(seventh.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await seventh.json()) as any).error.message).toMatch(/6 requests at a time/);
    const done = await Promise.all(burst);
    expect(done.map((r) => r.status)).toEqual(Array(6).fill(200));
    await Promise.all(done.map((r) => r.text()));
    stack.emulator.script({ stallMs: 300, times: 6 });
    const again = await Promise.all(Array.from({ length: 6 }, () => send(key)));
    expect(again.map((r) => r.status)).toEqual(Array(6).fill(200));
    await Promise.all(again.map((r) => r.text()));
  });

  it("releases the reservation of a request that failed before Bedrock", async () => {
    const key = await keyWith("release", { maxParallelRequests: 1 });
    const bad = await send(key, { ...BODY, model: "claude-nope" });
    expect(bad.status).toBe(404);
    stack.emulator.script({ http: { status: 400, errorType: "ValidationException", message: "bad" } });
    expect((await send(key)).status).toBe(400);
    expect((await send(key)).status).toBe(200); // the parallel slot was not leaked
  });
});

describe("spend and budget headers", () => {
  it("returns the request's cost and the key's remaining budget (LiteLLM's header names)", async () => {
    const key = await keyWith("headers", { maxBudget: "5" });
    const r = await send(key);
    expect(r.status).toBe(200);
    const cost = Number(r.headers.get("x-litellm-response-cost"));
    expect(cost).toBeGreaterThan(0);
    expect(r.headers.get("x-litellm-key-max-budget")).toBe("5");
    expect(Number(r.headers.get("x-litellm-key-remaining-budget"))).toBeLessThanOrEqual(5);
    const second = await send(key);
    expect(Number(second.headers.get("x-litellm-key-spend"))).toBeCloseTo(cost, 9);
  });
});
