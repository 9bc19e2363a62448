import { describe, expect, it } from "vitest";
import { ApiError } from "../../cli/errors.ts";
import { adminClient, errorFromResponse, NOT_ANSWERING } from "../../cli/http.ts";

const headers = (h: Record<string, string> = {}) => new Headers(h);

describe("errorFromResponse", () => {
  it("a bare 404 (refused master key, wrong URL, Access hiding the admin API) says what to check", () => {
    const e = errorFromResponse(404, headers({ "request-id": "r1" }), JSON.stringify({ type: "error", error: { type: "not_found_error", message: "Not found." } }));
    expect(e.message).toBe(NOT_ANSWERING);
    expect(e.exitCode).toBe(1);
    expect(errorFromResponse(404, headers(), "<html>nginx</html>").message).toBe(NOT_ANSWERING);
  });

  it("a 404 naming a field is the admin API's own answer", () => {
    const body = JSON.stringify({ error: { message: "key: no such key", type: "not_found_error", param: "key", code: "not_found_error" } });
    expect(errorFromResponse(404, headers(), body).message).toBe("key: no such key");
  });

  it("Access: a 403, or a redirect to its login page", () => {
    expect(errorFromResponse(403, headers(), "<html>Forbidden</html>").message).toMatch(/^Access refused the request \(403\): check BREAKWATER_ACCESS_CLIENT_ID/);
    const fromWorker = errorFromResponse(403, headers(), JSON.stringify({ type: "error", error: { type: "permission_error", message: "Cloudflare Access authentication required." } }));
    expect(fromWorker.message).toMatch(/^Access refused the request \(403: Cloudflare Access authentication required\.\)/);
    const login = errorFromResponse(302, headers({ location: "https://team.cloudflareaccess.com/cdn-cgi/access/login/gw?kid=1&redirect_url=%2Fkey%2Flist" }), "");
    expect(login.message).toMatch(/^Cloudflare Access sent the request to its login page/);
    const other = errorFromResponse(301, headers({ location: "https://gw.example.com/key/list?secret=1" }), "");
    expect(other.message).toBe("the gateway answered with a redirect (301) to https://gw.example.com/key/list: check the URL (https://, exact host)");
  });

  it("other errors: the API's message, with the request id for server errors", () => {
    const body = JSON.stringify({ error: { message: "Internal error.", type: "server_error", param: null } });
    expect(errorFromResponse(500, headers({ "request-id": "req-9" }), body).message).toBe("Internal error. (request id req-9)");
    expect(errorFromResponse(400, headers(), JSON.stringify({ error: { message: "models: unknown model \"x\"", param: "models" } })).message).toBe('models: unknown model "x"');
    expect(errorFromResponse(502, headers(), "bad gateway").message).toBe("the gateway answered HTTP 502");
  });
});

describe("adminClient", () => {
  const config = { url: "https://gw.example.com", masterKey: "mk-secret", access: { clientId: "id.access", clientSecret: "acc-secret" } };

  it("sends the master key and the Access headers, does not follow redirects, builds the query", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetchFn = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), init });
      return new Response(JSON.stringify({ ok: 1 }), { status: 200 });
    }) as unknown as typeof fetch;
    const client = adminClient(config, fetchFn, "1.2.3");
    expect(await client.get("/key/list", { page: 2, key_alias: "a b", user_id: undefined })).toEqual({ ok: 1 });
    expect(await client.post("/key/block", { key: "k" })).toEqual({ ok: 1 });
    expect(seen[0]!.url).toBe("https://gw.example.com/key/list?page=2&key_alias=a+b");
    expect(seen[0]!.init).toMatchObject({ method: "GET", redirect: "manual" });
    expect(seen[0]!.init.headers).toMatchObject({ authorization: "Bearer mk-secret", "cf-access-client-id": "id.access", "cf-access-client-secret": "acc-secret", "user-agent": "breakwater-cli/1.2.3" });
    expect(seen[1]!.init).toMatchObject({ method: "POST", body: '{"key":"k"}' });
    expect(seen[1]!.init.headers).toMatchObject({ "content-type": "application/json" });
  });

  it("health carries the Access headers but never the master key", async () => {
    let sent: Record<string, string> = {};
    const fetchFn = (async (_url: URL, init: RequestInit) => {
      sent = init.headers as Record<string, string>;
      return new Response('{"status":"ok"}', { status: 200 });
    }) as unknown as typeof fetch;
    expect(await adminClient(config, fetchFn).health()).toEqual({ status: 200, ok: true });
    expect(sent.authorization).toBeUndefined();
    expect(sent["cf-access-client-id"]).toBe("id.access");
  });

  it("maps network failures and non-JSON answers to ApiErrors without secrets", async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    }) as unknown as typeof fetch;
    const e = await adminClient(config, refused).get("/key/list").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as Error).message).toBe("cannot reach the gateway at https://gw.example.com: connection refused (is the gateway running, is the port right?)");
    const html = (async () => new Response("<html>hi</html>", { status: 200 })) as unknown as typeof fetch;
    const e2 = await adminClient(config, html).get("/key/list").catch((x: unknown) => x);
    expect((e2 as Error).message).toMatch(/is not JSON: is https:\/\/gw\.example\.com the Breakwater gateway\?/);
    for (const err of [e, e2]) {
      expect((err as Error).message).not.toContain("mk-secret");
      expect((err as Error).message).not.toContain("acc-secret");
    }
  });

  it("a 403 from Access on /health is an error, not an unhealthy gateway", async () => {
    const forbidden = (async () => new Response("Forbidden", { status: 403 })) as unknown as typeof fetch;
    await expect(adminClient(config, forbidden).health()).rejects.toThrow(/^Access refused the request \(403\)/);
  });
});
