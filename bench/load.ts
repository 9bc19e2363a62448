// Load drivers: one request at a time (latency), N workers sharing a fixed request count (throughput), and
// interleaved rounds so that drift on a noisy machine hits every compared path alike.
import { performance } from "node:perf_hooks";

/** One measured operation; resolves to whatever figures it took itself (e.g. time to first byte). */
export type Operation<T> = () => Promise<T>;

/** Runs `op` `count` times back to back and returns each call's wall time in ms, plus what each call returned. */
export async function sequential<T>(count: number, op: Operation<T>): Promise<{ ms: number[]; results: T[] }> {
  const ms: number[] = [];
  const results: T[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    results.push(await op());
    ms.push(performance.now() - t0);
  }
  return { ms, results };
}

export interface ConcurrentRun {
  completed: number;
  elapsedMs: number;
  /** Per-request wall time, ms. */
  ms: number[];
}

/**
 * `concurrency` workers pull from a shared budget of `total` requests until it is spent (closed-loop load: each
 * worker sends its next request as soon as the previous one finished). The first error aborts the run: a benchmark
 * of error responses would measure the wrong thing.
 */
export async function concurrent(total: number, concurrency: number, op: Operation<unknown>): Promise<ConcurrentRun> {
  let started = 0;
  const ms: number[] = [];
  const worker = async () => {
    while (started < total) {
      started++;
      const t0 = performance.now();
      await op();
      ms.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { completed: ms.length, elapsedMs: performance.now() - t0, ms };
}

/**
 * Splits `count` sequential requests per path into `rounds` rounds and alternates the paths inside each round
 * (A B C, A B C, …), so a slow minute on a shared machine is spread over every path instead of landing on one.
 */
export async function interleaved<K extends string, T>(
  paths: ReadonlyArray<readonly [K, Operation<T>]>,
  count: number,
  rounds: number,
): Promise<Map<K, { ms: number[]; results: T[] }>> {
  const out = new Map<K, { ms: number[]; results: T[] }>(paths.map(([k]) => [k, { ms: [], results: [] }]));
  const r = Math.max(1, Math.min(rounds, count));
  for (let i = 0; i < r; i++) {
    // Spread the remainder over the first rounds so the total is exactly `count`.
    const n = Math.floor(count / r) + (i < count % r ? 1 : 0);
    for (const [k, op] of paths) {
      const run = await sequential(n, op);
      const acc = out.get(k);
      acc?.ms.push(...run.ms);
      acc?.results.push(...run.results);
    }
  }
  return out;
}
