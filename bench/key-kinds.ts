// What the kind of key costs on the hot path: the same request through the workerd gateway with a key without
// limits, a Rockport-style key (a daily budget, requests and tokens per minute, far from all of them: served from an
// isolate lease) and a key with max_parallel_requests (far from it: served from a lease of places in flight).
// Measured like the paths of the other phases (interleaved latency rounds, and the throughput phase's own slicing),
// so a slow minute hits every kind alike.
import type { apiKeys } from "../worker/db/schema.ts";
import type { Stack } from "../test/support/stack.ts";
import { concurrent, interleaved, type Operation } from "./load.ts";
import { gatewayPath } from "./paths.ts";
import type { ThroughputResult } from "./report.ts";
import { summarize, type Summary } from "./stats.ts";

export interface KeyKindResult {
  label: string;
  latency: Summary;
  throughput: ThroughputResult;
}

/** How the caller measures throughput (bench/run.ts measureThroughput): one entry per kind, charged to `pid`. */
export type MeasureThroughput = (specs: { key: string; op: Operation<unknown>; pid: number | null }[]) => Promise<Record<string, ThroughputResult>>;

const KINDS: { label: string; set: Partial<typeof apiKeys.$inferInsert> }[] = [
  { label: "no limits", set: {} },
  { label: "budget + rpm + tpm (leased)", set: { maxBudget: "1000000", budgetDuration: "1d", rpmLimit: 1_000_000, tpmLimit: 1_000_000_000 } },
  { label: "max_parallel_requests (leased)", set: { maxParallelRequests: 1000 } },
];

export async function measureKeyKinds(
  stack: Stack,
  o: { n: number; rounds: number; concurrency: number; pid: number | null; throughput: MeasureThroughput },
): Promise<KeyKindResult[]> {
  const paths = [];
  for (const [i, kind] of KINDS.entries()) {
    const path = gatewayPath("workerd", stack.gateway.url, await stack.createKey({ alias: `bench-kind-${i}`, set: kind.set }));
    await concurrent(o.concurrency * 2, o.concurrency, () => path.invoke()); // warm: the key cached, a lease taken
    paths.push({ label: kind.label, path });
  }
  try {
    const lat = await interleaved(paths.map((p) => [p.label, () => p.path.invoke()] as const), o.n, o.rounds);
    const tp = await o.throughput(paths.map((p) => ({ key: p.label, op: () => p.path.invoke(), pid: o.pid })));
    return paths.map((p) => ({ label: p.label, latency: summarize(lat.get(p.label)?.ms ?? []), throughput: tp[p.label]! }));
  } finally {
    for (const p of paths) p.path.client.close();
  }
}
