// The Bedrock client's signing-key cache keeps one derived key, not one per day forever, and signatures made with
// it match those of a signer with no cache at all, across a change of day in both directions.
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { LatestSigningKey } from "../../worker/bedrock/client.ts";

const BASE = {
  method: "POST",
  url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-6/invoke",
  headers: { "content-type": "application/json", accept: "application/json" },
  body: '{"max_tokens":64}',
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  service: "bedrock",
  region: "us-east-1",
};

const authorization = async (datetime: string, cache?: Map<string, ArrayBuffer>) =>
  (await new AwsV4Signer({ ...BASE, datetime, ...(cache ? { cache } : {}) }).sign()).headers.get("authorization");

describe("the signing-key cache", () => {
  it("holds only the last day's key and signs exactly as an uncached signer, also when days alternate at midnight", async () => {
    const cache = new LatestSigningKey();
    const days = ["20261204T235959Z", "20261205T000000Z", "20261204T235959Z", "20261205T000001Z", "20261206T120000Z"];
    for (const datetime of days) {
      expect(await authorization(datetime, cache)).toBe(await authorization(datetime));
      expect(cache.size).toBe(1);
      expect([...cache.keys()][0]).toContain(datetime.slice(0, 8));
    }
    // Same day again: served from the cache (the entry is the same object, not derived anew).
    const held = [...cache.values()][0];
    await authorization("20261206T130000Z", cache);
    expect([...cache.values()][0]).toBe(held);
  });
});
