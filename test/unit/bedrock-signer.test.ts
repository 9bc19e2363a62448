// The hot path's SigV4 signer (worker/bedrock/signer.ts) against aws4fetch's AwsV4Signer, the library it takes its
// URL canonicalisation from: for random model ids, operations, extra headers, bodies, credentials and instants the
// headers it returns must be exactly the ones aws4fetch returns. The emulator's independent SigV4 verifier checks
// the same signatures again in every integration test.
import { AwsV4Signer } from "aws4fetch";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BedrockClient } from "../../worker/bedrock/client.ts";
import { RequestSigner, type SigningCredentials } from "../../worker/bedrock/signer.ts";
import { JS_SHORT_HASHING, NATIVE_HASHING, SYNC_SHA256_MAX_BYTES, type Hashing } from "../../worker/util/sha256.ts";

const CREDS: SigningCredentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "bedrock",
};
const ENDPOINT = "https://bedrock-runtime.us-east-1.amazonaws.com";
const UTF8 = new TextEncoder();

async function reference(creds: SigningCredentials, url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>, now: number): Promise<Record<string, string>> {
  const datetime = new Date(now).toISOString().replace(/[:-]|\.\d{3}/g, "");
  const signed = await new AwsV4Signer({ method: "POST", url, headers, body: body as BodyInit, ...creds, datetime }).sign();
  const out: Record<string, string> = {};
  signed.headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

const modelIds = fc.oneof(
  fc.constantFrom(
    "us.anthropic.claude-sonnet-4-6",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0",
    "amazon.titan-embed-text-v2:0",
  ),
  fc.string({ minLength: 1, maxLength: 40 }),
);
const ops = fc.constantFrom("invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens");
const headerValue = fc.stringMatching(/^[A-Za-z0-9 ._:\-\t]{0,30}$/);
const extraHeaders = fc.dictionary(
  fc.constantFrom("X-Amzn-Bedrock-GuardrailIdentifier", "x-amzn-bedrock-guardrailversion", "X-Amzn-Bedrock-Trace", "anthropic-beta", "x-amzn-trace-id"),
  headerValue,
  { maxKeys: 3 },
);
// 2020–2035, including instants right around midnight UTC.
const instants = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
  fc.integer({ min: -2000, max: 2000 }).map((d) => Date.UTC(2026, 11, 6) + d),
);

