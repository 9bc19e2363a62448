// The gateway's own CPU per request inside workerd, without HTTP: a new workerd gateway built from
// bench/isolate-entry.ts runs loops of the bench's request through the Worker, and the same loops through the bare
// relay's handler, with Bedrock's answer (captured from the emulator) made in the isolate. The
// throughput phase's CPU per request also carries workerd's HTTP exchanges and Miniflare's entry worker, the same for
// the gateway and its relay, and a busy machine's noise; here only the code differs between the two loops, and loops
// of each alternate (A B B A …) so that the machine's drift falls on both alike.
import { join } from "node:path";
import { cpuTimeUs } from "./proc.ts";
import type { LoopSpec } from "./isolate-entry.ts";
import type { IsolateResult } from "./report.ts";
import type { Stack } from "../test/support/stack.ts";
import { REPO_ROOT, startGateway } from "../test/support/worker-harness.ts";

export async function measureIsolate(o: {
  stack: Stack;
  /** The gateway's request (path, headers with the key, body) and the relay's (the Bedrock call it forwards). */
  gatewayRequest: LoopSpec["request"];
  relayRequest: LoopSpec["request"];
  /** Bedrock's answer to that call, as the emulator gave it. */
  answer: LoopSpec["answer"];
  /** Finds the workerd process started last (bench/run.ts newProcessFinder). */
  pidOfNew: () => number | null;
  /** Requests per loop, and loops of each kind. */
  n: number;
  rounds: number;
}): Promise<IsolateResult | null> {
  const gateway = await startGateway(o.stack.gatewayEnv, { entry: join(REPO_ROOT, "bench/isolate-entry.ts") });
  try {
    const pid = o.pidOfNew();
    if (pid === null) return null;
    const run = async (mode: LoopSpec["mode"]): Promise<number> => {
      const spec: LoopSpec = { mode, n: o.n, bedrockUrl: o.stack.emulator.url, request: mode === "relay" ? o.relayRequest : o.gatewayRequest, answer: o.answer };
      const before = cpuTimeUs(pid);
      const res = await fetch(`${gateway.url}/__bench/loop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`in-isolate ${mode} loop: ${res.status} ${text.slice(0, 300)}`);
      return (cpuTimeUs(pid) - before) / o.n;
    };
    // Warm: the key cached, a lease taken, both paths compiled.
    for (let i = 0; i < 10; i++) {
      await run("gateway");
      await run("relay");
    }
    const gatewayUs: number[] = [];
    const relayUs: number[] = [];
    for (let i = 0; i < o.rounds; i++) {
      for (const mode of i % 2 === 0 ? (["gateway", "relay"] as const) : (["relay", "gateway"] as const)) {
        (mode === "gateway" ? gatewayUs : relayUs).push(await run(mode));
      }
    }
    return { n: o.n, rounds: o.rounds, gatewayUs, relayUs };
  } finally {
    await gateway.stop();
  }
}
