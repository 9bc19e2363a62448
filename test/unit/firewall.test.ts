import { describe, expect, it } from "vitest";
import { GatewayError } from "../../worker/edge/errors.ts";
import { checkRoute, rawTarget } from "../../worker/edge/firewall.ts";

const H = "https://gw.example.com";

function statusOf(method: string, url: string): number {
  try {
    checkRoute(method, url);
    return 200;
  } catch (err) {
    if (err instanceof GatewayError) return err.status;
    throw err;
  }
}

describe("path and method allowlist", () => {
  it("serves exactly the allowlisted routes, with their methods", () => {
    expect(checkRoute("POST", `${H}/v1/chat/completions`)).toBe("/v1/chat/completions");
    expect(checkRoute("POST", `${H}/v1/embeddings`)).toBe("/v1/embeddings");
    expect(checkRoute("POST", `${H}/v1/messages`)).toBe("/v1/messages");
    expect(checkRoute("POST", `${H}/v1/messages?beta=true`)).toBe("/v1/messages");
    expect(checkRoute("POST", `${H}/v1/messages/count_tokens`)).toBe("/v1/messages/count_tokens");
    expect(checkRoute("GET", `${H}/v1/models`)).toBe("/v1/models");
    expect(checkRoute("GET", `${H}/health`)).toBe("/health");
  });

  it("answers 405 with an Allow header for a known path and the wrong method", () => {
    expect(statusOf("GET", `${H}/v1/messages`)).toBe(405);
    expect(statusOf("DELETE", `${H}/v1/models`)).toBe(405);
    try {
      checkRoute("PUT", `${H}/health`);
    } catch (err) {
      expect((err as GatewayError).headers).toEqual({ allow: "GET" });
    }
  });

  it.each([
    "/", "/v1", "/v1/", "/v1/messages/", "/V1/messages", "/v1/Messages", "/health/readiness", "/docs", "/openapi.json",
    "/v1/completions", "/v1/chat/completions/", "/v1/Chat/completions", "/v1/messages/count_tokens/x", "/admin", "/UI", "/ui/", "/ui/assets/other.js",
  ])("404s unknown or differently-cased path %s", (path) => {
    expect(statusOf("POST", `${H}${path}`)).toBe(404);
    expect(statusOf("GET", `${H}${path}`)).toBe(404);
  });

  it.each([
    "/v1/../v1/messages", "/v1//messages", "//v1/messages", "/v1/messages%2f", "/v1/%2e%2e/messages", "/v1\\messages",
    "/v1/messages;x=1", "/v1/messages%00", "/v1/m\u00e9ssages", "/v1/messages%2Fcount_tokens", "/v1/%2E/messages", "/v1/messages%5c",
  ])("refuses a raw path a normaliser would rewrite: %s", (path) => {
    expect(statusOf("POST", `${H}${path}`)).toBe(400);
  });

  it("refuses over-long paths and queries", () => {
    expect(statusOf("POST", `${H}/v1/messages${"a".repeat(300)}`)).toBe(414);
    expect(statusOf("POST", `${H}/v1/messages?${"a=b&".repeat(400)}`)).toBe(414);
  });

  it("reads the raw target without URL normalisation", () => {
    expect(rawTarget("http://h:1/v1/../x?q=1#f")).toEqual({ path: "/v1/../x", query: "q=1" });
    expect(rawTarget("http://h")).toEqual({ path: "/", query: "" });
  });
});
