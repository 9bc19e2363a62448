// `npm run bench`: the gateway's performance figures against the Bedrock emulator (DESIGN §8), printed, never
// asserted. One run measures the direct path (this process → emulator), the Worker in workerd and the Deno entry on
// the same machine and the same emulator, so the ratios between them mean something even on a noisy machine. A bare
// relay in each runtime (bench/relays.ts) splits the gateway's added time into "the runtime in the path" and "the
// gateway's own code".
//
//   BENCH_QUICK=1         a small smoke-test run (50 latency samples, 500 throughput requests, shorter long stream)
//   BENCH_N=500           latency samples per path and figure
//   BENCH_THROUGHPUT_N    requests per path in the 64-client phase (16000, in 32 slices)
//   BENCH_LONG_WORDS      words in the long stream of the memory phase (200000; it also streams half and twice that)
//   BENCH_SOAK_N          requests per gateway and relay before their resident memory is compared (50000)
//   BENCH_ESTIMATE_TURNS  turns per Claude-Code-shaped session in the estimate-error phase (8)
//   BENCH_LARGE_N         Claude-Code-sized requests (~480 KB) per gateway and relay in the large-request phase (800)
//   BENCH_ISOLATE_ROUNDS  loops of each kind in the in-isolate phase (60, of 250 requests each)
//
// Progress goes to stderr, the report to stdout.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { measureBundle } from "./bundle.ts";
import { KeepAliveClient, expectOk, type Timed } from "./http.ts";
import { concurrent, interleaved, type Operation } from "./load.ts";
import { cpuTimeMs, cpuTimeUs, findDescendants, procAvailable, readRss, sampleMaxRss } from "./proc.ts";
import {
  directPath, emulatorSigner, gatewayHeaders, gatewayPath, longStream, longUpstreamCall, MESSAGES_BODY, relayPath,
  type BenchPath, type PathName, type Signer, type UpstreamCall,
} from "./paths.ts";
import { startDenoRelay, startWorkerdRelay } from "./relays.ts";
import { measureEstimateError } from "./estimate-error.ts";
import { measureKeyKinds } from "./key-kinds.ts";
import { measureLargeBody } from "./large-body.ts";
import { measureAccess } from "./access.ts";
import { measureIsolate } from "./isolate.ts";
import { HOP_BY_HOP } from "./relay-handler.ts";
import { soak, type SoakResult } from "./soak.ts";
import {
  GATEWAYS, PATHS, RELAY_OF, renderReport, type BenchResults, type GatewayName, type MemoryResult, type MemoryStep, type ThroughputResult,
  type ThroughputSlice,
} from "./report.ts";
import { summarize, throughput, type Summary } from "./stats.ts";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_TEXT } from "../test/support/emulator/index.ts";
import { startDenoGateway } from "../test/support/deno-harness.ts";
import { DEFAULT_SPEND_FLUSH_DELAY_MS } from "../worker/config.ts";
import { startStack, type Stack } from "../test/support/stack.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const N = intEnv("BENCH_N", QUICK ? 50 : 500);
const WARMUP = QUICK ? 20 : 100;
const THROUGHPUT_N = intEnv("BENCH_THROUGHPUT_N", QUICK ? 500 : 16_000);
const CONCURRENCY = 64;
/**
 * Slices per path in the throughput phase, in alternating order (an even number: each path as often early as late).
 * Thirty-two pairs put the 95 % interval of the paired median between the 10th and the 23rd of them (stats.ts
 * medianInterval), the middle 14; sixteen left it between the 4th and the 13th, the middle 10 of 16.
 */
