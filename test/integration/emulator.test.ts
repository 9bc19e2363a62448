// The Bedrock emulator, exercised by the clients that matter: the real AWS SDK (typed errors, event-stream decoding,
// SigV4 with x-amz-content-sha256), aws4fetch (what the Worker signs with), and plain fetch for the control API.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { AwsClient } from "aws4fetch";
import {
  DEFAULT_KNOWN_BETAS, DEFAULT_TEXT, decodeFrames, embeddingFor, generateWords, startEmulator, thinkingSignature, type Emulator,
} from "../support/emulator/index.ts";
import { verifyAuth } from "../support/emulator/sigv4.ts";
import {
  assembleEmbeddings, planEmbeddings, type BedrockEmbeddingResponse, type EmbeddingFamily,
} from "../../worker/protocols/embeddings/openai.ts";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const BASE_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
const KEYS = { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" };
const BEARER = "bedrock-api-key-test";

const claudeBody = (extra: Record<string, unknown> = {}) => ({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 256,
  messages: [{ role: "user", content: "Hello" }],
  ...extra,
});
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const decode = (b: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(b)) as Record<string, any>;

/** The formula documented in tokens.ts, recomputed independently. */
const expectedInputTokens = (segments: unknown[]) => Math.ceil(segments.reduce<number>((n, s) => n + JSON.stringify(s).length, 0) / 4);

let emu: Emulator;
let sdk: BedrockRuntimeClient;
let aws: AwsClient;

beforeAll(async () => {
  emu = await startEmulator({ bearerToken: BEARER });
  sdk = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: emu.url,
    credentials: KEYS,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1, // a retried 429 would consume the next scenario
  });
  aws = new AwsClient({ ...KEYS, service: "bedrock", region: "us-east-1", retries: 0 });
});
afterAll(async () => {
  sdk?.destroy();
  await emu?.stop();
});
beforeEach(() => emu.reset());

const invokeUrl = (label: string, op = "invoke") => `${emu.url}/model/${label}/${op}`;
const post = (url: string, body: unknown, client: AwsClient = aws) =>
  client.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function collectInvokeStream(body: unknown, modelId = MODEL): Promise<Array<Record<string, any>>> {
  const out = await sdk.send(new InvokeModelWithResponseStreamCommand({ modelId, contentType: "application/json", body: encode(body) }));
  const events: Array<Record<string, any>> = [];
  for await (const part of out.body ?? []) if (part.chunk?.bytes) events.push(decode(part.chunk.bytes));
  return events;
}

/** Rebuilds the final message from stream events, the way the Anthropic SDK accumulates them. */
function reassemble(events: Array<Record<string, any>>) {
  const start = events[0]?.message;
  const blocks: Array<Record<string, any>> = [];
  let json: Record<number, string> = {};
  let stop: Record<string, any> = {};
  for (const e of events) {
    if (e.type === "content_block_start") blocks[e.index] = { ...e.content_block };
    if (e.type === "content_block_delta") {
      const b = blocks[e.index]!;
      if (e.delta.type === "text_delta") b.text += e.delta.text;
      if (e.delta.type === "thinking_delta") b.thinking += e.delta.thinking;
      if (e.delta.type === "signature_delta") b.signature = e.delta.signature;
      if (e.delta.type === "input_json_delta") json[e.index] = (json[e.index] ?? "") + e.delta.partial_json;
    }
    if (e.type === "content_block_stop" && blocks[e.index]!.type === "tool_use") blocks[e.index]!.input = JSON.parse(json[e.index]!);
    if (e.type === "message_delta") stop = e;
  }
  json = {};
  return { ...start, content: blocks, stop_reason: stop.delta?.stop_reason, output_tokens: stop.usage?.output_tokens };
}

