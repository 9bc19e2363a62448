// Budgets people can live with: Claude-Code-shaped traffic (100k+ token prompts that are almost all cache reads,
// max_tokens 32000, bursts of parallel requests, both dialects) runs on a key until its budget is really spent,
// a key near its budget is held to "at most one request over" under 50 parallel requests, strict mode keeps
// "never over", and a revocation bites at once even while the isolate holds a lease on the key.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ClaudeCodeSession } from "../support/claude-code-workload.ts";
import { startStack, type Stack } from "../support/stack.ts";

const MASTER = "mk-budget-usability-0123456789abcdef0123456789";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { MASTER_KEY: MASTER } });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const admin = (path: string, body: unknown) =>
  fetch(`${stack.gateway.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify(body) });

async function send(key: string, body: Record<string, unknown>, path = "/v1/messages"): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${stack.gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": key }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function rowsOf(alias: string, n: number) {
  const rows = await stack.waitForSpendRows(alias, n, 30_000);
  expect(rows.length).toBe(n);
  return rows;
}

const total = (rows: { cost: string | number }[]) => rows.reduce((s, r) => s + Number(r.cost), 0);

describe("Claude Code on a budgeted key", () => {
  it("runs bursts of 4 through /v1/messages and /v1/chat/completions without a refusal until ≥ 95 % of the budget is spent", { timeout: 300_000 }, async () => {
    const budget = 2;
    const key = await stack.createKey({ alias: "cc-usable", maxBudget: budget });
    // The main model and the small fast one, each in both dialects: four sessions, one request each per burst.
    const sessions = [
      { s: new ClaudeCodeSession({ seed: "u-main", tokens: 110_000 }), path: "/v1/messages" },
      { s: new ClaudeCodeSession({ seed: "u-fast", tokens: 110_000, model: "claude-haiku-4-5" }), path: "/v1/messages" },
      { s: new ClaudeCodeSession({ seed: "u-agent", tokens: 110_000 }), path: "/v1/chat/completions" },
      { s: new ClaudeCodeSession({ seed: "u-agent-fast", tokens: 110_000, model: "claude-haiku-4-5" }), path: "/v1/chat/completions" },
    ];
    const answers = [300, 900, 150, 1500, 600];
    let served = 0;
    const refusals: { status: number; headers: Headers; text: string }[] = [];
    for (let burst = 0; burst < 60 && refusals.length === 0; burst++) {
      const results = await Promise.all(
        sessions.map(({ s, path }, i) => {
          const words = answers[(burst + i) % answers.length]!;
          return send(key, path === "/v1/messages" ? s.next(words) : s.nextOpenAI(words), path);
        }),
      );
      for (const r of results) {
        if (r.status === 200) served++;
        else refusals.push(r);
      }
    }
    expect(refusals.length).toBeGreaterThan(0); // the loop ended because the budget was spent, not by the cap
    for (const r of refusals) {
      expect(r.status).toBe(402); // never a 429 on the way: near the end requests waited for their turn
      expect(r.text).toMatch(/Budget exceeded: this key has spent \$[\d.]+ of its \$2 budget/);
      // The key's spend when it was refused: the budget was really used, not reserved away.
      expect(Number(r.headers.get("x-litellm-key-spend"))).toBeGreaterThanOrEqual(0.95 * budget);
    }
    const rows = await rowsOf("cc-usable", served);
    expect(rows.every((r) => r.status === 200)).toBe(true);
    // Realistic traffic: after each session's first request, ≥ 90 % of the prompt is read from the cache.
    const later = rows.filter((r) => r.cacheCreationInputTokens < 50_000);
    expect(later.length).toBeGreaterThan(served / 2);
    for (const r of later) expect(r.cacheReadInputTokens / (r.cacheReadInputTokens + r.cacheCreationInputTokens + r.inputTokens)).toBeGreaterThan(0.9);
    const spent = total(rows);
    expect(spent).toBeGreaterThanOrEqual(0.95 * budget);
    expect(spent).toBeLessThanOrEqual(budget + Math.max(...rows.map((r) => Number(r.cost))));
  });

  it("admits the request from the issue: a $2 key's first ~120k-token Claude Code request (its worst case is over $2)", async () => {
    const key = await stack.createKey({ alias: "cc-first", maxBudget: 2 });
    const r = await send(key, new ClaudeCodeSession({ seed: "first", tokens: 120_000 }).next(200));
    expect(r.status).toBe(200);
    const [row] = await rowsOf("cc-first", 1);
    expect(Number(row!.cost)).toBeLessThan(1);
  });
});

/** A key warmed by one session's requests (so its prompt prefix is cached), then set to `headroom` below its budget. */
async function keyNearBudget(alias: string, headroom: number, metadata: Record<string, unknown> = {}) {
  const key = await stack.createKey({ alias });
  const session = new ClaudeCodeSession({ seed: alias, tokens: 100_000 });
  for (const words of [200, 400]) expect((await send(key, session.next(words))).status).toBe(200);
  const warm = total(await rowsOf(alias, 2));
  await expect.poll(() => stack.keySpend(key), { timeout: 15_000 }).toBeCloseTo(warm, 8);
  const budget = Number((warm + headroom).toFixed(6));
  expect((await admin("/key/update", { key, max_budget: budget, metadata })).status).toBe(200);
  return { key, session, budget, warm };
}

describe("the bound under 50 parallel requests", () => {
  it("standard mode: a key close to its budget ends at most one request's real cost above it; the rest get a clean 402", { timeout: 300_000 }, async () => {
    const { key, session, budget } = await keyNearBudget("cc-bound", 0.3);
    const body = session.next(400);
    const results = await Promise.all(Array.from({ length: 50 }, () => send(key, body)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(402);
      expect(JSON.parse(r.text).error).toMatchObject({ type: "billing_error", message: expect.stringMatching(/Budget exceeded/) });
    }
    const rows = await rowsOf("cc-bound", 2 + ok.length);
    const oneRequest = Math.max(...rows.slice(2).map((r) => Number(r.cost)));
    expect(total(rows)).toBeGreaterThanOrEqual(budget);
    expect(total(rows)).toBeLessThanOrEqual(budget + oneRequest + 1e-9);
    await expect.poll(() => stack.keySpend(key), { timeout: 15_000 }).toBeCloseTo(total(rows), 8);
  });

  it("strict mode: under the same load the key never ends above its budget", { timeout: 300_000 }, async () => {
    // Worst case of one request: ~450 KB at the 1-hour write price + 32000 output tokens ≈ $3.2; room for one.
    const { key, session, budget } = await keyNearBudget("cc-strict", 4, { budget_mode: "strict" });
    // Long answers make every request expensive (~$0.5), so the budget really runs out under this load.
    stack.emulator.script({ usage: { output_tokens: 30_000 }, times: 50 });
    const body = session.next(400);
    const results = await Promise.all(Array.from({ length: 50 }, () => send(key, body)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(402);
      expect(r.text).toMatch(/could cost up to \$[\d.]+ but the key has \$[\d.]+ left|Budget exceeded/);
    }
    const rows = await rowsOf("cc-strict", 2 + ok.length);
    expect(total(rows)).toBeLessThanOrEqual(budget);
  });
});

describe("revocation with a warm lease", () => {
  it("a blocked key is refused on its very next request, although the isolate holds a lease on it", async () => {
    const key = await stack.createKey({ alias: "cc-revoke", maxBudget: 50 });
    const small = { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };
    for (let i = 0; i < 3; i++) expect((await send(key, small)).status).toBe(200); // warm: served from the lease
    const before = stack.dbRequests();
    expect((await admin("/key/block", { key })).status).toBe(200);
    const after = await send(key, small);
    expect(after.status).toBe(401);
    expect(after.text).toMatch(/blocked/);
    expect(stack.dbRequests()).toBeGreaterThan(before);
    expect((await admin("/key/unblock", { key })).status).toBe(200);
    expect((await send(key, small)).status).toBe(200);
  });
});
