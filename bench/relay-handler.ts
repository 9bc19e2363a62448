// The bare relay's one handler (bench/relays.ts), used as it is by the workerd relay (bench/relay-worker.ts), the
// Deno relay (bench/relay-deno.ts) and the in-isolate loop's relay (bench/isolate-entry.ts), so every figure set
// against "the relay" is set against the same code. Web-standard APIs only.

// Hop-by-hop headers and the length belong to one HTTP exchange; a proxy drops them both ways. Host is dropped so
// fetch sets the upstream's (what the client signed).
export const HOP_BY_HOP: readonly string[] = ["host", "connection", "keep-alive", "transfer-encoding", "content-length"];

function withoutHop(h: Headers): Headers {
  const out = new Headers(h);
  for (const name of HOP_BY_HOP) out.delete(name);
  return out;
}

/**
 * Forwards a request the client already signed for `upstream` and answers with the upstream's answer. With `?js=1`
 * the answer's body moves through an identity TransformStream, which shows what relaying a long stream through
 * JavaScript costs the runtime in memory, whatever the code does.
 */
export async function relay(request: Request, upstream: string): Promise<Response> {
  const url = new URL(request.url);
  const res = await fetch(upstream + url.pathname, { method: request.method, headers: withoutHop(request.headers), body: await request.arrayBuffer() });
  const body = url.searchParams.has("js") && res.body ? res.body.pipeThrough(new TransformStream()) : res.body;
  return new Response(body, { status: res.status, headers: withoutHop(res.headers) });
}