const THROUGHPUT_SLICES = QUICK ? 8 : 32;
const ROUNDS = 5;
const SHORT_WORDS = 1000;
const LONG_WORDS = intEnv("BENCH_LONG_WORDS", QUICK ? 50_000 : 200_000);
const SOAK_N = intEnv("BENCH_SOAK_N", QUICK ? 5000 : 50_000);
const ESTIMATE_TURNS = intEnv("BENCH_ESTIMATE_TURNS", QUICK ? 4 : 8);
/** Claude-Code-sized requests per gateway and relay in the large-request phase, and how many at once. */
const LARGE_N = intEnv("BENCH_LARGE_N", QUICK ? 160 : 800);
const LARGE_CONCURRENCY = 16;
/** Requests per loop and loops of each kind (gateway, relay) in the in-isolate phase. */
const ISOLATE_N = 250;
const ISOLATE_ROUNDS = intEnv("BENCH_ISOLATE_ROUNDS", QUICK ? 10 : 60);

// The production default flush delay (batches spend rows), and a key cache that cannot expire mid-run: DESIGN §8
// budgets the gateway "with a cached key", so no sample should include the periodic key refresh.
// The benchmark sends tens of thousands of requests from one address: the per-IP ceiling (a production abuse
// guard) is switched off so it measures the gateway, not the limiter.
const GATEWAY_SETTINGS = { SPEND_FLUSH_DELAY_MS: String(DEFAULT_SPEND_FLUSH_DELAY_MS), KEY_CACHE_TTL_SECONDS: "3600", ABUSE_IP_CEILING: "0" };

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// Everything started is registered here and stopped in reverse order, on success, on error and on SIGINT/SIGTERM.
const cleanups: Array<() => unknown> = [];
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (let f = cleanups.pop(); f; f = cleanups.pop()) {
      try {
        await f();
      } catch (err) {
        process.stderr.write(`[bench] cleanup: ${String(err)}\n`);
      }
    }
  })();
  return cleaning;
}
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything the benchmark started`);
    void cleanup().finally(() => process.exit(code));
  });
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  progress("bundling the Worker for the size figure");
  const bundle = await measureBundle();

  progress("starting database, emulator, workerd (Miniflare), the Deno entry and a bare relay in each runtime");
  // Each runtime process is identified right after it starts, as the one new process of its name under this one.
  const pidOf = newProcessFinder();
  const stack: Stack = await startStack({ env: GATEWAY_SETTINGS });
  cleanups.push(() => stack.stop());
  const workerdPid = pidOf("workerd");
  const deno = await startDenoGateway(stack.gatewayEnv);
  const denoPid = pidOf("deno");
  // Miniflare's exit hook ends the process on SIGINT without waiting for async cleanups, so the Deno process (whose
  // handle the harness keeps) is also killed synchronously on exit unless it was stopped properly.
  const killDenoOnExit = () => {
    try {
      if (denoPid !== null) process.kill(denoPid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killDenoOnExit);
  cleanups.push(async () => {
    await deno.stop();
    process.off("exit", killDenoOnExit);
  });
  const workerdRelay = await startWorkerdRelay(stack.emulator.url);
  cleanups.push(() => workerdRelay.stop());
  const workerdRelayPid = pidOf("workerd");
  // A second workerd relay, identical to the first: the two read against each other give the noise floor of the
  // gateway-against-relay ratios (one workerd process runs a few percent cheaper or dearer than another).
  const workerdTwin = await startWorkerdRelay(stack.emulator.url);
  cleanups.push(() => workerdTwin.stop());
  const workerdTwinPid = pidOf("workerd");
  const denoRelay = await startDenoRelay(stack.emulator.url);
  cleanups.push(() => denoRelay.stop());
  const denoRelayPid = pidOf("deno");
  const pids: Record<PathName, number | null> = {
    direct: null, workerd: workerdPid, deno: denoPid, "workerd-relay": workerdRelayPid, "deno-relay": denoRelayPid,
  };
  const floor = await startFloorServer();
  cleanups.push(() => floor.stop());
  const apiKey = await stack.createKey({ alias: "bench" });

  const workerd = gatewayPath("workerd", stack.gateway.url, apiKey);
  const upstream = await captureUpstreamCalls(stack, workerd);
  const credentials = { emulatorUrl: stack.emulator.url, accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY, region: DEFAULT_REGION };
  const sign = emulatorSigner(credentials);
  const paths: Record<PathName, BenchPath> = {
    direct: directPath({ ...credentials, ...upstream }),
    "workerd-relay": relayPath("workerd-relay", workerdRelay.url, sign, upstream),
    workerd,
    "deno-relay": relayPath("deno-relay", denoRelay.url, sign, upstream),
    deno: gatewayPath("deno", deno.url, apiKey),
  };
  const twin = relayPath("workerd-relay", workerdTwin.url, sign, upstream);
  const floorClient = new KeepAliveClient(floor.url);
  for (const c of [...Object.values(paths).map((p) => p.client), twin.client, floorClient]) cleanups.push(() => c.close());
  await sanityCheck(paths);
  if (!(await twin.invoke(true)).body?.includes(DEFAULT_TEXT)) throw new Error("the second workerd relay did not relay the emulator's answer");

  const get = (client: KeepAliveClient, path: string, headers: Record<string, string> = {}): Operation<unknown> =>
    () => expectOk(client.send({ method: "GET", path, headers }), `GET ${path}`);
  const authHeaders = gatewayHeaders(apiKey);

  progress(`warming up (${WARMUP} requests per path and figure, then ${CONCURRENCY * 4} at ${CONCURRENCY} concurrent)`);
  await interleaved(
    PATHS.flatMap((p) => [[`${p}-invoke`, () => paths[p].invoke()], [`${p}-stream`, () => paths[p].stream()]] as const),
    WARMUP,
    1,
  );
  await interleaved(
    [
      ["floor", get(floorClient, "/health")],
      ...GATEWAYS.map((g) => [g, get(paths[g].client, "/health")] as const),
      ...GATEWAYS.map((g) => [`${g}-models`, get(paths[g].client, "/v1/models", authHeaders)] as const),
    ],
    WARMUP,
    1,
  );
  for (const p of PATHS) await concurrent(CONCURRENCY * 4, CONCURRENCY, () => paths[p].invoke());
  await concurrent(CONCURRENCY * 4, CONCURRENCY, () => twin.invoke());
  stack.emulator.reset();

  progress(`latency: ${N} non-streaming requests per path, ${ROUNDS} interleaved rounds`);
  const lat = await interleaved(PATHS.map((p) => [p, () => paths[p].invoke()] as const), N, ROUNDS);
  const latency = byPath((p) => summarize(lat.get(p)?.ms ?? []));
  stack.emulator.reset();

  progress(`streaming: ${N} streaming requests per path, ${ROUNDS} interleaved rounds`);
  const str = await interleaved(PATHS.map((p) => [p, () => paths[p].stream()] as const), N, ROUNDS);
  const streamTtfb = byPath((p) => summarize((str.get(p)?.results ?? []).map((t) => t.firstByteMs)));
  const streamTotal = byPath((p) => summarize((str.get(p)?.results ?? []).map((t) => t.totalMs)));
  stack.emulator.reset();

  progress(`runtime overhead: ${N} GET /health and GET /v1/models per runtime, plus the loopback floor`);
  const over = await interleaved(
    [
      ["floor", get(floorClient, "/health")],
      ...GATEWAYS.map((g) => [`${g}-health`, get(paths[g].client, "/health")] as const),
      ...GATEWAYS.map((g) => [`${g}-models`, get(paths[g].client, "/v1/models", authHeaders)] as const),
    ],
    N,
    ROUNDS,
  );
  const overhead = (k: "floor" | `${GatewayName}-health` | `${GatewayName}-models`): Summary => summarize(over.get(k)?.ms ?? []);

  progress(`throughput: ${THROUGHPUT_N} requests per path at ${CONCURRENCY} concurrent (${THROUGHPUT_SLICES} slices, ABC CBA ABC CBA …), then GET /health`);
  const tp = await measureThroughput(PATHS.map((p) => ({ key: p, op: () => paths[p].invoke(), pid: pids[p] })));
  const healthTp = await measureThroughput(GATEWAYS.map((g) => ({ key: g, op: get(paths[g].client, "/health"), pid: pids[g] })));
  stack.emulator.reset();

  progress(`noise floor: ${THROUGHPUT_N} requests through the workerd relay and an identical second relay, sliced the same way`);
  const relayTwin = await measureThroughput([
    { key: "relay", op: () => paths["workerd-relay"].invoke(), pid: workerdRelayPid },
    { key: "twin", op: () => twin.invoke(), pid: workerdTwinPid },
  ]);
  stack.emulator.reset();

  progress(`memory: ${SHORT_WORDS}, ${Math.round(LONG_WORDS / 2)} (twice), ${LONG_WORDS} and ${LONG_WORDS * 2} streamed words through each gateway and relay`);
  const memory: MemoryResult[] = [];
  const relayUrls: Record<GatewayName, string> = { workerd: workerdRelay.url, deno: denoRelay.url };
  const gatewayUrls: Record<GatewayName, string> = { workerd: stack.gateway.url, deno: deno.url };
  for (const g of GATEWAYS) {
    memory.push(
      await measureMemory({ label: `${g} gateway`, runtime: g, kind: "gateway" }, pids[g], (words) =>
        withFreshClient(gatewayUrls[g], (c) => longStream(c, g, apiKey, words)),
      ),
      await measureMemory({ label: `${g} bare relay (JS stream)`, runtime: g, kind: "relay" }, pids[RELAY_OF[g]], (words) =>
        withFreshClient(relayUrls[g], (c) => relayLongStream(c, sign, upstream.stream.path, words)),
      ),
    );
  }

  progress(`soak: ${SOAK_N} requests through each gateway and bare relay at ${CONCURRENCY} concurrent, resident memory before and after`);
  const soaks: SoakResult[] = [];
  for (const p of ["workerd-relay", "workerd", "deno-relay", "deno"] as const) soaks.push(await soak(p, pids[p], SOAK_N, CONCURRENCY, () => paths[p].invoke()));
  stack.emulator.reset();

  progress(`estimate error: ${ESTIMATE_TURNS} turns of three Claude-Code-shaped sessions through the workerd gateway`);
  const estimateKey = await stack.createKey({ alias: "bench-estimate" });
  const estimate = await measureEstimateError(stack.gateway.url, estimateKey, ESTIMATE_TURNS);
  stack.emulator.reset();

  progress(`kinds of key: ${N} sequential and ${THROUGHPUT_N} at ${CONCURRENCY} concurrent requests per kind through the workerd gateway`);
  const keyKinds = await measureKeyKinds(stack, { n: N, rounds: ROUNDS, concurrency: CONCURRENCY, pid: workerdPid, throughput: measureThroughput });
  stack.emulator.reset();

  progress(`large request: ${LARGE_N} Claude-Code-sized requests per gateway and relay at ${LARGE_CONCURRENCY} concurrent`);
  const largeBody = await measureLargeBody({
    stack,
    apiKey,
    urls: { workerd: stack.gateway.url, "workerd-relay": workerdRelay.url, deno: deno.url, "deno-relay": denoRelay.url },
    pids: { workerd: workerdPid, "workerd-relay": workerdRelayPid, deno: denoPid, "deno-relay": denoRelayPid },
    sign,
    n: LARGE_N,
    concurrency: LARGE_CONCURRENCY,
    measure: measureThroughput,
  });
  stack.emulator.reset();

  progress(`Cloudflare Access: ${THROUGHPUT_N} requests per kind at ${CONCURRENCY} concurrent, two new gateways, dev mode and verifying Access JWTs`);
  const access = await measureAccess({
    stack,
    apiKey,
    pidOfNew: () => pidOf("workerd"),
    n: THROUGHPUT_N,
    concurrency: CONCURRENCY,
    measure: measureThroughput,
  });
  stack.emulator.reset();

  progress(`in-isolate: ${ISOLATE_ROUNDS} loops of ${ISOLATE_N} requests each through a new workerd gateway and through the bare relay's forwarding, Bedrock answered in the isolate`);
  const isolate = await measureIsolate({
    stack,
    gatewayRequest: withLength({ path: "/v1/messages", headers: gatewayHeaders(apiKey), body: JSON.stringify(MESSAGES_BODY) }),
    relayRequest: withLength({ path: upstream.invoke.path, headers: await sign(upstream.invoke, false), body: upstream.invoke.body }),
    answer: await bedrockAnswer(stack.emulator.url, upstream.invoke, sign),
    pidOfNew: () => pidOf("workerd"),
    n: ISOLATE_N,
    rounds: ISOLATE_ROUNDS,
  });
  if (!isolate) progress("in-isolate: skipped (the new workerd process could not be identified)");
  stack.emulator.reset();

  const results: BenchResults = {
    header: [
      `Breakwater benchmark${QUICK ? " (BENCH_QUICK)" : ""}: ${cpus().length} x ${cpus()[0]?.model.trim() ?? "cpu"}, Node ${process.version}, ` +
        `load average at start ${loadAtStart.toFixed(2)}`,
      `latency/streaming n=${N} per path (after ${WARMUP} warm-up, ${ROUNDS} interleaved rounds); throughput ${THROUGHPUT_N} requests ` +
        `at ${CONCURRENCY} concurrent; keep-alive node:http clients; times in ms from performance.now()`,
      `request: POST /v1/messages ${JSON.stringify(MESSAGES_BODY)} (+"stream":true); direct path: the same InvokeModel ` +
        `body to ${upstream.invoke.path}, signed with aws4fetch inside the timed call`,
      `gateway settings: ${Object.entries(GATEWAY_SETTINGS).map(([k, v]) => `${k}=${v}`).join(" ")}; the emulator, the database ` +
        "(PGlite behind the Neon shim) and the clients share this Node process; each gateway and relay is its own workerd/deno process",
    ],
    latency,
    streamTtfb,
    streamTotal,
    floor: overhead("floor"),
    health: byGateway((g) => overhead(`${g}-health`)),
    models: byGateway((g) => overhead(`${g}-models`)),
    throughput: tp,
    healthThroughput: healthTp,
    memory,
    soaks,
    estimate,
    keyKinds,
    largeBody,
    access,
    relayTwin,
    ...(isolate ? { isolate } : {}),
    bundle,
  };
  process.stdout.write(`${renderReport(results)}\n`);
  const resent = KeepAliveClient.resentAfterReset;
  if (resent > 0) process.stdout.write(`note: ${resent} request(s) resent after a kept-alive connection was reset before any answer\n`);
  progress(`done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
}

function byPath<T>(f: (p: PathName) => T): Record<PathName, T> {
  return { direct: f("direct"), "workerd-relay": f("workerd-relay"), workerd: f("workerd"), "deno-relay": f("deno-relay"), deno: f("deno") };
}
function byGateway<T>(f: (g: GatewayName) => T): Record<GatewayName, T> {
  return { workerd: f("workerd"), deno: f("deno") };
}

/**
 * Sends one request of each kind through the gateway and reads, from the emulator's request log, the path and body
 * the gateway sent upstream: the direct path replays exactly those, so both sides ask the emulator the same thing.
 */
async function captureUpstreamCalls(stack: Stack, gateway: BenchPath): Promise<{ invoke: UpstreamCall; stream: UpstreamCall }> {
  stack.emulator.reset();
  await gateway.invoke();
  await gateway.stream();
  const find = (operation: string): UpstreamCall => {
    const rec = stack.emulator.requests.find((r) => r.operation === operation);
    if (!rec || !rec.signatureValid) throw new Error(`the gateway sent no valid ${operation} to the emulator`);
    return { path: rec.rawPath, body: JSON.stringify(rec.body) };
  };
  return { invoke: find("InvokeModel"), stream: find("InvokeModelWithResponseStream") };
}

/** A request as a client sends it: with its content-length (the gateway reads a declared body in one native call). */
function withLength(r: { path: string; headers: Record<string, string>; body: string }) {
  return { ...r, headers: { ...r.headers, "content-length": String(Buffer.byteLength(r.body)) } };
}

/** The emulator's answer to the InvokeModel call the gateway makes, for the in-isolate phase to answer with. */
async function bedrockAnswer(emulatorUrl: string, call: UpstreamCall, sign: Signer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const res = await fetch(emulatorUrl + call.path, { method: "POST", headers: await sign(call, false), body: call.body });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`the emulator answered the bench's InvokeModel call with ${res.status}: ${body.slice(0, 300)}`);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    // Hop-by-hop and length headers (those the relay drops) and the date belong to the HTTP exchange, not to the answer.
    if (!HOP_BY_HOP.includes(k) && k !== "date") headers[k] = v;
  });
  return { status: res.status, headers, body };
}

