// The admin API over HTTP: master key and Access service token on every request, and every failure turned into one
// sentence that says what to check. Secrets go into headers only, never into a message.
import type { Config } from "./config.ts";
import { ApiError } from "./errors.ts";

export const NOT_ANSWERING = "the admin API did not answer: wrong master key, wrong URL, or Access blocked the request";

const TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | undefined>;

export interface AdminClient {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** GET /health; resolves with the status whatever it is (only an unreachable gateway throws). */
  health(): Promise<{ status: number; ok: boolean }>;
}

export function adminClient(config: Config, fetchFn: typeof fetch, version = "dev"): AdminClient {
  const baseHeaders = (): Record<string, string> => ({
    accept: "application/json",
    "user-agent": `breakwater-cli/${version}`,
    ...(config.access ? { "cf-access-client-id": config.access.clientId, "cf-access-client-secret": config.access.clientSecret } : {}),
  });

  async function send(method: "GET" | "POST", path: string, init: { query?: Query; body?: unknown; admin: boolean }): Promise<Response> {
    const target = new URL(config.url + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const headers = baseHeaders();
    if (init.admin && config.masterKey) headers.authorization = `Bearer ${config.masterKey}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    try {
      return await fetchFn(target, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        // Access answers a missing or bad service token with a redirect to its login page: see it, do not follow it.
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ApiError(`cannot reach the gateway at ${config.url}: ${networkReason(e)}`);
    }
  }

  async function call<T>(method: "GET" | "POST", path: string, init: { query?: Query; body?: unknown }): Promise<T> {
    const res = await send(method, path, { ...init, admin: true });
    const text = await res.text().catch(() => "");
    if (res.status === 200) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError(`the answer from ${config.url}${path} is not JSON: is ${config.url} the Breakwater gateway?`, res.status, requestIdOf(res));
      }
    }
    throw errorFromResponse(res.status, res.headers, text);
  }

  return {
    url: config.url,
    get: (path, query) => call("GET", path, { query }),
    post: (path, body) => call("POST", path, { body }),
    async health() {
      const res = await send("GET", "/health", { admin: false });
      await res.body?.cancel();
      if (isRedirect(res.status) || res.status === 401 || res.status === 403) throw errorFromResponse(res.status, res.headers, "");
      return { status: res.status, ok: res.status === 200 };
    },
  };
}

/** The error for a non-200 answer from an admin path. Pure. */
export function errorFromResponse(status: number, headers: Headers, bodyText: string): ApiError {
  const requestId = requestIdOf({ headers });
  const body = parseJson(bodyText);
  const error = body && typeof body === "object" ? (body as { error?: { message?: unknown; param?: unknown } }).error : undefined;
  const message = typeof error?.message === "string" ? error.message : undefined;

  if (isRedirect(status)) {
    const location = headers.get("location") ?? "";
    if (/cloudflareaccess\.com|\/cdn-cgi\/access\//.test(location)) {
      return new ApiError(
        "Cloudflare Access sent the request to its login page: no valid service token reached it. Set BREAKWATER_ACCESS_CLIENT_ID and BREAKWATER_ACCESS_CLIENT_SECRET to a service token the Access policy allows",
        status,
        requestId,
      );
    }
    return new ApiError(`the gateway answered with a redirect (${status}) to ${safeLocation(location)}: check the URL (https://, exact host)`, status, requestId);
  }
  if (status === 403) {
    return new ApiError(
      `Access refused the request (403${message ? `: ${message}` : ""}): check BREAKWATER_ACCESS_CLIENT_ID / BREAKWATER_ACCESS_CLIENT_SECRET and that this service token is allowed on admin paths`,
      status,
      requestId,
    );
  }
  // An admin error names the field at fault (`param`); a refused master key gets the same bare 404 as an unknown
  // path, by design, so it cannot be told apart from a wrong URL.
  if (status === 404 && !(typeof error?.param === "string" && message)) return new ApiError(NOT_ANSWERING, status, requestId);
  if (status === 401) return new ApiError(`the gateway refused the credentials (401${message ? `: ${message}` : ""})`, status, requestId);
  const idNote = requestId && status >= 500 ? ` (request id ${requestId})` : "";
  return new ApiError(`${message ?? `the gateway answered HTTP ${status}`}${idNote}`, status, requestId);
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function requestIdOf(r: { headers: Headers }): string | undefined {
  return r.headers.get("request-id") ?? undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A redirect target without its query string (Access login URLs carry tokens and redirect state there). */
function safeLocation(location: string): string {
  try {
    const u = new URL(location);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "another address";
  }
}

function networkReason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return `no answer within ${TIMEOUT_MS / 1000} s`;
  const code = err.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused (is the gateway running, is the port right?)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "unknown host (check the URL)";
  return code ?? err.cause?.message ?? err.message ?? String(e);
}