describe("AWS SDK against the emulator", () => {
  it("InvokeModel answers a Claude Message with deterministic usage", async () => {
    const body = claudeBody({ system: "Be brief." });
    const out = await sdk.send(new InvokeModelCommand({ modelId: MODEL, contentType: "application/json", body: encode(body) }));
    const msg = decode(out.body);
    expect(msg).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: DEFAULT_TEXT }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: expectedInputTokens(["Hello", "Be brief."]),
        output_tokens: 6, // 5 words + 1
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(msg.id).toMatch(/^msg_bdrk_01[0-9A-Za-z]{22}$/);
    expect(out.contentType).toBe("application/json");
    expect(emu.requests[0]).toMatchObject({ operation: "InvokeModel", modelId: MODEL, signatureValid: true, auth: "sigv4" });
    expect(emu.requests[0]!.rawPath).toBe(`/model/${MODEL.replace(":", "%3A")}/invoke`);
  });

  it("InvokeModelWithResponseStream streams thinking, text and a tool call that reassemble into a valid message", async () => {
    emu.script({ thinking: "The user wants weather.", text: "Let me check the weather in «Paris» ☀️ now.", toolUse: { name: "get_weather", input: { city: "Paris", days: [1, 2] } } });
    const events = await collectInvokeStream(claudeBody());
    expect(events[0]!.type).toBe("message_start");
    expect(events[0]!.message.usage).toMatchObject({ cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 1 });
    expect(events.at(-2)!.type).toBe("message_delta");
    expect(events.at(-1)!.type).toBe("message_stop");
    expect(events.at(-1)!["amazon-bedrock-invocationMetrics"]).toMatchObject({ inputTokenCount: expect.any(Number), outputTokenCount: expect.any(Number) });
    expect(events.filter((e) => e.delta?.type === "text_delta").length).toBeGreaterThan(1);
    const msg = reassemble(events);
    expect(msg.content).toEqual([
      { type: "thinking", thinking: "The user wants weather.", signature: expect.stringMatching(/^Eq/) },
      { type: "text", text: "Let me check the weather in «Paris» ☀️ now." },
      { type: "tool_use", id: expect.stringMatching(/^toolu_bdrk_01/), name: "get_weather", input: { city: "Paris", days: [1, 2] } },
    ]);
    expect(msg.stop_reason).toBe("tool_use");
    // 4 thinking words + 9 text words + ceil(26 chars of tool JSON / 4) + 1
    expect(msg.output_tokens).toBe(4 + 9 + Math.ceil(JSON.stringify({ city: "Paris", days: [1, 2] }).length / 4) + 1);
  });

  it("Converse answers a scripted tool call in Converse shapes", async () => {
    emu.script({ match: { operation: "Converse" }, toolUse: { name: "get_weather", input: { city: "Paris" } } });
    const out = await sdk.send(
      new ConverseCommand({
        modelId: "us.amazon.nova-pro-v1:0",
        messages: [{ role: "user", content: [{ text: "Weather in Paris?" }] }],
        system: [{ text: "You are terse." }],
        inferenceConfig: { maxTokens: 100 },
      }),
    );
    expect(out.stopReason).toBe("tool_use");
    expect(out.output?.message?.content?.[0]?.toolUse).toMatchObject({ name: "get_weather", input: { city: "Paris" }, toolUseId: expect.stringMatching(/^tooluse_/) });
    const usage = out.usage!;
    expect(usage.inputTokens).toBe(expectedInputTokens([{ text: "You are terse." }, { text: "Weather in Paris?" }]));
    expect(usage.totalTokens).toBe(usage.inputTokens! + usage.outputTokens!);
    expect(out.metrics?.latencyMs).toEqual(expect.any(Number));
  });

  it("ConverseStream emits messageStart, text deltas without a start, tool blocks, messageStop and metadata last", async () => {
    emu.script({ text: "Let me check the weather for you now.", toolUse: { name: "get_weather", input: { city: "Paris, France" } } });
    const out = await sdk.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text: "Weather?" }] }] }));
    const events: ConverseStreamOutput[] = [];
    for await (const e of out.stream ?? []) events.push(e);
    const kinds = events.map((e) => Object.keys(e).find((k) => k !== "$unknown"));
    expect(kinds[0]).toBe("messageStart");
    expect(kinds.at(-2)).toBe("messageStop");
    expect(kinds.at(-1)).toBe("metadata");
    const starts = events.filter((e) => e.contentBlockStart);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.contentBlockStart).toMatchObject({ contentBlockIndex: 1, start: { toolUse: { name: "get_weather" } } });
    const text = events.map((e) => (e.contentBlockDelta?.contentBlockIndex === 0 ? e.contentBlockDelta.delta?.text ?? "" : "")).join("");
    expect(text).toBe("Let me check the weather for you now.");
    const fragments = events.filter((e) => e.contentBlockDelta?.delta?.toolUse).map((e) => e.contentBlockDelta!.delta!.toolUse!.input);
    expect(fragments.length).toBeGreaterThan(1);
    expect(JSON.parse(fragments.join(""))).toEqual({ city: "Paris, France" });
    expect(events.at(-2)!.messageStop?.stopReason).toBe("tool_use");
    expect(events.at(-1)!.metadata?.usage?.totalTokens).toEqual(expect.any(Number));
  });

  it("CountTokens counts an invokeModel body and a converse input, and wants a base model id", async () => {
    const body = claudeBody({ system: "sys" });
    const viaInvoke = await sdk.send(new CountTokensCommand({ modelId: BASE_MODEL, input: { invokeModel: { body: encode(body) } } }));
    expect(viaInvoke.inputTokens).toBe(expectedInputTokens(["sys", "Hello"]));
    const viaConverse = await sdk.send(
      new CountTokensCommand({ modelId: BASE_MODEL, input: { converse: { messages: [{ role: "user", content: [{ text: "Hello" }] }] } } }),
    );
    expect(viaConverse.inputTokens).toBe(expectedInputTokens([{ text: "Hello" }]));
    const err = await sdk.send(new CountTokensCommand({ modelId: MODEL, input: { invokeModel: { body: encode(body) } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as Error).message).toBe("The provided model identifier is invalid.");
  });

  it("CountTokens refuses non-Claude models, unless configured to play a Bedrock that counts for their family", async () => {
    const QWEN = "qwen.qwen3-coder-480b-a35b-v1:0";
    const input = { converse: { messages: [{ role: "user" as const, content: [{ text: "Hello" }] }] } };
    const refused = await sdk.send(new CountTokensCommand({ modelId: QWEN, input })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationException);
    expect((refused as Error).message).toBe("The provided model doesn't support counting tokens.");
    emu.configure({ countTokensFamilies: ["qwen"] });
    try {
      expect((await sdk.send(new CountTokensCommand({ modelId: QWEN, input }))).inputTokens).toBe(expectedInputTokens([{ text: "Hello" }]));
      expect(((await (await fetch(`${emu.url}/__emulator/config`)).json()) as any).countTokensFamilies).toEqual(["qwen"]);
    } finally {
      emu.configure({ countTokensFamilies: [] });
    }
  });

  it("a scripted HTTP 429 surfaces as a typed ThrottlingException", async () => {
    emu.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many tokens, please wait before trying again." } });
    const err = await sdk.send(new InvokeModelCommand({ modelId: MODEL, body: encode(claudeBody()) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect((err as ThrottlingException).message).toBe("Too many tokens, please wait before trying again.");
    expect((err as ThrottlingException).$metadata.httpStatusCode).toBe(429);
  });

  it("a scripted mid-stream throttlingException frame throws a typed ThrottlingException after n events", async () => {
    emu.script({ streamException: { type: "throttlingException", message: "Too many requests, please wait before trying again.", afterEvents: 3 } });
    const out = await sdk.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: encode(claudeBody()) }));
    let seen = 0;
    const err = await (async () => {
      for await (const part of out.body ?? []) if (part.chunk) seen++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect((err as Error).message).toBe("Too many requests, please wait before trying again.");
    expect(seen).toBe(3);
  });

  it("rejects a body carrying model/stream with Bedrock's exact ValidationException text", async () => {
    const err = await sdk
      .send(new InvokeModelCommand({ modelId: MODEL, body: encode(claudeBody({ model: "claude-sonnet-4-5", stream: true })) }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as Error).message).toBe(
      'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}#: extraneous key [stream] is not permitted#: extraneous key [model] is not permitted, please reformat your input and try again.',
    );
  });

  it("a wrong secret gets 403 InvalidSignatureException with the expected canonical string", async () => {
    const bad = new BedrockRuntimeClient({
      region: "us-east-1",
      endpoint: emu.url,
      credentials: { accessKeyId: KEYS.accessKeyId, secretAccessKey: "wrong" },
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });
    const err = (await bad.send(new InvokeModelCommand({ modelId: MODEL, body: encode(claudeBody()) })).catch((e: unknown) => e)) as Error & {
      $metadata: { httpStatusCode: number };
    };
    bad.destroy();
    expect(err.name).toBe("InvalidSignatureException");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toContain("The request signature we calculated does not match the signature you provided.");
    expect(err.message).toContain(`/model/${MODEL.replace(":", "%253A")}/invoke`);
    expect(emu.requests[0]!.signatureValid).toBe(false);
  });

  it("a corrupted frame CRC makes the SDK stream throw", async () => {
    emu.script({ corruptCrcAfterEvents: 2 });
    const out = await sdk.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: encode(claudeBody()) }));
    const err = await (async () => {
      for await (const _ of out.body ?? []) void _;
    })().catch((e: unknown) => e);
    expect(String(err)).toMatch(/checksum/i);
  });
});

