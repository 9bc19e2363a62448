// Concurrent streaming load for the memory and latency tests: N streaming /v1/messages requests at once, each timed
// to its first body byte, read to the end, and checked for a 200 and a final message_stop; plus the workerd process
// whose memory those tests watch.
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface StreamResult {
  status: number;
  /** ms from sending the request to the first byte of the response body. */
  firstByteMs: number;
  totalMs: number;
  endedWithMessageStop: boolean;
  /** The body when the stream went wrong, to say why in the failure message. */
  error?: string;
}

export interface LoadRound {
  results: StreamResult[];
  /** The slowest first byte, ms. */
  maxFirstByteMs: number;
  /** /health answers sent while the streams were open: status and latency in ms. */
  health: { status: number; ms: number }[];
}

/**
 * Opens `count` streams at once and polls /health while they run. Node's fetch puts no limit on connections per
 * origin, so every open stream holds its own connection, as that many separate clients would.
 */
export async function streamRound(baseUrl: string, key: string, count: number, prompt: string): Promise<LoadRound> {
  const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 256, stream: true, messages: [{ role: "user", content: prompt }] });
  const one = async (): Promise<StreamResult> => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${baseUrl}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let firstByteMs = -1;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (firstByteMs < 0 && value.byteLength > 0) firstByteMs = performance.now() - t0;
        text += decoder.decode(value, { stream: true });
      }
      const endedWithMessageStop = /event: message_stop\s*\ndata: \{"type":"message_stop"/.test(text);
      return { status: res.status, firstByteMs, totalMs: performance.now() - t0, endedWithMessageStop, ...(res.status !== 200 || !endedWithMessageStop ? { error: text.slice(0, 500) } : {}) };
    } catch (err) {
      return { status: 0, firstByteMs: -1, totalMs: performance.now() - t0, endedWithMessageStop: false, error: String(err) };
    }
  };
  const health: { status: number; ms: number }[] = [];
  let running = true;
  const poll = (async () => {
    // Give the streams a head start so the health checks land while all of them are open.
    await new Promise((r) => setTimeout(r, 200));
    while (running) {
      const t0 = performance.now();
      const status = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(10_000) }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      );
      health.push({ status, ms: performance.now() - t0 });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const results = await Promise.all(Array.from({ length: count }, one));
    return { results, maxFirstByteMs: Math.max(...results.map((r) => r.firstByteMs)), health };
  } finally {
    running = false;
    await poll;
  }
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number(m[1]) / 1024;
}

/** Pids of the `workerd` processes among the descendants of `root` (children only, when `directOnly`). */
export function workerdPids(root: number, directOnly = false): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …"; comm may contain spaces, so split after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const isUnder = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) return true;
      if (directOnly) return false;
    }
    return false;
  };
  return [...names].filter(([pid, name]) => name === "workerd" && isUnder(pid)).map(([pid]) => pid);
}