/** Proves every path answers what it should before timing it: a fast wrong answer is not a result. */
async function sanityCheck(paths: Record<PathName, BenchPath>): Promise<void> {
  for (const p of PATHS) {
    const r = await paths[p].invoke(true);
    const json = JSON.parse(r.body ?? "null") as { content?: Array<{ text?: string }>; model?: string };
    if (json.content?.[0]?.text !== DEFAULT_TEXT) throw new Error(`${p}: unexpected answer ${r.body?.slice(0, 300)}`);
    const gateway = p === "workerd" || p === "deno";
    if (gateway && json.model !== MESSAGES_BODY.model) throw new Error(`${p}: answered for model ${json.model}`);
    const s = await paths[p].stream(true);
    const ok = gateway ? (s.body ?? "").includes("event: message_stop") : (s.body ?? "").includes("chunk");
    if (!ok) throw new Error(`${p}: unexpected stream ${s.body?.slice(0, 300)}`);
  }
}

interface ThroughputSpec<K extends string> {
  key: K;
  op: Operation<unknown>;
  /** The runtime process whose CPU time is charged to this path (null for the direct path). */
  pid: number | null;
}

/**
 * Each path runs THROUGHPUT_SLICES slices in the order A B C C B A A B C C B A, so a drift in machine speed (this
 * machine's speed moves by tens of percent within minutes) does not favour one path: with two halves, one noisy
 * minute could move the CPU ratio between a gateway and its relay by a third from one run to the next. CPU time
 * of this process (clients, emulator, database) and of the gateway process (its threads' scheduler counters) is
 * charged to the path that ran. Each
 * slice's figures are kept too: a gateway's slice and its relay's always run back to back (B C, then C B), and the
 * report compares them pair by pair (bench/stats.ts pairedRatio).
 */