describe("aws4fetch and raw HTTP", () => {
  it("a truncated-body scenario answers 200 with half of the JSON and the token-count headers, once", async () => {
    emu.script({ truncatedBody: true });
    const cut = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody());
    expect(cut.status).toBe(200);
    expect(cut.headers.get("x-amzn-bedrock-output-token-count")).toMatch(/^\d+$/);
    const text = await cut.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text.startsWith('{"')).toBe(true);
    const whole = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody());
    expect(((await whole.json()) as any).content[0].text).toBe(DEFAULT_TEXT);
  });

  it("a replaced-body scenario answers 200 with exactly that JSON and the real answer's headers, once", async () => {
    emu.script({ replaceBody: null });
    const odd = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody());
    expect(odd.status).toBe(200);
    expect(odd.headers.get("x-amzn-bedrock-input-token-count")).toMatch(/^\d+$/);
    expect(await odd.text()).toBe("null");
    const whole = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody());
    expect(((await whole.json()) as any).content[0].text).toBe(DEFAULT_TEXT);
  });

  it("accepts %3A, raw ':' and an ARN with %2F in the path, and keeps the raw path", async () => {
    for (const label of [encodeURIComponent(MODEL), MODEL, encodeURIComponent(ARN)]) {
      const res = await post(invokeUrl(label), claudeBody());
      expect(res.status, label).toBe(200);
      expect(((await res.json()) as any).content[0].text).toBe(DEFAULT_TEXT);
    }
    expect(emu.requests.map((r) => r.rawPath)).toEqual([
      `/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke`,
      `/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke`,
      `/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6/invoke`,
    ]);
    expect(emu.requests.map((r) => r.modelId)).toEqual([MODEL, MODEL, ARN]);
  });

  it("sends Bedrock's response headers on invoke and stream", async () => {
    const res = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody());
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-amzn-bedrock-input-token-count")).toBe(String(expectedInputTokens(["Hello"])));
    expect(res.headers.get("x-amzn-bedrock-output-token-count")).toBe("6");
    expect(Number(res.headers.get("x-amzn-bedrock-invocation-latency"))).toBeGreaterThanOrEqual(0);
    const stream = await post(invokeUrl(encodeURIComponent(MODEL), "invoke-with-response-stream"), claudeBody());
    expect(stream.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(stream.headers.get("x-amzn-bedrock-content-type")).toBe("application/json");
    const frames = decodeFrames(new Uint8Array(await stream.arrayBuffer()));
    for (const f of frames) {
      expect(f.headers).toEqual({ ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" });
      const { p } = JSON.parse(f.body) as { p: string };
      expect(p.length).toBeGreaterThan(0);
      expect("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".startsWith(p)).toBe(true);
    }
  });

  it("rejects a request signed for service bedrock-runtime with 403", async () => {
    const wrong = new AwsClient({ ...KEYS, service: "bedrock-runtime", region: "us-east-1", retries: 0 });
    const res = await post(invokeUrl(encodeURIComponent(MODEL)), claudeBody(), wrong);
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/");
    expect(await res.json()).toEqual({ message: "Credential should be scoped to correct service: 'bedrock'. " });
  });

  it("rejects an unknown access key, a wrong region, and accepts a signed session token", async () => {
    const stranger = new AwsClient({ ...KEYS, accessKeyId: "AKIDSTRANGER", service: "bedrock", region: "us-east-1", retries: 0 });
    const r1 = await post(invokeUrl(MODEL), claudeBody(), stranger);
    expect(r1.status).toBe(403);
    expect(r1.headers.get("x-amzn-errortype")).toMatch(/^UnrecognizedClientException:/);
    expect(await r1.json()).toEqual({ message: "The security token included in the request is invalid." });
    const elsewhere = new AwsClient({ ...KEYS, service: "bedrock", region: "eu-west-1", retries: 0 });
    expect((await post(invokeUrl(MODEL), claudeBody(), elsewhere)).status).toBe(403);
    const session = new AwsClient({ ...KEYS, sessionToken: "FwoGZXIvYXdzEXAMPLE", service: "bedrock", region: "us-east-1", retries: 0 });
    expect((await post(invokeUrl(MODEL), claudeBody(), session)).status).toBe(200);
    expect(emu.requests.at(-1)!.headers["x-amz-security-token"]).toBe("FwoGZXIvYXdzEXAMPLE");
  });

  it("accepts the configured bearer token and refuses others and missing auth", async () => {
    const call = (authorization?: string) =>
      fetch(invokeUrl(MODEL), {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(claudeBody()),
      });
    expect((await call(`Bearer ${BEARER}`)).status).toBe(200);
    expect(emu.requests[0]).toMatchObject({ auth: "bearer", signatureValid: false });
    const wrong = await call("Bearer nope");
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get("x-amzn-errortype")).toMatch(/^AccessDeniedException:/);
    const none = await call();
    expect(none.status).toBe(403);
    expect(none.headers.get("x-amzn-errortype")).toMatch(/^MissingAuthenticationTokenException:/);
  });

  it("verifies the SigV4 example from BEDROCK_WIRE §8.2 (aws4fetch's canonical request, known signature)", () => {
    const body = '{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}';
    const outcome = verifyAuth(
      {
        method: "POST",
        rawUrl: "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke",
        headers: {
          host: "bedrock-runtime.us-east-1.amazonaws.com",
          "x-amz-date": "20250101T000000Z",
          authorization:
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=294d3c25495eb302e958ad16e9c3ce9f7027d664c31342e68c379cba24c62282",
        },
        body: Buffer.from(body),
      },
      { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1" },
    );
    expect(outcome).toEqual({ auth: "sigv4", signatureValid: true, error: null, region: "us-east-1" });
  });

  it("knows every Bedrock-shaped model family, with or without a geo prefix, and nothing else", async () => {
    const converseWith = (modelId: string) =>
      post(invokeUrl(encodeURIComponent(modelId), "converse"), { messages: [{ role: "user", content: [{ text: "hi" }] }] });
    const known = [
      "anthropic.claude-sonnet-4-6", "global.anthropic.claude-opus-4-7", "us.anthropic.claude-opus-4-6-v1", "amazon.nova-pro-v1:0",
      "global.amazon.nova-2-lite-v1:0", "deepseek.v3.2", "qwen.qwen3-coder-480b-a35b-v1:0", "moonshotai.kimi-k2.5",
      "us.meta.llama4-scout-17b-instruct-v1:0", "mistral.mistral-large-3-675b-instruct", "openai.gpt-oss-120b-1:0",
      "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    ];
    for (const id of known) expect((await converseWith(id)).status, id).toBe(200);
    for (const id of ["claude-sonnet-4-6", "gpt-4o", "us.claude-sonnet-4-6", "anthropic.gpt-5", "xx.anthropic.claude-sonnet-4-6"]) {
      expect((await converseWith(id)).status, id).toBe(404);
    }
  });

  it("answers unknown models, unknown routes and garbage with AWS-shaped errors", async () => {
    const unmapped = await post(invokeUrl("claude-sonnet-4-6"), claudeBody());
    expect(unmapped.status).toBe(404);
    expect(unmapped.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    expect(((await unmapped.json()) as any).message).toMatch(/model identifier/);
    const route = await post(`${emu.url}/model/${MODEL}/summon`, claudeBody());
    expect(route.status).toBe(404);
    expect(route.headers.get("x-amzn-errortype")).toMatch(/^UnknownOperationException:/);
    const garbage = await aws.fetch(invokeUrl(MODEL), { method: "POST", body: "{not json" });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/);
    const nonObject = await post(invokeUrl(MODEL), [1, 2]);
    expect(nonObject.status).toBe(400);
  });

  it("validates Claude bodies the way Bedrock does", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [claudeBody({ output_format: {} }), "Malformed input request: #: extraneous key [output_format] is not permitted, please reformat your input and try again."],
      [{ ...claudeBody(), anthropic_version: "2023-06-01" }, "Malformed input request: #/anthropic_version: 2023-06-01 is not a valid enum value, please reformat your input and try again."],
      [{ anthropic_version: "bedrock-2023-05-31", messages: [] }, "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."],
      [claudeBody({ anthropic_beta: ["interleaved-thinking-2025-05-14", "claude-code-20250219"] }), "invalid beta flag: claude-code-20250219"],
      [claudeBody({ messages: [{ role: "user", content: "hi" }, { role: "system", content: "x" }] }), "Malformed input request: #/messages/1/role: system is not a valid enum value, please reformat your input and try again."],
      [claudeBody({ tools: [{ name: "a", input_schema: { type: "object" } }, { name: "b", input_schema: { type: "object" }, defer_loading: true }] }), "tools.1.custom.defer_loading: Extra inputs are not permitted"],
      [claudeBody({ tools: [{ name: "a", input_schema: { type: "object" }, custom: { defer_loading: true } }] }), "tools.0.custom.custom: Extra inputs are not permitted"],
      [claudeBody({ system: [{ type: "text", text: "s", cache_control: { type: "ephemeral", scope: "global" } }] }), "system.0.cache_control.scope: Extra inputs are not permitted"],
      [
        claudeBody({ context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] } }),
        "context_management.edits.0: Input tag 'clear_thinking_20251015' found using 'type' does not match any of the expected tags: 'compact_20260112'",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(invokeUrl(MODEL), body);
      expect(res.status, message).toBe(400);
      expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
      expect(await res.json()).toEqual({ message });
    }
    const ok = await post(invokeUrl(MODEL), claudeBody({ anthropic_beta: ["interleaved-thinking-2025-05-14"], tools: [{ name: "a", input_schema: { type: "object" }, cache_control: { type: "ephemeral", ttl: "1h" } }] }));
    expect(ok.status).toBe(200);
  });

  it("validates Converse shapes (roles, single-key unions, no URL image source)", async () => {
    const converse = (messages: unknown) => post(invokeUrl(MODEL, "converse"), { messages });
    const cases: Array<[unknown, RegExp]> = [
      [[{ role: "system", content: [{ text: "x" }] }], /enum value set: \[user, assistant\]/],
      [[{ role: "user", content: [{ text: "x", image: {} }] }], /exactly one member/],
      [[{ role: "user", content: [{ image: { format: "png", source: { url: "https://x/y.png" } } }] }], /bytes, s3Location/],
      [[{ role: "user", content: [{ text: "  " }] }], /is blank/],
      [[{ role: "assistant", content: [{ text: "x" }] }], /must start with a user message/],
    ];
    for (const [messages, pattern] of cases) {
      const res = await converse(messages);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).message).toMatch(pattern);
    }
    const beta = await post(invokeUrl(MODEL, "converse"), {
      messages: [{ role: "user", content: [{ text: "x" }] }],
      additionalModelRequestFields: { anthropic_beta: ["mcp-servers-2025-12-04"] },
    });
    expect(await beta.json()).toEqual({ message: "invalid beta flag: mcp-servers-2025-12-04" });
  });

  it("Converse carries scripted thinking as reasoningContent before the text", async () => {
    emu.script({ thinking: "Think first.", text: "Then answer." });
    const res = (await (await post(invokeUrl(MODEL, "converse"), { messages: [{ role: "user", content: [{ text: "q" }] }] })).json()) as any;
    expect(res.output.message.content).toEqual([
      { reasoningContent: { reasoningText: { text: "Think first.", signature: expect.stringMatching(/^Eq/) } } },
      { text: "Then answer." },
    ]);
    expect(res.stopReason).toBe("end_turn");
    expect(res.usage.outputTokens).toBe(2 + 2 + 1);
  });

  it("survives a client that hangs up during a scripted stall", async () => {
    emu.script({ stallMs: 2_000 });
    const abort = new AbortController();
    const pending = aws.fetch(invokeUrl(MODEL), { method: "POST", body: JSON.stringify(claudeBody()), signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    const res = await post(invokeUrl(MODEL), claudeBody());
    expect(res.status).toBe(200);
  });
});

