// The headers every answer of the gateway carries (its request id and the security headers), and a way to build a
// response with all of its headers at once. A header set on a Response that already exists is a call into the
// runtime each time; in workerd, a dozen of them after the fact cost about a tenth of the gateway's own CPU per
// request, while the same headers handed to the Response constructor as one object cost next to nothing. So the
// call pipeline builds its answers complete, and the outer middleware only dresses the ones it did not build.

/** Always ours, whatever a route set. */
const FIXED_HEADERS: Readonly<Record<string, string>> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
/** A route may choose its own caching (SSE answers use no-cache). */
const DEFAULT_CACHE_CONTROL = "no-store";

const complete = new WeakSet<Response>();

/**
 * A response with `headers` plus the gateway's own, built in one step. The outer middleware leaves it as it is, so
 * the caller must give every header the answer needs.
 */
export function completeResponse(body: BodyInit | null, status: number, requestId: string, headers: Record<string, string>): Response {
  const res = new Response(body, { status, headers: { "cache-control": DEFAULT_CACHE_CONTROL, ...headers, ...FIXED_HEADERS, "request-id": requestId } });
  complete.add(res);
  return res;
}

/** Whether the response was built by `completeResponse` (and so already carries the gateway's headers). */
export function isComplete(res: Response): boolean {
  return complete.has(res);
}

/** Adds the gateway's own headers to a response some handler built without them. */
export function dressResponse(headers: Headers, requestId: string): void {
  headers.set("request-id", requestId);
  for (const [k, v] of Object.entries(FIXED_HEADERS)) headers.set(k, v);
  if (!headers.has("cache-control")) headers.set("cache-control", DEFAULT_CACHE_CONTROL);
  headers.delete("x-powered-by");
}
