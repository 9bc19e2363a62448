// The Worker → origin hop, with the origin always up: ORIGIN_URL points straight at a small OpenAI-compatible
// stand-in (test/support/openai-standin.ts) that plays LiteLLM and the video sidecar's routes and verifies the
// identity header as the real services must. What is real: the Worker in workerd, its key checks and meter,
// Postgres, the identity HMAC. What stands in: LiteLLM and the sidecar (neither can be installed here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDENTITY_HEADER } from "../../worker/origin/identity.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startStandin, type Standin } from "../support/openai-standin.ts";
import { startGateway } from "../support/worker-harness.ts";

const SECRET = "origin-shared-secret-for-the-tests-0123456789";
const ACCESS = { id: "access-client-id.access", secret: "access-client-secret-value" };
const LITELLM_KEY = "sk-litellm-master-for-tests";

let stack: Stack;
let standin: Standin;
let key: string;

beforeAll(async () => {
  standin = await startStandin(SECRET);
  stack = await startStack({
    env: {
      ORIGIN_URL: standin.url,
      ORIGIN_SHARED_SECRET: SECRET,
      ORIGIN_ACCESS_CLIENT_ID: ACCESS.id,
      ORIGIN_ACCESS_CLIENT_SECRET: ACCESS.secret,
      ORIGIN_LITELLM_KEY: LITELLM_KEY,
      ORIGIN_MODELS: JSON.stringify({ "qwen3-origin": { input: 1, output: 2 }, "standin-error": null, "standin-fail": null, "embed-origin": null, "origin-only": null, "standin-hang": null }),
    },
  });
  key = await stack.createKey({ alias: "origin-user" });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await standin?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) });
const chat = (model: string, extra: Record<string, unknown> = {}) => post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], ...extra });
const last = () => standin.requests[standin.requests.length - 1]!;