describe("the hot path's SigV4 signer", () => {
  it("signs exactly as aws4fetch for random Bedrock calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        modelIds,
        ops,
        extraHeaders,
        // Short bodies are hashed in JavaScript, long ones natively (worker/util/sha256.ts): both sides of the switch.
        fc.oneof(fc.string({ maxLength: 200 }), fc.integer({ min: SYNC_SHA256_MAX_BYTES - 8, max: SYNC_SHA256_MAX_BYTES + 8 }).map((n) => "x".repeat(n)), fc.string({ minLength: 5000, maxLength: 9000 })),
        fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{20,60}$/), { nil: undefined }),
        fc.constantFrom("us-east-1", "eu-west-1", "ap-northeast-1"),
        fc.array(instants, { minLength: 1, maxLength: 3 }),
        // Each runtime entry's way of hashing (worker/util/sha256.ts).
        fc.constantFrom(NATIVE_HASHING, JS_SHORT_HASHING),
        // A frozen header set is prepared once and reused by every later call (the client's fixed sets are frozen).
        fc.boolean(),
        async (modelId, op, extra, text, sessionToken, region, times, hashing, frozen) => {
          const creds = { ...CREDS, region, ...(sessionToken ? { sessionToken } : {}) };
          const signer = new RequestSigner(creds, hashing);
          const url = `${ENDPOINT}/model/${encodeURIComponent(modelId)}/${op}`;
          const given = { ...extra, "content-type": "application/json", accept: "application/json" };
          const headers = frozen ? Object.freeze(given) : given;
          const body = UTF8.encode(text);
          // The same signer across several instants: its per-second and per-day caches must never leak across.
          for (const now of times) expect(await signer.sign(url, headers, body, now)).toEqual(await reference(creds, url, headers, body, now));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps signing right when days alternate around midnight, and with a URL that has a query and odd characters", async () => {
    const url = `${ENDPOINT}/model/${encodeURIComponent("a (b)!*'")}/invoke?z=1&a=2`;
    const headers = { "content-type": "application/json", accept: "application/json" };
    const body = UTF8.encode('{"max_tokens":64}');
    const midnight = Date.UTC(2026, 11, 6);
    for (const hashing of [NATIVE_HASHING, JS_SHORT_HASHING]) {
      const signer = new RequestSigner(CREDS, hashing);
      for (const now of [midnight - 1, midnight, midnight - 500, midnight + 1000, midnight + 86_400_000, midnight - 1]) {
        expect(await signer.sign(url, headers, body, now)).toEqual(await reference(CREDS, url, headers, body, now));
      }
    }
  });

  it("signs one frozen header set (prepared once) right for every URL it goes to: other hosts, paths and regions' endpoints", async () => {
    const headers = Object.freeze({ "content-type": "application/json", accept: "application/json" });
    const body = UTF8.encode('{"max_tokens":64}');
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const signer = new RequestSigner(CREDS);
    const urls = [
      `${ENDPOINT}/model/us.anthropic.claude-sonnet-4-6/invoke`,
      "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-sonnet-4-6/invoke",
      `${ENDPOINT}/model/${encodeURIComponent("amazon.titan-embed-text-v2:0")}/invoke`,
      `${ENDPOINT}/model/us.anthropic.claude-sonnet-4-6/invoke`,
    ];
    for (const [i, url] of urls.entries()) expect(await signer.sign(url, headers, body, now + i * 1000)).toEqual(await reference(CREDS, url, headers, body, now + i * 1000));
  });

  it("does not remember a failed derivation of the day's key: that call fails, the next derives it again and signs right", async () => {
    // A hashing whose HMAC fails once, as a platform error would: the failure lands in the daily derivation.
    let failures = 1;
    const flaky: Hashing = {
      sha256: (bytes) => NATIVE_HASHING.sha256(bytes),
      hmacKey: (key) => {
        const sign = NATIVE_HASHING.hmacKey(key);
        return async (message) => {
          if (failures > 0) {
            failures--;
            throw new Error("HMAC failed");
          }
          return sign(message);
        };
      },
    };
    const signer = new RequestSigner(CREDS, flaky);
    const url = `${ENDPOINT}/model/us.anthropic.claude-sonnet-4-6/invoke`;
    const headers = { "content-type": "application/json" };
    const body = UTF8.encode('{"max_tokens":64}');
    const now = Date.UTC(2026, 11, 7, 3, 0, 0);
    await expect(signer.sign(url, headers, body, now)).rejects.toThrow("HMAC failed");
    const expected = await reference(CREDS, url, headers, body, now);
    expect(await signer.sign(url, headers, body, now)).toEqual(expected);
    expect(await signer.sign(url, headers, body, now + 1000)).toEqual(await reference(CREDS, url, headers, body, now + 1000));
  });

  it("is what the Bedrock client sends: the signed headers, the URL it signed and the bytes it hashed", async () => {
    const seen: Request[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init));
      return new Response("{}", { status: 200 });
    }) as typeof fetch;
    try {
      const client = new BedrockClient({ ...CREDS, endpoint: ENDPOINT });
      await client.call("us.anthropic.claude-sonnet-4-6", "invoke-with-response-stream", '{"messages":[]}', { "X-Amzn-Bedrock-Trace": "ENABLED" });
    } finally {
      globalThis.fetch = realFetch;
    }
    const req = seen[0]!;
    const body = new Uint8Array(await req.arrayBuffer());
    expect(new TextDecoder().decode(body)).toBe('{"messages":[]}');
    const date = req.headers.get("x-amz-date")!;
    const now = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
    const expected = await reference(CREDS, req.url, { "x-amzn-bedrock-trace": "ENABLED", "content-type": "application/json", "x-amzn-bedrock-accept": "application/json" }, body, now);
    expect(req.headers.get("authorization")).toBe(expected.authorization);
    expect(req.url).toBe(`${ENDPOINT}/model/us.anthropic.claude-sonnet-4-6/invoke-with-response-stream`);
  });
});
