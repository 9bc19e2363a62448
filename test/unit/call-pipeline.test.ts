// The single-call pipeline (worker/routes/pipeline.ts) around a route's translators: an answer Bedrock sends with 200
// that a translator cannot turn into the client's answer is the upstream's 502 in the caller's dialect, never a 500,
// and the call is still billed. Today's translators default every field, so no real answer reaches this; these plans
// wrap the real Messages and Converse translators with one that throws, as a future translator might on an answer of
// a shape it did not expect. Bedrock is a target whose client returns a Response built here; the meter is the real
// in-process one.
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../worker/context.ts";
import type { SpendRow } from "../../worker/db/queries.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { InProcessMeter } from "../../worker/meter/in-process.ts";
import { Catalog } from "../../worker/models/catalog.ts";
import { rewriteInvokeResponse } from "../../worker/protocols/anthropic/response.ts";
import { usageFromMessage } from "../../worker/protocols/anthropic/usage.ts";
import { converseToOpenAI, converseUsage } from "../../worker/protocols/converse/to-openai.ts";
import { ANTHROPIC_DIALECT, OPENAI_DIALECT } from "../../worker/routes/dialects.ts";
import { runCall, type CallPlan } from "../../worker/routes/pipeline.ts";

const CLAUDE_ANSWER = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [{ type: "text", text: "hi" }],
  stop_reason: "end_turn",
  usage: { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 5000, cache_creation_input_tokens: 0 },
};
const CONVERSE_ANSWER = {
  output: { message: { role: "assistant", content: [{ text: "hi" }] } },
  stopReason: "end_turn",
  usage: { inputTokens: 300, outputTokens: 40, totalTokens: 340 },
};

function harness(answer: () => Response) {
  const rows: SpendRow[] = [];
  const deferred: Promise<unknown>[] = [];
  const meter = new InProcessMeter({ record: (row: SpendRow) => void rows.push(row) } as never, async () => {});
  const key = { id: "k", keyAlias: "alias", models: [], maxBudget: null, spend: 0, budgetDuration: null, budgetResetAt: null, rpmLimit: null, tpmLimit: null, maxParallelRequests: null, expires: null, blocked: false, userId: null, teamId: null, metadata: {} };
  let calls = 0;
  const vars: Record<string, unknown> = {
    requestId: "req_pipeline",
    startedAt: Date.now(),
    key,
    keyHash: "h",
    keyLoadedAt: Date.now(),
    services: {
      meter,
      keys: { addSpend() {} },
      usage: { learn() {} },
      spend: { record: (row: SpendRow) => void rows.push(row) },
      rejections: { known: () => [], remember() {} },
      config: { requestLog: false },
      router: {
        targetsFor: () => [{ name: "us-east-1/test", modelId: "test-model", client: { call: async () => (calls++, answer()) } }],
      },
    },
  };
  const c = {
    get: (k: string) => vars[k],
    set: (k: string, v: unknown) => void (vars[k] = v),
    executionCtx: { waitUntil: (p: Promise<unknown>) => void deferred.push(p) },
  } as unknown as AppContext;
  return { c, rows, calls: () => calls, settled: () => Promise.all(deferred) };
}

const catalog = new Catalog({ geoPrefix: "us" });

function plan(over: Partial<CallPlan> & Pick<CallPlan, "api" | "dialect" | "usageOf" | "respond">, modelName: string): CallPlan {
  const model = catalog.resolve(modelName);
  if (!model) throw new Error(`no model ${modelName} in the catalog`);
  return {
    route: "/v1/test",
    model,
    stream: false,
    body: { messages: [] },
    estimate: { tokens: 10, cost: 0.001 },
    translateStream: () => {
      throw new Error("not streamed here");
    },
    ...over,
  };
}

