// What the kind of key costs on the hot path: the same request through the workerd gateway with a key without
// limits, a Rockport-style key (a daily budget, requests and tokens per minute, far from all of them: served from an
// isolate lease) and a key with max_parallel_requests (never leased: one Durable Object round trip to admit and one
// to settle, per request). Interleaved like the other phases, so a slow minute hits every kind alike.
import { eq } from "drizzle-orm";
import { apiKeys } from "../worker/db/schema.ts";
import { sha256Hex } from "../worker/keys/hash.ts";
import type { Stack } from "../test/support/stack.ts";
import { concurrent, interleaved } from "./load.ts";
import { gatewayPath } from "./paths.ts";
import { summarize, throughput, type Summary } from "./stats.ts";

export interface KeyKindResult {
  label: string;
  latency: Summary;
  /** Requests per second at `concurrency` clients. */
  rps: number;
}

const KINDS = [
  { label: "no limits", set: {} },
  { label: "budget + rpm + tpm (leased)", set: { maxBudget: "1000000", budgetDuration: "1d", rpmLimit: 1_000_000, tpmLimit: 1_000_000_000 } },
  { label: "max_parallel_requests (object per request)", set: { maxParallelRequests: 1000 } },
] satisfies { label: string; set: Partial<typeof apiKeys.$inferInsert> }[];

export async function measureKeyKinds(stack: Stack, n: number, rounds: number, throughputN: number, concurrency: number): Promise<KeyKindResult[]> {
  const paths = [];
  for (const kind of KINDS) {
    const key = await stack.createKey({ alias: `bench-kind-${paths.length}` });
    if (Object.keys(kind.set).length) await stack.database.db.update(apiKeys).set(kind.set).where(eq(apiKeys.keyHash, await sha256Hex(key)));
    const path = gatewayPath("workerd", stack.gateway.url, key);
    await concurrent(concurrency * 2, concurrency, () => path.invoke()); // warm: the key cached, a lease taken
    paths.push({ label: kind.label, path });
  }
  const lat = await interleaved(paths.map((p) => [p.label, () => p.path.invoke()] as const), n, rounds);
  const tp = new Map<string, { completed: number; ms: number }>(paths.map((p) => [p.label, { completed: 0, ms: 0 }]));
  for (const order of [paths, [...paths].reverse()]) {
    for (const p of order) {
      const run = await concurrent(Math.ceil(throughputN / 2), concurrency, () => p.path.invoke());
      const acc = tp.get(p.label)!;
      acc.completed += run.completed;
      acc.ms += run.elapsedMs;
    }
  }
  for (const p of paths) p.path.client.close();
  return paths.map((p) => ({ label: p.label, latency: summarize(lat.get(p.label)?.ms ?? []), rps: throughput(tp.get(p.label)!.completed, tp.get(p.label)!.ms) }));
}
