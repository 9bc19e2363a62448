// Resident memory after many requests: each gateway and its bare relay serve the same number of requests at 64
// concurrent clients, and the runtime process's resident set is read before and after. Something that grows per
// request (a window, a map never pruned, a buffer of spend rows) shows up as the gateway ending far above its relay.
import { concurrent, type Operation } from "./load.ts";
import { procAvailable, readRss } from "./proc.ts";

export interface SoakResult {
  label: string;
  requests: number;
  ok: boolean;
  reason?: string;
  rssBefore?: number;
  rssAfter?: number;
}

export async function soak(label: string, pid: number | null, requests: number, concurrency: number, op: Operation<unknown>): Promise<SoakResult> {
  if (!procAvailable()) return { label, requests, ok: false, reason: "no /proc on this system" };
  if (pid === null) return { label, requests, ok: false, reason: "process not identified" };
  const rssBefore = readRss(pid).rss;
  await concurrent(requests, concurrency, op);
  // A moment for work deferred past the responses (spend batches) to finish before the reading.
  await new Promise((r) => setTimeout(r, 1000));
  return { label, requests, ok: true, rssBefore, rssAfter: readRss(pid).rss };
}
