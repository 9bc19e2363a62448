// What a request of the size Claude Code really sends costs: one Claude-Code-shaped Messages request (~120k tokens,
// a ~480 KB body, almost all prompt-cache reads after the first) through each gateway and its bare relay, measured
// like the throughput phase (interleaved slices, the runtime process's CPU per request). The bench's other phases use
// a tiny request, where the runtime's HTTP work dominates; here the body's own work does (parse, validate, estimate,
// write the Bedrock body, hash it for SigV4), which is what a Workers bill counts for real traffic.
import type { Stack } from "../test/support/stack.ts";
import { ClaudeCodeSession } from "../test/support/claude-code-workload.ts";
import { expectOk, KeepAliveClient } from "./http.ts";
import { concurrent, type Operation } from "./load.ts";
import { gatewayHeaders, relayPath, type Signer, type UpstreamCall } from "./paths.ts";
import type { LargeBodyPath, LargeBodyResult, ThroughputResult } from "./report.ts";

export type MeasureSlices = (
  specs: { key: LargeBodyPath; op: Operation<unknown>; pid: number | null }[],
  opts: { n: number; concurrency: number },
) => Promise<Record<LargeBodyPath, ThroughputResult>>;

export async function measureLargeBody(o: {
  stack: Stack;
  apiKey: string;
  urls: Record<LargeBodyPath, string>;
  pids: Record<LargeBodyPath, number | null>;
  sign: Signer;
  n: number;
  concurrency: number;
  measure: MeasureSlices;
}): Promise<LargeBodyResult> {
  const body = JSON.stringify({ ...new ClaudeCodeSession({ seed: "bench-large", tokens: 120_000 }).next(200), stream: false });
  const upstream = await captureUpstream(o.stack, o.urls.workerd, o.apiKey, body);
  const clients: KeepAliveClient[] = [];
  const gateway = (name: LargeBodyPath): Operation<unknown> => {
    const client = new KeepAliveClient(o.urls[name]);
    clients.push(client);
    return () => expectOk(client.send({ method: "POST", path: "/v1/messages", headers: gatewayHeaders(o.apiKey), body }), `${name} large request`);
  };
  const relay = (name: LargeBodyPath): Operation<unknown> => {
    const path = relayPath(name, o.urls[name], o.sign, { invoke: upstream, stream: upstream });
    clients.push(path.client);
    return () => path.invoke();
  };
  try {
    const ops: Record<LargeBodyPath, Operation<unknown>> = {
      "workerd-relay": relay("workerd-relay"), workerd: gateway("workerd"), "deno-relay": relay("deno-relay"), deno: gateway("deno"),
    };
    const order: LargeBodyPath[] = ["workerd-relay", "workerd", "deno-relay", "deno"];
    for (const p of order) await concurrent(o.concurrency * 2, o.concurrency, ops[p]); // warm: caches, leases, JIT
    const throughput = await o.measure(order.map((p) => ({ key: p, op: ops[p], pid: o.pids[p] })), { n: o.n, concurrency: o.concurrency });
    return { bodyBytes: Buffer.byteLength(body), upstreamBytes: Buffer.byteLength(upstream.body), concurrency: o.concurrency, throughput };
  } finally {
    for (const c of clients) c.close();
  }
}

/** The InvokeModel call the gateway makes for this body, so the relays forward exactly what the gateway sends. */
async function captureUpstream(stack: Stack, gatewayUrl: string, apiKey: string, body: string): Promise<UpstreamCall> {
  stack.emulator.reset();
  const res = await fetch(`${gatewayUrl}/v1/messages`, { method: "POST", headers: gatewayHeaders(apiKey), body });
  if (res.status !== 200) throw new Error(`large request: ${res.status} ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
  const rec = stack.emulator.requests.find((r) => r.operation === "InvokeModel");
  if (!rec || !rec.signatureValid) throw new Error("the gateway sent no valid InvokeModel for the large request");
  return { path: rec.rawPath, body: JSON.stringify(rec.body) };
}