describe("model fallback to LiteLLM on the origin", () => {
  it("forwards a model only the origin lists, with the Access token and a signed identity, and none of the client's credentials", async () => {
    const res = await chat("qwen3-origin", { max_tokens: 50 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toBe("from the origin");
    const seen = last();
    expect(seen.path).toBe("/v1/chat/completions");
    expect(seen.refused).toBeNull();
    expect(seen.identity).toMatchObject({ alias: "origin-user", method: "POST", path: "/v1/chat/completions", models: [] });
    expect(seen.identity?.requestId).toBe(res.headers.get("request-id"));
    expect(seen.headers["cf-access-client-id"]).toBe(ACCESS.id);
    expect(seen.headers["cf-access-client-secret"]).toBe(ACCESS.secret);
    // The client's key never reaches the origin; LiteLLM gets its own master key instead.
    expect(seen.headers.authorization).toBe(`Bearer ${LITELLM_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(key);
    expect(JSON.parse(seen.body).model).toBe("qwen3-origin");
  });

  it("records spend from the usage the origin reports, priced from ORIGIN_MODELS", async () => {
    const k = await stack.createKey({ alias: "origin-spend" });
    const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${k}` },
      body: JSON.stringify({ model: "qwen3-origin", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const [row] = await stack.waitForSpendRows("origin-spend", 1);
    expect(row).toMatchObject({ model: "qwen3-origin", inputTokens: 11, outputTokens: 7, status: 200, target: "origin:litellm" });
    expect(Number(row!.cost)).toBeCloseTo((11 * 1 + 7 * 2) / 1e6, 12);
  });

  it("streams an SSE answer through as it is produced, and bills the usage in its last chunk", async () => {
    const k = await stack.createKey({ alias: "origin-stream" });
    standin.hold();
    const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${k}` },
      body: JSON.stringify({ model: "qwen3-origin", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    // Infrastructure headers of the origin stay there.
    expect(res.headers.get("x-litellm-version")).toBeNull();
    expect(res.headers.get("server")).toBeNull();
    const reader = res.body!.getReader();
    // The origin holds the rest of its answer until released: the first chunk must already be here.
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("from ");
    standin.release();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("[DONE]");
    const [row] = await stack.waitForSpendRows("origin-stream", 1);
    expect(row).toMatchObject({ inputTokens: 11, outputTokens: 7, stream: true, status: 200 });
  });

  it("streams a request body to the origin without holding it", async () => {
    await chat("qwen3-origin"); // the isolate has just reached the origin: bodies now stream
    const part1 = new TextEncoder().encode(`{"model":"qwen3-origin","messages":[{"role":"user","content":"${"a".repeat(64 * 1024)}`);
    const part2 = new TextEncoder().encode(`"}]}`);
    let sendRest: () => void = () => {};
    const restSent = new Promise<void>((r) => (sendRest = r));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(part1);
        await restSent;
        controller.enqueue(part2);
        controller.close();
      },
    });
    // Goes to the origin only for origin models, so the body is read by the edge (JSON) — use a video upload instead.
    const upload = fetch(`${stack.gateway.url}/v1/videos/generations`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${key}` },
      body,
      duplex: "half",
    } as RequestInit);
    // The origin sees the first part while the client still holds back the rest: nothing buffered it whole.
    await expect.poll(() => standin.receiving.bytes, { timeout: 10_000 }).toBeGreaterThanOrEqual(part1.length);
    sendRest();
    const res = await upload;
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).received_bytes).toBe(part1.length + part2.length);
  });

  it("an Anthropic /v1/messages call for an origin model gets the origin's answer, and origin errors in each caller's dialect", async () => {
    const ok = await post("/v1/messages", { model: "qwen3-origin", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }, { "anthropic-version": "2023-06-01" });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).content[0].text).toBe("from the origin");
    expect(last().headers["anthropic-version"]).toBe("2023-06-01");

    const anth = await post("/v1/messages", { model: "standin-error", max_tokens: 20, messages: [{ role: "user", content: "hi" }] });
    expect(anth.status).toBe(400);
    expect(await anth.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "standin says: bad parameter temperature" } });

    const oai = await chat("standin-error");
    expect(oai.status).toBe(400);
    expect(await oai.json()).toMatchObject({ error: { type: "invalid_request_error", message: "standin says: bad parameter temperature" } });

    const crashed = await chat("standin-fail");
    expect(crashed.status).toBe(502);
    const crash = (await crashed.json()) as any;
    expect(crash.error.message).toBe("The origin failed: standin crashed");
  });

  it("embeddings for an origin model go to the origin", async () => {
    const res = await post("/v1/embeddings", { model: "embed-origin", input: "hello" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data[0].embedding).toEqual([0.1, 0.2]);
    expect(last().path).toBe("/v1/embeddings");
  });

  it("unknown models still get the edge's 404, a catalog model stays at the edge, and a key's model list applies", async () => {
    const before = standin.requests.length;
    const unknown = await chat("no-such-model");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.message).toMatch(/not available/);
    const edge = await post("/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hi" }] });
    expect(edge.status).toBe(200);
    // The fallback read the body to find the model; the edge route serves from that same read, streamed too.
    const streamed = await post("/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 20, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain("event: message_stop");
    const malformed = await fetch(`${stack.gateway.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/not valid JSON/) } });
    const limited = await stack.createKey({ alias: "origin-limited", models: ["qwen3-origin"] });
    const refused = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${limited}` },
      body: JSON.stringify({ model: "origin-only", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(refused.status).toBe(403);
    const badKey = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-bw-not-a-key" },
      body: JSON.stringify({ model: "qwen3-origin", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(badKey.status).toBe(401);
    expect(standin.requests.length).toBe(before);
  });
});

describe("origin timeouts", () => {
  it("an origin that does not answer within ORIGIN_TIMEOUT_SECONDS is a 504 in the caller's dialect, with a spend row", async () => {
    const impatient = await startGateway({ ...stack.gatewayEnv, ORIGIN_TIMEOUT_SECONDS: "1" });
    try {
      const k = await stack.createKey({ alias: "origin-timeout" });
      const res = await fetch(`${impatient.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": k },
        body: JSON.stringify({ model: "standin-hang", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "timeout_error", message: "The origin did not answer in time." } });
      const [row] = await stack.waitForSpendRows("origin-timeout", 1);
      expect(row).toMatchObject({ status: 504, model: "standin-hang", target: "origin:litellm" });
    } finally {
      await impatient.stop();
    }
  });
});

describe("video routes and the origin path table", () => {
  it("forwards multipart uploads, job reads by id and the list with only its known query parameters", async () => {
    const form = new FormData();
    form.set("prompt", "a lighthouse at dusk");
    form.set("image", new Blob([new Uint8Array(200_000).fill(7)], { type: "image/png" }), "start.png");
    const res = await fetch(`${stack.gateway.url}/v1/videos/generations`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    expect(res.status).toBe(202);
    const got = (await res.json()) as any;
    expect(got.content_type).toMatch(/^multipart\/form-data; boundary=/);
    expect(got.received_bytes).toBeGreaterThan(200_000);
    expect(last().identity).toMatchObject({ method: "POST", path: "/v1/videos/generations" });

    const job = await fetch(`${stack.gateway.url}/v1/videos/generations/job_123-abc`, { headers: { authorization: `Bearer ${key}` } });
    expect(job.status).toBe(200);
    expect(last().path).toBe("/v1/videos/generations/job_123-abc");

    const list = await fetch(`${stack.gateway.url}/v1/videos/generations?limit=5&status=completed&evil=1`, { headers: { authorization: `Bearer ${key}` } });
    expect(list.status).toBe(200);
    expect(last().query).toBe("limit=5&status=completed");
  });

  it("never forwards dot segments, encoded slashes, extra segments or paths outside the table", async () => {
    const before = standin.requests.length;
    const auth = { authorization: `Bearer ${key}` };
    for (const path of [
      "/v1/videos/generations/../../admin",
      "/v1/videos/generations/%2e%2e",
      "/v1/videos/generations/a%2Fb",
      "/v1/videos/generations/a/b",
      "/v1/videos/generations/",
      "/v1/videos/generations/-leading-dash",
      "/v1/videos",
      "/v1/videos/other",
      "/v1/videosx",
      "/health/readiness",
      "/v1/videos/generations//x",
    ]) {
      const res = await fetch(`${stack.gateway.url}${path}`, { headers: auth });
      expect([400, 404], path).toContain(res.status);
      expect((await res.json()) as any).toHaveProperty("error");
    }
    const wrongMethod = await fetch(`${stack.gateway.url}/v1/videos/generations/job1`, { method: "DELETE", headers: auth });
    expect(wrongMethod.status).toBe(405);
    const noKey = await fetch(`${stack.gateway.url}/v1/videos/generations/job1`);
    expect(noKey.status).toBe(401);
    expect(standin.requests.length).toBe(before);
  });

  it("an identity header captured on the way cannot be replayed or reused for another path", async () => {
    await fetch(`${stack.gateway.url}/v1/videos/health`, { headers: { authorization: `Bearer ${key}` } });
    const captured = last().headers[IDENTITY_HEADER] as string;
    const replay = await fetch(`${standin.url}/v1/videos/health`, { headers: { [IDENTITY_HEADER]: captured } });
    expect(replay.status).toBe(401);
    expect(last().refused).toBe("replayed identity header");
    const elsewhere = await fetch(`${standin.url}/v1/videos/generations`, { method: "POST", headers: { [IDENTITY_HEADER]: captured } });
    expect(elsewhere.status).toBe(401);
    expect(last().refused).toBe("identity header made for another request");
    const unsigned = await fetch(`${standin.url}/v1/videos/health`);
    expect(unsigned.status).toBe(401);
    expect(last().refused).toBe("missing identity header");
  });

  it("prices a video job at the edge and writes no spend row for it there (the sidecar writes the job's)", async () => {
    const k = await stack.createKey({ alias: "origin-video" });
    const res = await fetch(`${stack.gateway.url}/v1/videos/generations`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${k}` },
      body: JSON.stringify({ model: "luma-ray2", prompt: "fireworks", resolution: "540p" }),
    });
    expect(res.status).toBe(202);
    // 5 seconds × $0.75, from the catalog, not the origin's header.
    expect(res.headers.get("x-litellm-response-cost")).toBe("3.75");
    await res.text();
    const bad = await fetch(`${stack.gateway.url}/v1/videos/generations`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${k}` }, body: "{}" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ type: "model_retired", param: "model" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.waitForSpendRows("origin-video", 1, 300)).toHaveLength(0);
  });
});
