// The origin's pure pieces: its route table, its settings, the headers that cross the hop, and the usage reader.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../worker/config.ts";
import { checkRoute } from "../../worker/edge/firewall.ts";
import { parseOriginConfig } from "../../worker/origin/config.ts";
import { clientResponseHeaders, originRequestHeaders } from "../../worker/origin/headers.ts";
import { originTarget } from "../../worker/origin/routes.ts";
import { tapUsage, usageOf } from "../../worker/origin/usage.ts";

const SECRET = "x".repeat(32);

describe("origin route table", () => {
  it("maps exact paths and the job-id pattern to normalised origin paths", () => {
    expect(originTarget("POST", "/v1/videos/generations")).toMatchObject({ path: "/v1/videos/generations", search: "", route: { service: "sidecar" } });
    expect(originTarget("GET", "/v1/videos/generations/job_1-a")).toMatchObject({ path: "/v1/videos/generations/job_1-a" });
    expect(originTarget("POST", "/v1/chat/completions")).toMatchObject({ route: { service: "litellm" } });
    expect(originTarget("GET", "/v1/videos/generations", "limit=3&status=failed&x=1")?.search).toBe("?limit=3&status=failed");
    expect(originTarget("GET", "/v1/videos/generations", "limit=a%2Fb")?.search).toBe("");
  });

  it("refuses everything else: other methods, dot segments, encoded slashes, extra segments, prefixes", () => {
    for (const [m, p] of [
      ["DELETE", "/v1/videos/generations/job1"],
      ["GET", "/v1/videos/generations/.."],
      ["GET", "/v1/videos/generations/a%2Fb"],
      ["GET", "/v1/videos/generations/a/b"],
      ["GET", "/v1/videos/generations/"],
      ["GET", "/v1/videos/generationsX"],
      ["GET", "/x/v1/videos/health"],
      ["GET", "/health/readiness"],
      ["POST", "/v1/videos/health"],
    ] as const) {
      expect(originTarget(m, p), `${m} ${p}`).toBeNull();
    }
  });

  it("the firewall admits the job-id pattern only whole, and only for GET", () => {
    expect(checkRoute("GET", "https://gw/v1/videos/generations/job_1")).toBe("/v1/videos/generations/job_1");
    expect(() => checkRoute("POST", "https://gw/v1/videos/generations/job_1")).toThrow(expect.objectContaining({ status: 405 }));
    expect(() => checkRoute("GET", "https://gw/v1/videos/generations/job_1/x")).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => checkRoute("GET", `https://gw/v1/videos/generations/${"a".repeat(129)}`)).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => checkRoute("GET", "https://gw/v1/videos/generations/%2e%2e")).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe("origin settings", () => {
  it("no ORIGIN_URL, no origin; defaults otherwise", () => {
    expect(parseOriginConfig({})).toBeNull();
    const c = parseOriginConfig({ ORIGIN_URL: "https://origin.example.com/", ORIGIN_SHARED_SECRET: SECRET, AWS_REGION: "eu-west-1" })!;
    expect(c).toMatchObject({ url: "https://origin.example.com", wakeWaitMs: 120_000, idleMs: 30 * 60_000, instanceId: null, ec2Endpoint: "https://ec2.eu-west-1.amazonaws.com", access: null });
    expect(parseOriginConfig({ ORIGIN_URL: "https://o.example", ORIGIN_SHARED_SECRET: SECRET, ORIGIN_IDLE_MINUTES: "0.5", ORIGIN_WAKE_WAIT_SECONDS: "2.5" })).toMatchObject({ idleMs: 30_000, wakeWaitMs: 2500 });
  });

  it("ORIGIN_MODELS as a list or with prices", () => {
    const list = parseOriginConfig({ ORIGIN_URL: "https://o.example", ORIGIN_SHARED_SECRET: SECRET, ORIGIN_MODELS: "a, b" })!;
    expect([...list.models]).toEqual([["a", null], ["b", null]]);
    const priced = parseOriginConfig({ ORIGIN_URL: "https://o.example", ORIGIN_SHARED_SECRET: SECRET, ORIGIN_MODELS: '{"a":{"input":1,"output":2},"b":null}' })!;
    expect(priced.models.get("a")).toEqual({ input: 1, output: 2 });
  });

  it("names every problem", () => {
    let err: unknown;
    try {
      parseOriginConfig({ ORIGIN_URL: "https://o.example/path", ORIGIN_SHARED_SECRET: "short", ORIGIN_ACCESS_CLIENT_ID: "id", ORIGIN_INSTANCE_ID: "vm-1", ORIGIN_MODELS: "{bad", ORIGIN_IDLE_MINUTES: "-1" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const name of ["ORIGIN_URL", "ORIGIN_SHARED_SECRET", "ORIGIN_ACCESS_CLIENT_SECRET", "ORIGIN_INSTANCE_ID", "ORIGIN_MODELS", "ORIGIN_IDLE_MINUTES"]) {
      expect((err as Error).message).toContain(name);
    }
  });
});

describe("headers across the hop", () => {
  it("to the origin: only the allowlisted client headers, never its credentials, plus Access and identity", () => {
    const incoming = new Headers({
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "x-api-key": "sk-bw-client",
      authorization: "Bearer sk-bw-client",
      cookie: "CF_Authorization=abc",
      "cf-access-jwt-assertion": "jwt",
      "cf-access-client-id": "client-own",
      "x-forwarded-for": "1.2.3.4",
    });
    const out = originRequestHeaders(incoming, { access: { clientId: "id", clientSecret: "secret" }, identity: "v1.a.b", identityHeader: "x-breakwater-identity", requestId: "req_1", bearer: null });
    expect(asObject(out)).toEqual({
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "cf-access-client-id": "id",
      "cf-access-client-secret": "secret",
      "x-breakwater-identity": "v1.a.b",
      "x-request-id": "req_1",
    });
  });

  it("to the client: content headers only", () => {
    const out = clientResponseHeaders(new Headers({ "content-type": "text/event-stream", "set-cookie": "a=b", server: "uvicorn", "x-litellm-version": "1.83.7", "cf-ray": "x", "retry-after": "5" }));
    expect(asObject(out)).toEqual({ "content-type": "text/event-stream", "retry-after": "5" });
  });
});

describe("usage the origin reports", () => {
  it("reads OpenAI and Anthropic usage", () => {
    expect(usageOf({ usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } })).toEqual({ input_tokens: 6, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 });
    expect(usageOf({ type: "message_start", message: { usage: { input_tokens: 9, output_tokens: 1, cache_read_input_tokens: 2 } } })).toEqual({ input_tokens: 9, output_tokens: 1, cache_read_input_tokens: 2, cache_creation_input_tokens: 0 });
    expect(usageOf({ choices: [] })).toBeNull();
  });

  const run = async (contentType: string, parts: string[]) => {
    let result: unknown;
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });
    const text = await new Response(tapUsage(src, contentType, (r) => (result = r))).text();
    return { text, result };
  };

  it("passes an SSE stream through unchanged and merges usage across events split anywhere", async () => {
    const sse = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}\n\nevent: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":30}}\n\n';
    const parts = [sse.slice(0, 17), sse.slice(17, 90), sse.slice(90)];
    const { text, result } = await run("text/event-stream", parts);
    expect(text).toBe(sse);
    expect(result).toEqual({ completed: true, usage: { input_tokens: 12, output_tokens: 30, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
  });

  it("reads a JSON body's usage at its end", async () => {
    const { result } = await run("application/json", ['{"usage":{"prompt_tok', 'ens":5,"completion_tokens":2}}']);
    expect(result).toEqual({ completed: true, usage: { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
  });

  it("reports a cancelled stream as not completed, with what it saw", async () => {
    let result: any;
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: {"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n'));
      },
    });
    const reader = tapUsage(src, "text/event-stream", (r) => (result = r)).getReader();
    await reader.read();
    await reader.cancel();
    expect(result).toEqual({ completed: false, usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
  });
});

function asObject(h: Headers): Record<string, string> {
  const o: Record<string, string> = {};
  h.forEach((v, k) => (o[k] = v));
  return o;
}
