// What Cloudflare Access costs the Worker: in production every request but /health carries an Access JWT that the
// gateway verifies itself (worker/edge/access.ts), while the bench's other phases run in local dev mode without it.
// Two new workerd gateways on the bench's database and emulator, started together so that neither carries the main
// gateway's history (its heap, its leases, the soak's 50,000 requests): one in dev mode, one configured with a
// stand-in Access team (its own RS256 key and JWKS on 127.0.0.1). Measured like the throughput phase: the dev-mode
// gateway, the Access gateway with one token on every request (a client that keeps Access's session cookie: the
// verifier remembers the token), and with a new token on every request (each one's signature checked). What a new
// token costs is read against the remembered one, in the same process; the Access gateway against the dev-mode one
// is a comparison of two processes (the twin relays of section 8 show how far two identical ones differ).
import type { Stack } from "../test/support/stack.ts";
import { startAccessIssuer } from "../test/support/access-issuer.ts";
import { startGateway, type Gateway } from "../test/support/worker-harness.ts";
import { expectOk, KeepAliveClient } from "./http.ts";
import { concurrent, type Operation } from "./load.ts";
import { gatewayHeaders, MESSAGES_BODY } from "./paths.ts";
import type { AccessResult, AccessKind, ThroughputResult } from "./report.ts";

export type MeasureKinds = (
  specs: { key: AccessKind; op: Operation<unknown>; pid: number | null }[],
  opts: { n: number; concurrency: number },
) => Promise<Record<AccessKind, ThroughputResult>>;

const CLIENT_ID = "bench-client.access";

export async function measureAccess(o: {
  stack: Stack;
  apiKey: string;
  /** Finds the workerd process started last (bench/run.ts newProcessFinder). */
  pidOfNew: () => number | null;
  n: number;
  concurrency: number;
  measure: MeasureKinds;
}): Promise<AccessResult> {
  const issuer = await startAccessIssuer({ team: "breakwater-bench" });
  const started: Gateway[] = [];
  const clients: KeepAliveClient[] = [];
  try {
    const dev = await startGateway(o.stack.gatewayEnv);
    started.push(dev);
    const devPid = o.pidOfNew();
    const gateway = await startGateway({ ...o.stack.gatewayEnv, BREAKWATER_DEV: "", ...issuer.env({ clientIds: [CLIENT_ID] }) });
    started.push(gateway);
    const accessPid = o.pidOfNew();
    const body = JSON.stringify(MESSAGES_BODY);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const one = await issuer.mint({ commonName: CLIENT_ID, exp });
    // Every request of the "new token" kind gets a token nobody sent before (warm-up included).
    const fresh: string[] = [];
    for (let i = 0; i < o.n + o.concurrency * 2 + 16; i++) fresh.push(await issuer.mint({ commonName: CLIENT_ID, exp, claims: { jti: `bench-${i}` } }));
    let next = 0;
    const send = (url: string, headers: () => Record<string, string>, label: string): Operation<unknown> => {
      const client = new KeepAliveClient(url);
      clients.push(client);
      return () => expectOk(client.send({ method: "POST", path: "/v1/messages", headers: { ...gatewayHeaders(o.apiKey), ...headers() }, body }), label);
    };
    const ops: Record<AccessKind, Operation<unknown>> = {
      dev: send(dev.url, () => ({}), "dev-mode gateway"),
      remembered: send(gateway.url, () => issuer.headers(one), "Access gateway, one token"),
      fresh: send(gateway.url, () => {
        const token = fresh[next++];
        if (token === undefined) throw new Error("the Access phase ran out of fresh tokens");
        return issuer.headers(token);
      }, "Access gateway, a new token per request"),
    };
    const pids: Record<AccessKind, number | null> = { dev: devPid, remembered: accessPid, fresh: accessPid };
    const order: AccessKind[] = ["dev", "remembered", "fresh"];
    for (const k of order) await concurrent(o.concurrency * 2, o.concurrency, ops[k]); // warm: key cached, JWKS fetched, JIT
    const throughput = await o.measure(order.map((k) => ({ key: k, op: ops[k], pid: pids[k] })), { n: o.n, concurrency: o.concurrency });
    return { concurrency: o.concurrency, throughput };
  } finally {
    for (const c of clients) c.close();
    for (const g of started) await g.stop();
    await issuer.close();
  }
}
