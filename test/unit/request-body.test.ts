import { describe, expect, it } from "vitest";
import { GatewayError } from "../../worker/edge/errors.ts";
import { peekJsonBody, readBodyBytes, readJsonBody } from "../../worker/routes/body.ts";

const MAX = 1 << 20;
function jsonRequest(body: string, headers: Record<string, string> = {}): Request {
  return new Request("http://gateway.test/v1/messages", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

describe("a request body is read and parsed once per request", () => {
  it("a stage that peeks and the route that reads share one read and one parse", async () => {
    const req = jsonRequest('{"model":"m","messages":[]}');
    const bytes = await readBodyBytes(req, MAX);
    expect(req.bodyUsed).toBe(true);
    expect(await readBodyBytes(req, MAX)).toBe(bytes);
    const peeked = peekJsonBody(req);
    expect(peeked).toEqual({ model: "m", messages: [] });
    // The very object the peek saw: parsed once, not again from the bytes.
    expect(await readJsonBody(req, MAX)).toBe(peeked);
    expect(await readJsonBody(req, MAX)).toBe(peeked);
  });

  it("a body that is not a JSON object peeks as null, and the route still gets the same 400 each time", async () => {
    for (const body of ["{not json", "[1,2]", "   "]) {
      const req = jsonRequest(body);
      await readBodyBytes(req, MAX);
      expect(peekJsonBody(req)).toBeNull();
      const first = await readJsonBody(req, MAX).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(GatewayError);
      expect((first as GatewayError).status).toBe(400);
      expect(await readJsonBody(req, MAX).catch((e: unknown) => e)).toBe(first);
    }
  });

  it("the cap holds for the first read, declared or not, and the route's checks still run", async () => {
    const big = "x".repeat(2048);
    await expect(readBodyBytes(jsonRequest(JSON.stringify({ big })), 1024)).rejects.toMatchObject({ status: 413 });
    const chunked = new Request("http://gateway.test/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([JSON.stringify({ big })]).stream(),
      duplex: "half",
    } as RequestInit);
    await expect(readBodyBytes(chunked, 1024)).rejects.toMatchObject({ status: 413 });
    await expect(readJsonBody(jsonRequest("{}", { "content-type": "text/plain" }), MAX)).rejects.toMatchObject({ status: 415 });
    expect(() => peekJsonBody(jsonRequest("{}"))).not.toThrow();
    expect(peekJsonBody(jsonRequest("{}"))).toBeNull();
  });
});
