// Issue 10: "spend is never lost", whatever the client does. Many slow streams run at once on both chat routes
// (Claude through InvokeModel, Nova through ConverseStream) and each client walks away at a random point: before
// the first byte, mid-stream (by aborting the fetch or by cancelling the body), right at the end, or not at all.
// Afterwards every call that reached the emulator has exactly one spend row, and the key's spend is their sum.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";
import { seededRandom } from "../support/fixtures.ts";

let stack: Stack;

beforeAll(async () => {
  // Under Miniflare most disconnects never reach the Worker (no cancel, no abort signal): the stream just stops
  // being read, and the idle deadline is what ends it. Short here so the test does not wait minutes.
  stack = await startStack({ env: { STREAM_PING_MS: "100", STREAM_UPSTREAM_IDLE_MS: "2000" } });
});
afterAll(async () => {
  await stack?.stop();
});


type Route = { path: string; model: string };
const ROUTES: Route[] = [
  { path: "/v1/messages", model: "claude-sonnet-4-6" },
  { path: "/v1/chat/completions", model: "claude-sonnet-4-6" },
  { path: "/v1/messages", model: "nova-pro" },
  { path: "/v1/chat/completions", model: "nova-pro" },
];
type Plan = { kind: "early"; afterMs: number } | { kind: "mid"; afterBytes: number; how: "abort" | "cancel" } | { kind: "end" } | { kind: "full" };

function planFor(next: () => number): Plan {
  const r = next();
  if (r < 0.2) return { kind: "early", afterMs: Math.floor(next() * 40) };
  if (r < 0.75) return { kind: "mid", afterBytes: 1 + Math.floor(next() * 3000), how: next() < 0.5 ? "abort" : "cancel" };
  if (r < 0.9) return { kind: "end" };
  return { kind: "full" };
}

const STREAMING_OPS = new Set(["InvokeModelWithResponseStream", "ConverseStream"]);
const END_MARKS = ["message_stop", "[DONE]"];

/** One client: sends a slow streaming request and leaves as its plan says. Never throws. */
async function client(key: string, route: Route, plan: Plan): Promise<string> {
  const ac = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json", "x-api-key": key, authorization: `Bearer ${key}`, "anthropic-version": "2023-06-01" };
  const body = JSON.stringify({ model: route.model, max_tokens: 4000, stream: true, messages: [{ role: "user", content: "[[emu:words 150]]" }] });
  if (plan.kind === "early") setTimeout(() => ac.abort(), plan.afterMs);
  try {
    const res = await fetch(`${stack.gateway.url}${route.path}`, { method: "POST", headers, body, signal: ac.signal });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    let seen = "";
    let bytes = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return `${res.status} done`;
      bytes += value.byteLength;
      if (plan.kind === "end") seen = (seen + text.decode(value, { stream: true })).slice(-64);
      if (plan.kind === "mid" && bytes >= plan.afterBytes) {
        if (plan.how === "abort") ac.abort();
        else await reader.cancel();
        return `${res.status} left mid-stream`;
      }
      if (plan.kind === "end" && END_MARKS.some((m) => seen.includes(m))) {
        ac.abort();
        return `${res.status} left at the end`;
      }
    }
  } catch (e) {
    return `aborted: ${String(e).slice(0, 40)}`;
  }
}

describe("spend of aborted streams", () => {
  it("bills every call that reached Bedrock exactly once, however the clients leave", { timeout: 90_000 }, async () => {
    const seed = Number(process.env.ABORT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const next = seededRandom(seed);
    let note = `seed ${seed} (rerun with ABORT_SEED=${seed})`;
    const key = await stack.createKey({ alias: "abort-many" });
    // Slow streams: ~150 words at 4 ms a frame, so most clients leave while Bedrock is still talking.
    stack.emulator.script({ delayMs: 4, times: 10_000 });
    const plans = Array.from({ length: 48 }, (_, i) => ({ route: ROUTES[i % ROUTES.length]!, plan: planFor(next) }));
    const outcomes = await Promise.all(plans.map(({ route, plan }) => client(key, route, plan)));
    const story = plans.map((p, i) => `${p.route.path} ${p.route.model} ${JSON.stringify(p.plan)} -> ${outcomes[i]}`).join("\n");

    note += `\n${story}`;
    const calls = () => stack.emulator.requests.filter((r) => STREAMING_OPS.has(r.operation)).length;
    // A call still being received when its client left may reach the emulator a moment later.
    await new Promise((r) => setTimeout(r, 500));
    const expected = calls();
    expect(expected, note).toBeGreaterThan(30);
    const rows = await stack.waitForSpendRows("abort-many", expected, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would land now
    const final = (await stack.spendRows()).filter((r) => r.keyAlias === "abort-many");
    expect(calls(), note).toBe(expected);
    expect(final.length, note).toBe(expected);
    expect(new Set(final.map((r) => r.requestId)).size, note).toBe(final.length);
    expect(rows.length, note).toBe(expected);
    for (const row of final) {
      expect([200, 499], note).toContain(row.status);
    }
    // Clients that read to the end were never cut short by the guard.
    expect(final.filter((r) => r.status === 200).length, note).toBeGreaterThanOrEqual(outcomes.filter((o) => o.endsWith(" done")).length);
    // Calls cut short still bill the input read from the stream's start, whenever that arrived.
    expect(final.filter((r) => r.status === 499 && r.inputTokens > 0).length, note).toBeGreaterThan(0);
    const total = final.reduce((s, r) => s + Number(r.cost), 0);
    await expect.poll(() => stack.keySpend(key), { timeout: 10_000 }).toBeCloseTo(total, 8);
  });
});