describe("scripting, magic prompts and accounting", () => {
  it("the control endpoint scripts, records and resets from plain fetch", async () => {
    const scripted = await fetch(`${emu.url}/__emulator/script`, {
      method: "POST",
      body: JSON.stringify({ match: { operation: "invoke" }, times: 2, text: "Scripted over HTTP." }),
    });
    expect(scripted.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await post(invokeUrl(MODEL), claudeBody());
      expect(((await res.json()) as any).content[0].text).toBe(i < 2 ? "Scripted over HTTP." : DEFAULT_TEXT);
    }
    const recorded = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as Array<Record<string, unknown>>;
    expect(recorded).toHaveLength(3);
    expect(recorded[0]).toMatchObject({ operation: "InvokeModel", modelId: MODEL, auth: "sigv4", signatureValid: true, body: claudeBody() });
    expect((await fetch(`${emu.url}/__emulator/reset`, { method: "POST" })).status).toBe(200);
    expect(emu.requests).toHaveLength(0);
    const bad = await fetch(`${emu.url}/__emulator/script`, { method: "POST", body: JSON.stringify({ match: { operation: "Nope" } }) });
    expect(bad.status).toBe(400);
  });

  it("stream-only scenarios wait for a streaming call; CountTokens does not eat answer scenarios", async () => {
    emu.script({ streamErrorFrame: { code: "InternalFailure", message: "boom", afterEvents: 1 } });
    emu.script({ text: "for the real call" });
    const count = await post(invokeUrl(BASE_MODEL, "count-tokens"), { input: { invokeModel: { body: Buffer.from(JSON.stringify(claudeBody())).toString("base64") } } });
    expect(await count.json()).toEqual({ inputTokens: expectedInputTokens(["Hello"]) });
    const plain = await post(invokeUrl(MODEL), claudeBody());
    expect(((await plain.json()) as any).content[0].text).toBe("for the real call");
    const stream = await post(invokeUrl(MODEL, "invoke-with-response-stream"), claudeBody());
    const frames = decodeFrames(new Uint8Array(await stream.arrayBuffer()));
    expect(frames).toHaveLength(2);
    expect(frames[1]!.headers).toEqual({ ":error-code": "InternalFailure", ":error-message": "boom", ":message-type": "error" });
  });

  it("a magic tool prompt yields tool_use, and the tool_result turn yields text", async () => {
    const prompt = 'Please run it.\n[[emu:tool Bash {"command":"echo hi","nested":[[1]]}]]';
    const first = (await (
      await post(invokeUrl(MODEL), claudeBody({ messages: [{ role: "user", content: [{ type: "text", text: "<system-reminder>ctx</system-reminder>" }, { type: "text", text: prompt }] }] }))
    ).json()) as any;
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([{ type: "tool_use", id: expect.stringMatching(/^toolu_bdrk_01/), name: "Bash", input: { command: "echo hi", nested: [[1]] } }]);
    const second = (await (
      await post(
        invokeUrl(MODEL),
        claudeBody({
          messages: [
            { role: "user", content: prompt },
            { role: "assistant", content: first.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: first.content[0].id, content: "hi\n" }] },
          ],
        }),
      )
    ).json()) as any;
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toEqual([{ type: "text", text: "Tool result received: hi\n" }]);
    const text = (await (await post(invokeUrl(MODEL), claudeBody({ messages: [{ role: "user", content: "say [[emu:text exactly this]]" }] }))).json()) as any;
    expect(text.content[0].text).toBe("exactly this");
  });

  it("[[emu:words N]] streams N deterministic words, truncated at max_tokens", async () => {
    const events = await collectInvokeStream(claudeBody({ messages: [{ role: "user", content: "[[emu:words 200]]" }], max_tokens: 1000 }));
    const msg = reassemble(events);
    expect(msg.content[0].text).toBe(generateWords(200));
    expect(msg.output_tokens).toBe(201);
    expect(events.length).toBeGreaterThan(60);
    const cut = (await (await post(invokeUrl(MODEL), claudeBody({ messages: [{ role: "user", content: "[[emu:words 200]]" }], max_tokens: 11 }))).json()) as any;
    expect(cut.stop_reason).toBe("max_tokens");
    expect(cut.content[0].text.split(" ")).toHaveLength(10);
    expect(cut.usage.output_tokens).toBe(11);
  });

  it("reports cache creation on the first sighting of a prefix and cache reads after, with usage overrides", async () => {
    const system = [{ type: "text", text: "A long and stable system prompt.", cache_control: { type: "ephemeral" } }];
    const body = claudeBody({ system });
    const prefix = expectedInputTokens([system[0]]);
    const total = expectedInputTokens([system[0], "Hello"]);
    const first = (await (await post(invokeUrl(MODEL), body)).json()) as any;
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: prefix, cache_read_input_tokens: 0, input_tokens: total - prefix });
    const second = (await (await post(invokeUrl(MODEL), body)).json()) as any;
    expect(second.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: prefix, input_tokens: total - prefix });
    emu.script({ usage: { input_tokens: 1234, output_tokens: 55 } });
    const overridden = (await (await post(invokeUrl(MODEL), body)).json()) as any;
    expect(overridden.usage).toMatchObject({ input_tokens: 1234, output_tokens: 55, cache_read_input_tokens: prefix });
  });

  it("splitFrames writes frames in pieces that the SDK still decodes", async () => {
    const split = await startEmulator({ splitFrames: true });
    const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint: split.url, credentials: KEYS, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    try {
      split.script({ text: "one two three four five six seven eight nine ten", toolUse: { name: "t", input: { a: "b".repeat(40) } } });
      const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: encode(claudeBody()) }));
      const events: Array<Record<string, any>> = [];
      for await (const part of out.body ?? []) if (part.chunk?.bytes) events.push(decode(part.chunk.bytes));
      const msg = reassemble(events);
      expect(msg.content[0].text).toBe("one two three four five six seven eight nine ten");
      expect(msg.content[1].input).toEqual({ a: "b".repeat(40) });
    } finally {
      client.destroy();
      await split.stop();
    }
  });
});