const json = (body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json", ...headers } });

const throwing = () => {
  throw new TypeError("Cannot read properties of undefined (reading 'map')");
};

describe("the call pipeline's translators", () => {
  it("delivers a translated answer and bills its usage (the harness itself)", async () => {
    const h = harness(json(CLAUDE_ANSWER));
    const res = await runCall(h.c, plan({ api: "invoke", dialect: ANTHROPIC_DIALECT, usageOf: usageFromMessage, respond: (j) => rewriteInvokeResponse(j, "claude-sonnet-4-6") }, "claude-sonnet-4-6"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ content: [{ text: "hi" }], model: "claude-sonnet-4-6" });
    await h.settled();
    expect(h.rows).toMatchObject([{ status: 200, inputTokens: 1000, outputTokens: 200, cacheReadInputTokens: 5000 }]);
    expect(h.rows[0]!.cost).toBeGreaterThan(0);
  });

  it("a Messages translator that throws on the answer: Anthropic's 502, billed by the usage the answer states", async () => {
    const h = harness(json(CLAUDE_ANSWER));
    const res = await runCall(h.c, plan({ api: "invoke", dialect: ANTHROPIC_DIALECT, usageOf: usageFromMessage, respond: throwing }, "claude-sonnet-4-6"));
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body).toEqual({ type: "error", error: { type: "api_error", message: expect.stringMatching(/unreadable answer/) }, request_id: "req_pipeline" });
    expect(JSON.stringify(body)).not.toMatch(/Cannot read properties/);
    expect(res.headers.get("x-litellm-response-cost")).toBe(String(h.rows[0]?.cost));
    await h.settled();
    expect(h.rows).toMatchObject([{ status: 502, inputTokens: 1000, outputTokens: 200, cacheReadInputTokens: 5000 }]);
    expect(h.rows[0]!.cost).toBeGreaterThan(0);
    expect(h.calls()).toBe(1);
  });

  it("a usage reader that throws: the 502 is billed by InvokeModel's token-count headers", async () => {
    const h = harness(json(CLAUDE_ANSWER, { "x-amzn-bedrock-input-token-count": "700", "x-amzn-bedrock-output-token-count": "90" }));
    const res = await runCall(h.c, plan({ api: "invoke", dialect: ANTHROPIC_DIALECT, usageOf: throwing, respond: (j) => rewriteInvokeResponse(j, "claude-sonnet-4-6") }, "claude-sonnet-4-6"));
    expect(res.status).toBe(502);
    await h.settled();
    expect(h.rows).toMatchObject([{ status: 502, inputTokens: 700, outputTokens: 90 }]);
  });

  it("a Converse translator that throws: OpenAI's 502 shape, billed by the answer's usage", async () => {
    const h = harness(json(CONVERSE_ANSWER));
    const res = await runCall(h.c, plan({ api: "converse", dialect: OPENAI_DIALECT, usageOf: (j) => converseUsage(j.usage), respond: throwing }, "nova-pro"));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: { message: expect.stringMatching(/unreadable answer/), type: "server_error", param: null, code: "server_error" } });
    await h.settled();
    expect(h.rows).toMatchObject([{ status: 502, inputTokens: 300, outputTokens: 40 }]);
  });

  it("a translator's own refusal of an answer keeps its status and message", async () => {
    const h = harness(json(CONVERSE_ANSWER));
    const refuse = () => {
      throw new GatewayError(400, "The answer was blocked by the content filter.", "invalid_request_error", undefined, undefined, "content_filter");
    };
    const res = await runCall(h.c, plan({ api: "converse", dialect: OPENAI_DIALECT, usageOf: (j) => converseUsage(j.usage), respond: refuse }, "nova-pro"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: "The answer was blocked by the content filter.", code: "content_filter" } });
    await h.settled();
    expect(h.rows).toMatchObject([{ status: 400, inputTokens: 300, outputTokens: 40 }]);
    // The real translator answers the same body fine: the refusal above was the plan's, not the answer's.
    expect(converseToOpenAI(CONVERSE_ANSWER, { requestedModel: "nova-pro", id: "chatcmpl-1", created: 0 })).toMatchObject({ choices: [{ message: { content: "hi" } }] });
  });
});
