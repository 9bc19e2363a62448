// A yardstick for the memory figures: the smallest Worker that relays a Bedrock stream through JavaScript (an
// identity TransformStream), run in its own workerd by Miniflare. Whatever memory it gains on a long stream is the
// runtime's cost of moving chunks through JS streams, which the gateway cannot go below; the gateway's own growth is
// read against it.
import { Log, LogLevel, Miniflare } from "miniflare";
import { COMPATIBILITY_DATE } from "../test/support/worker-harness.ts";

// Forwards the request (already SigV4-signed for the emulator's host) unchanged, and relays the body through JS.
const SCRIPT = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upstream = await fetch(env.UPSTREAM + url.pathname, {
      method: "POST",
      headers: request.headers,
      body: await request.arrayBuffer(),
    });
    return new Response(upstream.body.pipeThrough(new TransformStream()), { status: upstream.status, headers: upstream.headers });
  },
};`;

export interface ReferenceWorker {
  url: string;
  stop(): Promise<void>;
}

export async function startReferenceWorker(upstreamUrl: string): Promise<ReferenceWorker> {
  const mf = new Miniflare({
    modules: true,
    script: SCRIPT,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { UPSTREAM: upstreamUrl },
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.NONE),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, stop: () => mf.dispose() };
}