describe("thinking round trips, stricter settings, usage breakdown and recorded status", () => {
  const REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP";
  const invokeJson = async (body: unknown) => (await (await post(invokeUrl(MODEL), body)).json()) as any;
  const expect400 = async (body: unknown, message: string, url = invokeUrl(MODEL)) => {
    const res = await post(url, body);
    expect(res.status, message).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    expect(await res.json()).toEqual({ message });
  };
  // Settings survive reset(), so put the defaults back for the tests that follow.
  afterEach(() => emu.configure({ knownBetas: [...DEFAULT_KNOWN_BETAS], rejectTopLevelKeys: [], rejectOutputConfigKeys: [] }));

  it("streams redacted thinking as one content_block_start + stop after the thinking block, counting 0 tokens", async () => {
    emu.script({ thinking: "Let me think.", redactedThinking: REDACTED, text: "Done." });
    const events = await collectInvokeStream(claudeBody());
    const atIndex1 = events.filter((e) => e.index === 1).map((e) => e.type);
    expect(atIndex1).toEqual(["content_block_start", "content_block_stop"]);
    expect(events.find((e) => e.type === "content_block_start" && e.index === 1)!.content_block).toEqual({ type: "redacted_thinking", data: REDACTED });
    const msg = reassemble(events);
    expect(msg.content.map((b: any) => b.type)).toEqual(["thinking", "redacted_thinking", "text"]);
    expect(msg.output_tokens).toBe(3 + 1 + 1); // "Let me think." + "Done." + 1; the redacted block adds nothing
  });

  it("returns redacted thinking in a non-streamed Message and as Converse redactedContent", async () => {
    emu.script({ redactedThinking: REDACTED, text: "Done." });
    const msg = await invokeJson(claudeBody());
    expect(msg.content).toEqual([{ type: "redacted_thinking", data: REDACTED }, { type: "text", text: "Done." }]);
    expect(msg.usage.output_tokens).toBe(2);
    emu.script({ redactedThinking: REDACTED });
    const out = await sdk.send(new ConverseCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text: "q" }] }] }));
    const first = out.output?.message?.content?.[0]?.reasoningContent;
    expect(new TextDecoder().decode(first?.redactedContent)).toBe(REDACTED);
    expect(out.output?.message?.content?.[1]).toEqual({ text: DEFAULT_TEXT });
  });

  it("accepts thinking blocks echoed back unchanged and refuses tampered or unknown ones like Bedrock", async () => {
    emu.script({ thinking: "Plan the answer.", redactedThinking: REDACTED, text: "Here it is." });
    const streamed = reassemble(await collectInvokeStream(claudeBody()));
    expect(streamed.content[0].signature).toBe(thinkingSignature("Plan the answer."));
    const turn = (assistant: unknown[]) =>
      claudeBody({ messages: [{ role: "user", content: "Hello" }, { role: "assistant", content: assistant }, { role: "user", content: "More?" }] });
    const ok = await post(invokeUrl(MODEL), turn(streamed.content));
    expect(ok.status).toBe(200);

    const [thinking, redacted, text] = streamed.content;
    await expect400(turn([{ ...thinking, signature: `${thinking.signature.slice(0, -2)}xx` }, redacted, text]), "messages.1.content.0: Invalid `signature` in `thinking` block");
    await expect400(turn([{ ...thinking, thinking: "Plan the answer!" }, redacted, text]), "messages.1.content.0: Invalid `signature` in `thinking` block");
    await expect400(turn([text, { type: "thinking", thinking: "No signature." }]), "messages.1.content.1: Invalid `signature` in `thinking` block");
    await expect400(turn([thinking, { type: "redacted_thinking", data: "bm90LWlzc3VlZA==" }, text]), "messages.1.content.1: Invalid `data` in `redacted_thinking` block");
    await expect400(turn([thinking, { type: "redacted_thinking", data: "" }, text]), "messages.1.content.1: Invalid `data` in `redacted_thinking` block");

    emu.reset(); // forgets the data it handed out; signatures stay verifiable (they derive from the text)
    await expect400(turn([thinking, redacted, text]), "messages.1.content.1: Invalid `data` in `redacted_thinking` block");
    expect((await post(invokeUrl(MODEL), turn([thinking, text]))).status).toBe(200);
  });

  it("configure() changes known betas and refused keys with Bedrock's messages, and the settings survive reset()", async () => {
    const body = claudeBody({ anthropic_beta: ["context-1m-2025-08-07"], output_config: { effort: "high", format: { type: "json_schema" } } });
    expect((await post(invokeUrl(MODEL), body)).status).toBe(200);

    emu.configure({ knownBetas: ["interleaved-thinking-2025-05-14"] });
    emu.reset();
    await expect400(body, "invalid beta flag: context-1m-2025-08-07");
    emu.configure({ knownBetas: ["context-1m-2025-08-07"], rejectTopLevelKeys: ["output_config"] });
    emu.reset();
    await expect400(body, "Malformed input request: #: extraneous key [output_config] is not permitted, please reformat your input and try again.");
    const counted = { input: { invokeModel: { body: Buffer.from(JSON.stringify(body)).toString("base64") } } };
    await expect400(counted, "Malformed input request: #: extraneous key [output_config] is not permitted, please reformat your input and try again.", invokeUrl(BASE_MODEL, "count-tokens"));

    emu.configure({ rejectTopLevelKeys: [], rejectOutputConfigKeys: ["format"] });
    emu.reset();
    await expect400(body, "output_config.format: Extra inputs are not permitted");
    expect((await post(invokeUrl(MODEL), claudeBody({ output_config: { effort: "high" } }))).status).toBe(200);
  });

  it("POST /__emulator/config sets the same settings over HTTP, reports them, and rejects nonsense", async () => {
    const control = (body: unknown) => fetch(`${emu.url}/__emulator/config`, { method: "POST", body: JSON.stringify(body) });
    const set = await control({ rejectTopLevelKeys: ["output_config", "metadata"] });
    expect(set.status).toBe(200);
    expect(((await set.json()) as any).config).toMatchObject({ rejectTopLevelKeys: ["output_config", "metadata"], rejectOutputConfigKeys: [] });
    expect((await fetch(`${emu.url}/__emulator/reset`, { method: "POST" })).status).toBe(200);
    await expect400(
      claudeBody({ metadata: { user_id: "u" }, output_config: {} }),
      "Malformed input request: #: extraneous key [metadata] is not permitted#: extraneous key [output_config] is not permitted, please reformat your input and try again.",
    );
    expect(((await (await fetch(`${emu.url}/__emulator/config`)).json()) as any).rejectTopLevelKeys).toEqual(["output_config", "metadata"]);
    for (const bad of [{ rejectTopLevelKeys: "output_config" }, { knownBetas: [1] }, { strictness: [] }, [1]]) {
      expect((await control(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect(((await (await fetch(`${emu.url}/__emulator/config`)).json()) as any).knownBetas).toEqual([...DEFAULT_KNOWN_BETAS]);
  });

  it("non-streamed usage carries the cache_creation breakdown by TTL", async () => {
    const system = [{ type: "text", text: "A long and stable system prompt.", cache_control: { type: "ephemeral", ttl: "1h" } }];
    const prefix = expectedInputTokens([system[0]]);
    const first = await invokeJson(claudeBody({ system }));
    expect(first.usage).toEqual({
      input_tokens: expectedInputTokens([system[0], "Hello"]) - prefix,
      cache_creation_input_tokens: prefix,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: prefix },
      output_tokens: 6,
    });
    const second = await invokeJson(claudeBody({ system }));
    expect(second.usage).toMatchObject({ cache_read_input_tokens: prefix, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } });
    const fiveMinutes = await invokeJson(claudeBody({ system: [{ ...system[0], text: "Another prompt.", cache_control: { type: "ephemeral" } }] }));
    expect(fiveMinutes.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: fiveMinutes.usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 });
    expect(fiveMinutes.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    // Mixed TTLs (Anthropic's rule): 1-hour up to the last 1h breakpoint, 5-minute from there to the last breakpoint.
    const sys1h = { type: "text", text: "Mixed TTL prompt.", cache_control: { type: "ephemeral", ttl: "1h" } };
    const msg5m = { type: "text", text: "hi", cache_control: { type: "ephemeral" } };
    const mixed = await invokeJson(claudeBody({ system: [sys1h], messages: [{ role: "user", content: [msg5m] }] }));
    const whole = expectedInputTokens([sys1h, msg5m]);
    expect(mixed.usage).toMatchObject({
      cache_creation_input_tokens: whole,
      cache_creation: { ephemeral_1h_input_tokens: expectedInputTokens([sys1h]), ephemeral_5m_input_tokens: whole - expectedInputTokens([sys1h]) },
    });
  });

  it("records the HTTP status each request was answered with (0 while it is still stalled)", async () => {
    emu.script({ stallMs: 300 });
    const stalled = post(invokeUrl(MODEL), claudeBody());
    while (emu.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(emu.requests[0]!.status).toBe(0);
    expect((await stalled).status).toBe(200);
    expect(emu.requests[0]!.status).toBe(200);

    emu.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many tokens." } });
    await post(invokeUrl(MODEL), claudeBody());
    await post(invokeUrl(MODEL), claudeBody({ stream: true }));
    await post(invokeUrl("claude-sonnet-4-6"), claudeBody());
    await post(`${emu.url}/model/${MODEL}/summon`, claudeBody());
    await fetch(invokeUrl(MODEL), { method: "POST", body: JSON.stringify(claudeBody()) });
    const stream = await post(invokeUrl(MODEL, "invoke-with-response-stream"), claudeBody());
    await stream.arrayBuffer();
    expect(emu.requests.map((r) => r.status)).toEqual([200, 429, 400, 404, 404, 403, 200]);
    const overHttp = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as Array<{ status: number }>;
    expect(overHttp.map((r) => r.status)).toEqual([200, 429, 400, 404, 404, 403, 200]);
  });
});

describe("embedding models (Titan Text Embeddings V2, Cohere Embed v3 / v4)", () => {
  const TITAN = "amazon.titan-embed-text-v2:0";
  const COHERE_EN = "cohere.embed-english-v3";
  const COHERE_MULTI = "cohere.embed-multilingual-v3";
  const COHERE_V4 = "cohere.embed-v4:0";
  const invokeJson = async (modelId: string, body: unknown) =>
    decode((await sdk.send(new InvokeModelCommand({ modelId, contentType: "application/json", accept: "application/json", body: encode(body) }))).body);
  const sdkError = async (modelId: string, body: unknown) =>
    (await sdk.send(new InvokeModelCommand({ modelId, contentType: "application/json", body: encode(body) })).catch((e: unknown) => e)) as Error & {
      $metadata: { httpStatusCode: number };
    };
  const norm = (v: number[]) => Math.sqrt(v.reduce((n, x) => n + x * x, 0));
  const tokens = (...texts: string[]) => texts.reduce((n, t) => n + Math.ceil([...t].length / 4), 0);

  it("Titan V2 answers one deterministic vector of the requested size with inputTextTokenCount", async () => {
    const text = "The quick brown fox — über schnell 🦊";
    const out = await invokeJson(TITAN, { inputText: text, dimensions: 256, normalize: true, embeddingTypes: ["float", "binary"] });
    expect(out.embedding).toHaveLength(256);
    expect(out.embedding).toEqual(embeddingFor(text, 256));
    expect(norm(out.embedding)).toBeCloseTo(1, 5);
    expect(out.inputTextTokenCount).toBe(tokens(text));
    expect(out.embeddingsByType.float).toEqual(out.embedding);
    expect(out.embeddingsByType.binary).toEqual(out.embedding.map((v: number) => (v > 0 ? 1 : 0)));
    // Defaults: 1024 dimensions, normalised, float only. normalize:false returns the raw (non-unit) vector.
    const plain = await invokeJson(TITAN, { inputText: text });
    expect(plain.embedding).toHaveLength(1024);
    expect(Object.keys(plain.embeddingsByType)).toEqual(["float"]);
    expect(plain.embedding.slice(0, 4)).not.toEqual(out.embedding.slice(0, 4)); // renormalised over 1024 components
    const raw = await invokeJson(TITAN, { inputText: text, dimensions: 512, normalize: false });
    expect(raw.embedding).toEqual(embeddingFor(text, 512, false));
    expect(norm(raw.embedding)).toBeGreaterThan(2);
    const again = await invokeJson(TITAN, { inputText: text, dimensions: 256 });
    expect(again.embedding).toEqual(out.embedding);
  });

  it("Cohere v3 (English and multilingual) answers embeddings_floats, or embeddings_by_type when types are asked", async () => {
    const texts = ["first document", "zweites Dokument", "third"];
    for (const modelId of [COHERE_EN, COHERE_MULTI]) {
      const out = await invokeJson(modelId, { texts, input_type: "search_document", truncate: "NONE" });
      expect(out).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), texts, response_type: "embeddings_floats", embeddings: texts.map((t) => embeddingFor(t, 1024)) });
    }
    const typed = await invokeJson(COHERE_EN, { texts, input_type: "search_query", embedding_types: ["float", "int8", "uint8", "binary", "ubinary"] });
    expect(typed.response_type).toBe("embeddings_by_type");
    expect(Object.keys(typed.embeddings)).toEqual(["float", "int8", "uint8", "binary", "ubinary"]);
    expect(typed.embeddings.float).toEqual(texts.map((t) => embeddingFor(t, 1024)));
    const int8: number[] = typed.embeddings.int8[0];
    expect(int8).toHaveLength(1024);
    expect(int8.every((v) => Number.isInteger(v) && v >= -128 && v <= 127)).toBe(true);
    expect(typed.embeddings.uint8[0]).toEqual(int8.map((v) => v + 128));
    expect(typed.embeddings.ubinary[0]).toHaveLength(128);
    expect(typed.embeddings.binary[0]).toEqual(typed.embeddings.ubinary[0].map((b: number) => b - 128));
    // The first packed byte holds the signs of components 0..7, most significant bit first.
    const signs = (typed.embeddings.float[0] as number[]).slice(0, 8).map((v) => (v > 0 ? "1" : "0")).join("");
    expect(typed.embeddings.ubinary[0][0]).toBe(parseInt(signs, 2));
  });

  it("Cohere v4 honours output_dimension (default 1536) and its own truncate values", async () => {
    const out = await invokeJson(COHERE_V4, { texts: ["a", "b"], input_type: "clustering", embedding_types: ["float"], output_dimension: 512, truncate: "RIGHT" });
    expect(out.response_type).toBe("embeddings_by_type");
    expect(out.embeddings.float).toEqual([embeddingFor("a", 512), embeddingFor("b", 512)]);
    const full = await invokeJson(COHERE_V4, { texts: ["a"], input_type: "classification" });
    expect(full.embeddings[0]).toHaveLength(1536);
  });

  it("sends the input token count in X-Amzn-Bedrock-Input-Token-Count (the only place Cohere has it)", async () => {
    const texts = ["12345", "1234", "😀😀😀😀😀"];
    const res = await post(invokeUrl(COHERE_EN), { texts, input_type: "search_document" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-amzn-bedrock-input-token-count")).toBe(String(2 + 1 + 2));
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(Object.keys((await res.json()) as object)).not.toContain("inputTextTokenCount");
    const titan = await post(invokeUrl(encodeURIComponent(TITAN)), { inputText: "123456789" });
    expect(titan.headers.get("x-amzn-bedrock-input-token-count")).toBe("3");
    expect(((await titan.json()) as any).inputTextTokenCount).toBe(3);
  });

  it("validates embedding bodies with Bedrock-style ValidationExceptions", async () => {
    const m = (detail: string) => `Malformed input request: ${detail}, please reformat your input and try again.`;
    const cases: Array<[string, unknown, string]> = [
      [TITAN, { inputText: "x", dimensions: 300 }, m("#/dimensions: 300 is not a valid enum value")],
      [TITAN, { inputText: "x", dimensions: "256" }, m("#/dimensions: expected type: Integer, found: String")],
      [TITAN, { dimensions: 256 }, m("#: required key [inputText] not found")],
      [TITAN, { inputText: "" }, m("#/inputText: expected minLength: 1, actual: 0")],
      [TITAN, { inputText: "x".repeat(50_001) }, m("#/inputText: expected maxLength: 50000, actual: 50001")],
      [TITAN, { inputText: "x".repeat(40_000) }, "400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: 10000"],
      [TITAN, { inputText: "x", normalize: "yes" }, m("#/normalize: expected type: Boolean, found: String")],
      [TITAN, { inputText: "x", embeddingTypes: ["int8"] }, m("#/embeddingTypes/0: int8 is not a valid enum value")],
      [TITAN, { inputText: "x", texts: ["x"], model: "t" }, m("#: extraneous key [texts] is not permitted#: extraneous key [model] is not permitted")],
      [TITAN, [1], m("#: expected type: JSONObject, found: JSONArray")],
      [COHERE_EN, { texts: ["x"] }, m("#: required key [input_type] not found")],
      [COHERE_EN, { input_type: "search_query" }, m("#: required key [texts] not found")],
      [COHERE_EN, { texts: Array.from({ length: 97 }, () => "x"), input_type: "search_document" }, m("#/texts: expected maximum item count: 96, found: 97")],
      [COHERE_EN, { texts: ["ok", "y".repeat(2049)], input_type: "search_document" }, m("#/texts/1: expected maxLength: 2048, actual: 2049")],
      [COHERE_MULTI, { texts: ["x"], input_type: "query" }, m("#/input_type: query is not a valid enum value")],
      [COHERE_EN, { texts: ["x"], input_type: "search_document", truncate: "RIGHT" }, m("#/truncate: RIGHT is not a valid enum value")],
      [COHERE_EN, { texts: ["x"], input_type: "search_document", embedding_types: ["float", "double"] }, m("#/embedding_types/1: double is not a valid enum value")],
      [COHERE_EN, { texts: ["x"], input_type: "search_document", output_dimension: 512 }, m("#: extraneous key [output_dimension] is not permitted")],
      [COHERE_V4, { texts: ["x"], input_type: "search_document", output_dimension: 2048 }, m("#/output_dimension: 2048 is not a valid enum value")],
      [COHERE_V4, { texts: ["x"], input_type: "search_document", truncate: "END" }, m("#/truncate: END is not a valid enum value")],
      [COHERE_V4, { texts: ["x".repeat(41)], input_type: "search_document", max_tokens: 10 }, "Input is too long for requested model."],
    ];
    for (const [modelId, body, message] of cases) {
      const err = await sdkError(modelId, body);
      expect(err, message).toBeInstanceOf(ValidationException);
      expect(err.message).toBe(message);
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    // Truncation lets an over-long v4 text through; v3's character limit is counted in code points.
    expect((await invokeJson(COHERE_V4, { texts: ["x".repeat(41)], input_type: "search_document", max_tokens: 10, truncate: "LEFT" })).embeddings).toHaveLength(1);
    expect((await invokeJson(COHERE_EN, { texts: ["😀".repeat(2048)], input_type: "search_document" })).embeddings).toHaveLength(1);
  });

  it("knows only the base ids: a geo prefix is an invalid identifier, other versions are unknown, no stream/Converse/CountTokens", async () => {
    for (const id of ["us.amazon.titan-embed-text-v2:0", "eu.cohere.embed-english-v3", "global.cohere.embed-v4:0", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.cohere.embed-v4:0"]) {
      const err = await sdkError(id, { inputText: "x", texts: ["x"], input_type: "search_document" });
      expect(err, id).toBeInstanceOf(ValidationException);
      expect(err.message).toBe("The provided model identifier is invalid.");
    }
    const viaArn = await invokeJson("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0", { inputText: "arn" });
    expect(viaArn.embedding).toEqual(embeddingFor("arn", 1024));
    for (const id of ["amazon.titan-embed-text-v1", "amazon.titan-embed-text-v2", "cohere.embed-english-v2", "cohere.embed-v4", "titan-embed-text-v2"]) {
      expect((await post(invokeUrl(encodeURIComponent(id)), { inputText: "x" })).status, id).toBe(404);
    }
    const stream = await sdk
      .send(new InvokeModelWithResponseStreamCommand({ modelId: TITAN, body: encode({ inputText: "x" }) }))
      .catch((e: unknown) => e);
    expect(stream).toBeInstanceOf(ValidationException);
    expect((stream as Error).message).toBe("The model is unsupported for streaming.");
    const converse = await sdk
      .send(new ConverseCommand({ modelId: COHERE_V4, messages: [{ role: "user", content: [{ text: "x" }] }] }))
      .catch((e: unknown) => e);
    expect(converse).toBeInstanceOf(ValidationException);
    expect((converse as Error).message).toMatch(/^This action doesn't support the model that you provided/);
    const count = await sdk.send(new CountTokensCommand({ modelId: TITAN, input: { invokeModel: { body: encode({ inputText: "x" }) } } })).catch((e: unknown) => e);
    expect((count as Error).message).toBe("The provided model doesn't support counting tokens.");
  });

  it("applies scripted HTTP failures to embedding calls but leaves answer-shaping scenarios for generation calls", async () => {
    emu.script({ match: { modelId: COHERE_EN }, http: { status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." } });
    emu.script({ text: "kept for Claude" });
    const err = await sdkError(COHERE_EN, { texts: ["x"], input_type: "search_document" });
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$metadata.httpStatusCode).toBe(429);
    expect((await invokeJson(TITAN, { inputText: "x" })).embedding).toHaveLength(1024);
    const claude = decode((await sdk.send(new InvokeModelCommand({ modelId: MODEL, body: encode(claudeBody()) }))).body);
    expect(claude.content[0].text).toBe("kept for Claude");
    expect(emu.requests.map((r) => [r.modelId, r.status])).toEqual([[COHERE_EN, 429], [TITAN, 200], [MODEL, 200]]);
  });

  it("the gateway translator's plans are accepted, and its assembly matches the emulator's vectors, for every family", async () => {
    const families: Array<[EmbeddingFamily, string, Record<string, unknown>, number]> = [
      ["titan-v2", TITAN, { dimensions: 256 }, 256],
      ["cohere-v3", COHERE_MULTI, {}, 1024],
      ["cohere-v4", COHERE_V4, { dimensions: 512, input_type: "search_query" }, 512],
    ];
    const input = Array.from({ length: 100 }, (_, i) => `input number ${i} ${"·".repeat(i % 7)}`);
    for (const [family, modelId, extra, dims] of families) {
      const plan = planEmbeddings({ model: "whatever", input, encoding_format: "base64", ...extra }, family);
      // Sent the way the Worker sends them: aws4fetch, SigV4, the id percent-encoded in the path.
      const responses: BedrockEmbeddingResponse[] = [];
      for (const call of plan.calls) {
        const res = await post(invokeUrl(encodeURIComponent(modelId)), call.body);
        expect(res.status, family).toBe(200);
        const header = res.headers.get("x-amzn-bedrock-input-token-count");
        responses.push({ json: await res.json(), inputTokenHeader: header === null ? null : Number(header) });
      }
      const { body, inputTokens } = assembleEmbeddings(plan, responses, { requestedModel: `openai-name-for-${family}` });
      expect(body.model).toBe(`openai-name-for-${family}`);
      expect(inputTokens).toBe(tokens(...input));
      expect(body.usage).toEqual({ prompt_tokens: inputTokens, total_tokens: inputTokens });
      body.data.forEach((d, i) => {
        expect(d.index).toBe(i);
        const buf = Buffer.from(d.embedding as string, "base64");
        const floats = Array.from({ length: buf.length / 4 }, (_, k) => buf.readFloatLE(k * 4));
        expect(floats, `${family} #${i}`).toEqual(embeddingFor(input[i]!, dims));
      });
      expect(emu.requests.length).toBe(plan.calls.length);
      emu.reset();
    }
  });
});
