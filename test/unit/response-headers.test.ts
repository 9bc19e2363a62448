import { describe, expect, it } from "vitest";
import { completeResponse, dressResponse, isComplete } from "../../worker/edge/response-headers.ts";

function all(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

describe("the gateway's own response headers", () => {
  it("a complete response carries them with the caller's, and a route cannot replace them (but may set its caching)", () => {
    const res = completeResponse("{}", 201, "req_bw_1", {
      "content-type": "application/json",
      "cache-control": "no-cache",
      "x-content-type-options": "sniff-away",
      "request-id": "forged",
      "x-ratelimit-limit-requests": "60",
    });
    expect(res.status).toBe(201);
    expect(isComplete(res)).toBe(true);
    expect(all(res.headers)).toEqual({
      "content-type": "application/json",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "referrer-policy": "no-referrer",
      "request-id": "req_bw_1",
      "x-ratelimit-limit-requests": "60",
    });
    expect(completeResponse(null, 204, "req_bw_2", {}).headers.get("cache-control")).toBe("no-store");
  });

  it("dressing a response built elsewhere adds the same headers, keeps its caching and drops x-powered-by", () => {
    const res = new Response("x", { headers: { "cache-control": "max-age=60", "x-powered-by": "Express", "x-content-type-options": "none" } });
    expect(isComplete(res)).toBe(false);
    dressResponse(res.headers, "req_bw_3");
    expect(all(res.headers)).toEqual({
      "cache-control": "max-age=60",
      "x-content-type-options": "nosniff",
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "referrer-policy": "no-referrer",
      "request-id": "req_bw_3",
      "content-type": "text/plain;charset=UTF-8",
    });
    const bare = new Response(null);
    dressResponse(bare.headers, "req_bw_4");
    expect(bare.headers.get("cache-control")).toBe("no-store");
  });
});