async function measureThroughput<K extends string>(
  specs: ReadonlyArray<ThroughputSpec<K>>,
  opts: { n: number; concurrency: number } = { n: THROUGHPUT_N, concurrency: CONCURRENCY },
): Promise<Record<K, ThroughputResult>> {
  const slice = Math.ceil(opts.n / THROUGHPUT_SLICES);
  const order = Array.from({ length: THROUGHPUT_SLICES }, (_, i) => (i % 2 === 0 ? [...specs] : [...specs].reverse())).flat();
  const acc = new Map(specs.map((s) => [s.key, { completed: 0, elapsedMs: 0, ms: [] as number[], nodeCpu: 0, runtimeCpu: 0, slices: [] as ThroughputSlice[] }]));
  for (const spec of order) {
    const a = acc.get(spec.key);
    if (!a) continue;
    const node0 = cpuTimeMs(process.pid);
    const rt0 = spec.pid === null ? 0 : cpuTimeUs(spec.pid) / 1000;
    const run = await concurrent(slice, opts.concurrency, spec.op).catch((e: unknown) => {
      throw new Error(`throughput of ${spec.key}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
    a.nodeCpu += cpuTimeMs(process.pid) - node0;
    const runtimeCpu = spec.pid === null ? null : cpuTimeUs(spec.pid) / 1000 - rt0;
    if (runtimeCpu !== null) a.runtimeCpu += runtimeCpu;
    a.slices.push({ rps: throughput(run.completed, run.elapsedMs), runtimeCpuMs: runtimeCpu === null ? null : runtimeCpu / run.completed });
    a.completed += run.completed;
    a.elapsedMs += run.elapsedMs;
    a.ms.push(...run.ms);
  }
  const out = {} as Record<K, ThroughputResult>;
  for (const spec of specs) {
    const a = acc.get(spec.key);
    if (!a) continue;
    out[spec.key] = {
      completed: a.completed,
      elapsedMs: a.elapsedMs,
      rps: throughput(a.completed, a.elapsedMs),
      latency: summarize(a.ms),
      cpuMsPerRequest: { node: a.nodeCpu / a.completed, runtime: spec.pid === null ? null : a.runtimeCpu / a.completed },
      slices: a.slices,
    };
  }
  return out;
}

/**
 * Returns a function that, called right after a runtime process was started, finds it: the one process of that
 * name under this one not seen before. Null when /proc is missing or the answer is ambiguous.
 */
function newProcessFinder(): (name: string) => number | null {
  const seen = new Set<number>();
  return (name) => {
    if (!procAvailable()) return null;
    const found = findDescendants(process.pid, name).filter((p) => !seen.has(p));
    for (const p of found) seen.add(p);
    return found.length === 1 ? (found[0] as number) : null;
  };
}

/**
 * A new connection per long stream: after a long streamed response workerd may close the kept-alive connection,
 * and the next request on it would fail with a reset that has nothing to do with the figure being measured.
 */
async function withFreshClient<T>(baseUrl: string, f: (c: KeepAliveClient) => Promise<T>): Promise<T> {
  const c = new KeepAliveClient(baseUrl, 1);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

/**
 * Peak RSS of a runtime process while it streams a short answer, half the long answer twice (to let the heap settle),
 * the long answer, then one twice as long. Shortest first: a process's RSS rarely shrinks, so the order matters.
 */
async function measureMemory(
  who: { label: string; runtime: GatewayName; kind: "gateway" | "relay" },
  pid: number | null,
  stream: (words: number) => Promise<Timed>,
): Promise<MemoryResult> {
  if (!procAvailable()) return { ...who, ok: false, reason: "no /proc on this system" };
  if (pid === null) return { ...who, ok: false, reason: `could not tell which ${who.runtime} process it is under pid ${process.pid}` };
  const step = async (words: number): Promise<MemoryStep> => {
    const t0 = performance.now();
    const { maxRss, result } = await sampleMaxRss(pid, () => stream(words));
    return { words, bytes: result.bytes, maxRss, seconds: (performance.now() - t0) / 1000 };
  };
  // Two short streams first, so lazily compiled code and buffers are in place before the baseline.
  for (let i = 0; i < 2; i++) await stream(SHORT_WORDS);
  const short = await step(SHORT_WORDS);
  const first = await step(Math.round(LONG_WORDS / 2));
  const second = await step(Math.round(LONG_WORDS / 2));
  const settle = second.maxRss >= first.maxRss ? second : first;
  const long = await step(LONG_WORDS);
  const double = await step(LONG_WORDS * 2);
  return { ...who, ok: true, pid, short, settle, long, double, rssAfter: readRss(pid).rss };
}

/** A long answer through a bare relay, with `?js=1` so the relay moves the body through a JS TransformStream. */
async function relayLongStream(c: KeepAliveClient, sign: Signer, streamPath: string, words: number): Promise<Timed> {
  const up = longUpstreamCall(streamPath, words);
  // The query is for the relay only: it forwards the bare path, which is what was signed.
  return expectOk(c.send({ method: "POST", path: `${up.path}?js=1`, headers: await sign(up, true), body: up.body }), `relay long stream (${words} words)`);
}

/** The cheapest HTTP exchange this process can have over loopback: the floor under every runtime's /health. */
async function startFloorServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const body = '{"status":"ok"}';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

main().then(
  () => cleanup(),
  async (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);
