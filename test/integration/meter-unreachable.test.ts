// A key's meter object that cannot be reached answers callers with a 503 to retry, in their dialect, never a 500:
// the admission of a model call (Anthropic and OpenAI dialects) and the set-aside routes of the admin API. A key change
// is stored and answered (telling the object is retried after the response). The Worker's own app and services run
// here in Node against real Postgres (test/support/node-gateway.ts); only the Durable Object namespace is a
// stand-in, failing as workerd's does: the runtime rejects a call it could not deliver, and the object answers 500
// when its own work (its storage) failed. Miniflare offers no way to make a running object unreachable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogs } from "../support/captured-logs.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";
import { nodeGateway, type NodeGateway } from "../support/node-gateway.ts";

const MASTER = "sk-master-unreachable-0123456789abcdefghijklmnop";

/** How the namespace's objects fail (rejected by the runtime, or answering 500), or "200": they answer again. */
let failure: "rejected" | "500" | "200" = "rejected";
const calls: string[] = [];
const namespace = {
  idFromName: (name: string) => ({ name }),
  get: () => ({
    async fetch(url: string): Promise<Response> {
      calls.push(new URL(url).pathname.slice(1));
      if (failure === "rejected") throw new Error("Network connection lost.");
      if (failure === "200") return Response.json({ ok: true });
      return new Response("meter error", { status: 500 });
    },
  }),
} as unknown as DurableObjectNamespace;

let database: TestDatabase;
let gateway: NodeGateway;

beforeAll(async () => {
  database = await startTestDatabase();
  gateway = nodeGateway(database, MASTER, () => namespace);
});
afterAll(async () => {
  await database?.stop();
});

function send(method: string, path: string, auth: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { "content-type": "application/json" }) } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return gateway.fetch(`http://127.0.0.1${path}`, init);
}


async function expect503(res: Response, dialect: "anthropic" | "openai"): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(503);
  expect(res.headers.get("retry-after")).toBe("2");
  const body = JSON.parse(text);
  if (dialect === "anthropic") expect(body).toMatchObject({ type: "error", error: { type: "overloaded_error", message: expect.stringMatching(/could not reach this key's meter/) } });
  else expect(body).toEqual({ error: { message: expect.stringMatching(/could not reach this key's meter/), type: "server_error", param: null, code: "server_error" } });
}

describe("a key's meter object that cannot be reached", () => {
  let key: string;
  let tokenId: string;
  beforeAll(async () => {
    failure = "200";
    const { result: res } = await captureLogs(() => send("POST", "/key/generate", MASTER, { key_alias: "unreachable", max_budget: 5, rpm_limit: 60 }));
    expect(res.status, await res.clone().text()).toBe(200);
    ({ key, token_id: tokenId } = (await res.json()) as { key: string; token_id: string });
  });

  for (const how of ["rejected", "500"] as const) {
    it(`(${how === "rejected" ? "the runtime rejects the call" : "the object answers 500"}) refuses a model call with a 503 to retry, in the caller's dialect`, async () => {
      failure = how;
      calls.length = 0;
      const { result: messages, lines } = await captureLogs(() => send("POST", "/v1/messages", key, { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] }));
      await expect503(messages, "anthropic");
      const { result: chat } = await captureLogs(() => send("POST", "/v1/chat/completions", key, { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hello" }] }));
      await expect503(chat, "openai");
      expect(calls.filter((c) => c === "admit")).toHaveLength(2);
      // One warning per request, naming the meter, with the cause; no 500's "unhandled error".
      expect(lines.some((l) => /meter call failed/.test(l) && (how === "rejected" ? /Network connection lost/ : /500 meter error/).test(l))).toBe(true);
      expect(lines.join("\n")).not.toMatch(/unhandled error/);
    });
  }

  it("answers the set-aside routes with a 503 in the admin API's dialect", async () => {
    failure = "rejected";
    await captureLogs(async () => {
      await expect503(await send("GET", `/spend/unreadable?key=${tokenId}`, MASTER), "openai");
      await expect503(await send("GET", `/spend/unreadable/chunk?key=${tokenId}&name=rows:a:0`, MASTER), "openai");
      await expect503(await send("POST", "/spend/unreadable/salvage", MASTER, { key: tokenId }), "openai");
      await expect503(await send("POST", "/spend/unreadable/discard", MASTER, { key: tokenId, chunks: ["rows:a:0"] }), "openai");
    });
  });

  it("stores and answers a key change, and tells the object after the response until it hears", async () => {
    failure = "rejected";
    calls.length = 0;
    const { result: blocked, lines } = await captureLogs(async () => {
      const res = await send("POST", "/key/block", MASTER, { key: tokenId });
      // The object comes back before the first retry (half a second after the response).
      failure = "200";
      await new Promise((r) => setTimeout(r, 900));
      return res;
    });
    expect(blocked.status, await blocked.clone().text()).toBe(200);
    expect(((await blocked.json()) as { blocked: boolean }).blocked).toBe(true);
    expect(calls).toEqual(["changed", "changed"]);
    expect(lines.some((l) => /did not hear of it; retrying after the response/.test(l))).toBe(true);
    expect(lines.some((l) => /heard of it on a later try/.test(l))).toBe(true);
    // The stored key is blocked: its next call is refused before the meter is asked.
    const refused = await send("POST", "/v1/messages", key, { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] });
    expect(refused.status).toBe(401);
    // A generated key is shown even while the object cannot be reached: a retried generate would make a second key.
    failure = "rejected";
    const { result: made } = await captureLogs(async () => {
      const res = await send("POST", "/key/generate", MASTER, { key_alias: "made-while-unreachable" });
      // Its object answers again before the first retry: nothing is left retrying after this file.
      failure = "200";
      await new Promise((r) => setTimeout(r, 900));
      return res;
    });
    expect(made.status).toBe(200);
    expect(((await made.json()) as { key: string }).key).toMatch(/^sk-/);
  });
});
