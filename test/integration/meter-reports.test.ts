// The reports an isolate sends while a request runs, through the real Worker in workerd: a request that holds a
// place at its key's object is reported every METER_REPORT_MS, and the object takes a request it has not heard of
// for METER_SILENCE_MS for dead with its isolate (worker/meter/key-state.ts). Here both are shortened (300 ms and
// 1.5 s; an hour's TTL and minutes of silence cannot be waited for in a test), so a request that runs for seconds
// outlives the silence several times over: it keeps its place only if its invocation's timers really fire while it
// runs (streaming, or waiting for a slow Bedrock answer) and the reports reach the object. The other side, a killed
// isolate whose requests stop being reported, is covered at unit level (test/unit/meter-silent-requests.test.ts):
// Miniflare runs one isolate and cannot kill it mid-request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { METER_REPORT_MS: "300", METER_SILENCE_MS: "1500" } });
});
afterAll(async () => {
  await stack?.stop();
});

const send = (key: string, content: string, stream: boolean) =>
  fetch(`${stack.gateway.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 1000, stream, messages: [{ role: "user", content }] }),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("requests in flight are reported to their key's object while they run", () => {
  it("a stream that runs for seconds keeps its parallel place past the silence; the place comes back when it ends", async () => {
    // max_parallel_requests 1: too small for a lease of places, so the object admits each request itself.
    const key = await stack.createKey({ alias: "reported-stream", set: { maxParallelRequests: 1 } });
    stack.emulator.script({ delayMs: 100 }); // 200 words: ~130 frames, ~7 s
    const startedAt = Date.now();
    const stream = await send(key, "[[emu:words 200]]", true);
    expect(stream.status).toBe(200);
    const endedAt = stream.text().then(() => Date.now());
    // Twice the silence after the stream was admitted, while it still runs.
    await sleep(3000 - (Date.now() - startedAt));
    const second = await send(key, "Hello", false);
    const secondText = await second.text();
    const answeredAt = Date.now();
    expect(second.status, secondText).toBe(429);
    expect(JSON.parse(secondText).error.message).toMatch(/1 requests at a time/);
    expect(await endedAt).toBeGreaterThan(answeredAt); // the stream really was still running then
    const third = await send(key, "Hello", false);
    expect(third.status, await third.text()).toBe(200);
  });

  it("a request waiting for a slow Bedrock answer keeps its place past the silence too", async () => {
    const key = await stack.createKey({ alias: "reported-wait", set: { maxParallelRequests: 1 } });
    stack.emulator.script({ stallMs: 3500 });
    const startedAt = Date.now();
    const slow = send(key, "Hello", false);
    await sleep(2500);
    const second = await send(key, "Hello", false);
    expect(second.status, await second.clone().text()).toBe(429);
    expect(Date.now() - startedAt).toBeLessThan(3500); // asked while the first still waited for Bedrock
    const first = await slow;
    expect(first.status, await first.text()).toBe(200);
    const third = await send(key, "Hello", false);
    expect(third.status, await third.text()).toBe(200);
  });
});
