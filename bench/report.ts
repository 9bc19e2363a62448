// Turns the measured figures into the printed report: one aligned table per section, the DESIGN §8 comparison, a
// breakdown of where the added latency goes, and a one-line summary. Printing only: nothing here fails the run.
import { added, fmtKiB, fmtMiB, fmtMs, fmtRatio, fmtSignedMs, formatTable, pairedRatio, percentile, verdict, type PairedRatio, type Summary } from "./stats.ts";
import type { KeyKindResult } from "./key-kinds.ts";
import type { PathName } from "./paths.ts";
import type { EstimateError } from "./estimate-error.ts";
import type { SoakResult } from "./soak.ts";

export const TARGETS = {
  addedP50Ms: 0.5,
  addedP99Ms: 2,
  addedTtfbMs: 1,
  bundleGzipKiB: 150,
  /** DESIGN says "close to the direct path"; this is the reading of "close" the report uses. */
  throughputRatio: 0.8,
} as const;

/** The gateway against the bare relay of its own runtime (issue 9): what the gateway's code may add. */
export const RELAY_TARGETS = {
  addedP50Ms: { workerd: 0.3, deno: 0.2 },
  cpuRatio: 1.3,
  throughputRatio: 0.8,
  rssAboveRelayMiB: 20,
} as const;

export const GATEWAYS = ["workerd", "deno"] as const;
export type GatewayName = (typeof GATEWAYS)[number];
export const PATHS: readonly PathName[] = ["direct", "workerd-relay", "workerd", "deno-relay", "deno"];
export const RELAY_OF: Record<GatewayName, PathName> = { workerd: "workerd-relay", deno: "deno-relay" };

const LABELS: Record<PathName, string> = {
  direct: "direct",
  "workerd-relay": "workerd bare relay",
  workerd: "workerd gateway",
  "deno-relay": "deno bare relay",
  deno: "deno gateway",
};

export interface ThroughputResult {
  completed: number;
  elapsedMs: number;
  rps: number;
  latency: Summary;
  /** CPU time per request: this Node process (clients, emulator, database) and the runtime process (null: none). */
  cpuMsPerRequest: { node: number; runtime: number | null };
  /** Each slice of the run in order (bench/run.ts runs the paths' slices interleaved, a gateway's next to its relay's). */
  slices: ThroughputSlice[];
}

export interface ThroughputSlice {
  rps: number;
  /** The runtime process's CPU ms per request in this slice (null: no runtime process). */
  runtimeCpuMs: number | null;
}

export interface MemoryStep {
  words: number;
  /** Response bytes the client received. */
  bytes: number;
  maxRss: number;
  seconds: number;
}

interface MemoryWho {
  label: string;
  runtime: GatewayName;
  /** "relay": the bare relay with its body moved through an identity TransformStream (bench/relays.ts). */
  kind: "gateway" | "relay";
}

export type MemoryResult =
  | (MemoryWho & {
      ok: true;
      pid: number;
      /** Peak RSS while streaming a short answer (the baseline). */
      short: MemoryStep;
      /** The larger peak of two streams of half the long answer: these raise the heap's high-water mark. */
      settle: MemoryStep;
      /** The long answer. */
      long: MemoryStep;
      /** A stream twice as long as `long`: if memory depends on length, this is where it shows. */
      double: MemoryStep;
      rssAfter: number;
    })
  | (MemoryWho & { ok: false; reason: string });

/** The paths of the large-request phase: each gateway and its bare relay. */
export type LargeBodyPath = "workerd-relay" | "workerd" | "deno-relay" | "deno";

/** One Claude-Code-sized request through each gateway and relay (bench/large-body.ts). */
export interface LargeBodyResult {
  bodyBytes: number;
  /** The Bedrock body the gateway writes for it (what the relays forward). */
  upstreamBytes: number;
  concurrency: number;
  throughput: Record<LargeBodyPath, ThroughputResult>;
}

/** The kinds of the Access phase: the dev-mode gateway, and a gateway behind Access with one token or a new one each time. */
export type AccessKind = "dev" | "remembered" | "fresh";

/** The same request through a gateway that verifies Access JWTs, against the dev-mode gateway (bench/access.ts). */
export interface AccessResult {
  concurrency: number;
  throughput: Record<AccessKind, ThroughputResult>;
}

/**
 * The bench's request in loops inside one workerd isolate, Bedrock answered there (bench/isolate.ts): workerd's CPU
 * per request of each loop (µs), through the Worker and through the bare relay's forwarding, loops alternating.
 */
export interface IsolateResult {
  n: number;
  rounds: number;
  gatewayUs: number[];
  relayUs: number[];
}

export interface BenchResults {
  header: string[];
  latency: Record<PathName, Summary>;
  streamTtfb: Record<PathName, Summary>;
  streamTotal: Record<PathName, Summary>;
  floor: Summary;
  health: Record<GatewayName, Summary>;
  models: Record<GatewayName, Summary>;
  throughput: Record<PathName, ThroughputResult>;
  /** GET /health at the same concurrency: the runtime's own ceiling with no upstream and no gateway work. */
  healthThroughput: Record<GatewayName, ThroughputResult>;
  memory: MemoryResult[];
  /** Resident memory of each gateway and relay after many requests. */
  soaks: SoakResult[];
  estimate: EstimateError;
  /** The same request through the workerd gateway with keys of different kinds (bench/key-kinds.ts). */
  keyKinds?: KeyKindResult[];
  largeBody?: LargeBodyResult;
  access?: AccessResult;
  /**
   * The workerd bare relay against a second, identical relay process, sliced like the throughput phase: what the
   * CPU and throughput ratios read when the code on both sides is the same (how far one process differs from another).
   */
  relayTwin?: { relay: ThroughputResult; twin: ThroughputResult };
  isolate?: IsolateResult;
  bundle: { rawBytes: number; gzipBytes: number; areas?: { name: string; bytes: number }[] };
}

type OkMemory = Extract<MemoryResult, { ok: true }>;

const SUMMARY_HEADER = ["p50", "p90", "p99", "mean", "min", "max", "n"];
const row = (label: string, s: Summary) => [label, fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.mean), fmtMs(s.min), fmtMs(s.max), String(s.count)];
const signedMiB = (bytes: number) => `${bytes >= 0 ? "+" : ""}${fmtMiB(bytes)}`;
const totalCpu = (t: ThroughputResult) => t.cpuMsPerRequest.node + (t.cpuMsPerRequest.runtime ?? 0);
const words = (n: number) => `${n.toLocaleString("en-US")} words`;

/**
 * Flat = doubling the response length raised peak RSS by less than the extra bytes streamed (holding the response
 * would cost at least that). The steps before are not judged: any V8 process under allocation pressure raises its
 * heap high-water mark over the first long streams, whatever their length.
 */
export function memoryIsFlat(m: OkMemory): boolean {
  return m.double.maxRss - m.long.maxRss < m.double.bytes - m.long.bytes;
}

export function renderReport(r: BenchResults): string {
  const out: string[] = [...r.header, ""];

  out.push("1. Latency, 1 client, non-streaming POST (ms)");
  out.push(formatTable(["path", ...SUMMARY_HEADER], PATHS.map((p) => row(LABELS[p], r.latency[p]))), "");

  out.push("2. Throughput, 64 concurrent clients (closed loop), and CPU time per request");
  const directRps = r.throughput.direct.rps;
  const cpu = (v: number | null) => (v === null ? "-" : v.toFixed(3));
  const tpRow = (label: string, t: ThroughputResult, vsDirect: string) => [
    label, String(t.completed), (t.elapsedMs / 1000).toFixed(2), t.rps.toFixed(0), vsDirect, fmtMs(t.latency.p50), fmtMs(t.latency.p99),
    cpu(t.cpuMsPerRequest.node), cpu(t.cpuMsPerRequest.runtime), cpu(totalCpu(t)),
  ];
  out.push(
    formatTable(
      ["path", "requests", "seconds", "req/s", "vs direct", "p50 ms", "p99 ms", "CPU ms/req: node", "runtime", "total"],
      [
        ...PATHS.map((p) => tpRow(`${LABELS[p]} POST`, r.throughput[p], fmtRatio(r.throughput[p].rps / directRps))),
        ...GATEWAYS.map((g) => tpRow(`${LABELS[g]} GET /health`, r.healthThroughput[g], "")),
      ],
    ),
    "  node = this process (clients, emulator, PGlite database); runtime = the workerd or deno process. CPU from /proc",
    "  (this process: its own counters; a runtime: its threads' scheduler counters) over the whole run. 2 cores: a runtime",
    "  whose JS runs on one thread saturates at 1000 / runtime CPU ms req/s.",
    "",
  );

  out.push("3. Streaming, 1 client: time to first body byte and to the end of the stream (ms)");
  out.push(
    formatTable(
      ["path", "TTFB p50", "TTFB p99", "TTFB mean", "total p50", "total p99", "n"],
      PATHS.map((p) => {
        const f = r.streamTtfb[p];
        const t = r.streamTotal[p];
        return [LABELS[p], fmtMs(f.p50), fmtMs(f.p99), fmtMs(f.mean), fmtMs(t.p50), fmtMs(t.p99), String(f.count)];
      }),
    ),
    "",
  );

  out.push("4. Runtime overhead on routes with no upstream, 1 client (ms)");
  out.push(
    formatTable(["route", ...SUMMARY_HEADER], [
      row("node:http loopback floor (GET, this process)", r.floor),
      ...GATEWAYS.map((g) => row(`${LABELS[g]} GET /health`, r.health[g])),
      ...GATEWAYS.map((g) => row(`${LABELS[g]} GET /v1/models (key auth)`, r.models[g])),
    ]),
    "",
  );

  out.push("5. Gateway added over the direct path, against DESIGN §8");
  const verdictRows: string[][] = [];
  for (const g of GATEWAYS) {
    const p50 = added(r.latency[g].p50, r.latency.direct.p50);
    const p99 = added(r.latency[g].p99, r.latency.direct.p99);
    const ttfb50 = added(r.streamTtfb[g].p50, r.streamTtfb.direct.p50);
    const ttfb99 = added(r.streamTtfb[g].p99, r.streamTtfb.direct.p99);
    const tput = r.throughput[g].rps / directRps;
    verdictRows.push(
      [g, "latency p50", `${fmtSignedMs(p50.ms)} ms`, fmtRatio(p50.ratio), `<= ${TARGETS.addedP50Ms} ms`, verdict(p50.ms, TARGETS.addedP50Ms)],
      [g, "latency p99", `${fmtSignedMs(p99.ms)} ms`, fmtRatio(p99.ratio), `<= ${TARGETS.addedP99Ms} ms`, verdict(p99.ms, TARGETS.addedP99Ms)],
      [g, "TTFB p50", `${fmtSignedMs(ttfb50.ms)} ms`, fmtRatio(ttfb50.ratio), `<= ${TARGETS.addedTtfbMs} ms`, verdict(ttfb50.ms, TARGETS.addedTtfbMs)],
      [g, "TTFB p99", `${fmtSignedMs(ttfb99.ms)} ms`, fmtRatio(ttfb99.ratio), "(no target)", ""],
      [g, "throughput", "", fmtRatio(tput), `>= ${TARGETS.throughputRatio}x`, tput >= TARGETS.throughputRatio ? "target met" : "over target"],
    );
  }
  out.push(formatTable(["gateway", "figure", "added", "ratio", "target", "verdict"], verdictRows), "");

  out.push("6. Where the added time goes: the runtime itself (bare relay - direct) vs the gateway's code (gateway - relay)");
  const split: string[][] = [];
  for (const g of GATEWAYS) {
    const relay = RELAY_OF[g];
    const three = (label: string, gw: number, rl: number, dir: number, unit: string) => [
      g, label, `${fmtSignedMs(gw - dir)} ${unit}`, `${fmtSignedMs(rl - dir)} ${unit}`, `${fmtSignedMs(gw - rl)} ${unit}`,
    ];
    split.push(
      three("latency p50", r.latency[g].p50, r.latency[relay].p50, r.latency.direct.p50, "ms"),
      three("latency p99", r.latency[g].p99, r.latency[relay].p99, r.latency.direct.p99, "ms"),
      three("TTFB p50", r.streamTtfb[g].p50, r.streamTtfb[relay].p50, r.streamTtfb.direct.p50, "ms"),
      three("CPU per request", totalCpu(r.throughput[g]), totalCpu(r.throughput[relay]), totalCpu(r.throughput.direct), "ms"),
      [g, "  of which /health - floor", "", `${fmtSignedMs(r.health[g].p50 - r.floor.p50)} ms`, ""],
      [g, "  of which key auth (/v1/models - /health)", "", "", `${fmtSignedMs(r.models[g].p50 - r.health[g].p50)} ms`],
    );
  }
  out.push(
    formatTable(["gateway", "figure", "added over direct", "runtime (relay)", "gateway code"], split),
    "  bare relay = the smallest Worker / Deno server that forwards the client-signed request and returns the answer",
    "  (bench/relays.ts). Gateway code = auth, body parsing and validation, translation, SigV4 signing, logging, spend.",
    "",
  );

  out.push("7. Memory of the runtime process while streaming through it (resident set from /proc, sampled every 10 ms)");
  const memRows: string[][] = [];
  const memNotes: string[] = [];
  for (const m of r.memory) {
    if (!m.ok) {
      memNotes.push(`  ${m.label}: not measured: ${m.reason}`);
      continue;
    }
    memRows.push(
      [m.label, words(m.short.words), fmtMiB(m.short.bytes), fmtMiB(m.short.maxRss), "", `${m.short.seconds.toFixed(1)} s`],
      [m.label, `${words(m.settle.words)} (x2)`, fmtMiB(m.settle.bytes), fmtMiB(m.settle.maxRss), signedMiB(m.settle.maxRss - m.short.maxRss), `${m.settle.seconds.toFixed(1)} s`],
      [m.label, words(m.long.words), fmtMiB(m.long.bytes), fmtMiB(m.long.maxRss), signedMiB(m.long.maxRss - m.settle.maxRss), `${m.long.seconds.toFixed(1)} s`],
      [m.label, words(m.double.words), fmtMiB(m.double.bytes), fmtMiB(m.double.maxRss), signedMiB(m.double.maxRss - m.long.maxRss), `${m.double.seconds.toFixed(1)} s`],
    );
  }
  if (memRows.length > 0) out.push(formatTable(["process", "stream", "bytes out", "peak RSS", "vs previous", "duration"], memRows));
  const ok = r.memory.filter((m): m is OkMemory => m.ok);
  for (const m of ok) {
    if (m.kind !== "gateway") continue;
    const step = `${signedMiB(m.double.maxRss - m.long.maxRss)} peak RSS from ${words(m.long.words)} to ${words(m.double.words)}`;
    let note = `  ${m.label}: ${memoryIsFlat(m) ? `flat, ${step} (target met)` : `grows with response length, ${step} (over target)`}`;
    const relay = ok.find((x) => x.kind === "relay" && x.runtime === m.runtime);
    if (relay) note += `; its bare relay (identity TransformStream): ${signedMiB(relay.double.maxRss - relay.long.maxRss)}`;
    memNotes.push(note);
  }
  memNotes.push(
    "  flat = the last doubling of the length added less peak RSS than the extra bytes streamed. The first long streams raise",
    "  any V8 process's high-water mark, so earlier steps are shown but not judged. RSS is noisy: read it with the relay.",
  );
  out.push(...memNotes, "");

  out.push("8. The gateway against its own runtime's bare relay, and resident memory after many requests");
  const relayRows: string[][] = [];
  for (const g of GATEWAYS) {
    const v = vsRelay(r, g);
    relayRows.push(
      [g, "added latency p50", `${fmtSignedMs(v.addedP50)} ms`, `<= ${RELAY_TARGETS.addedP50Ms[g]} ms`, verdict(v.addedP50, RELAY_TARGETS.addedP50Ms[g])],
      [g, "CPU per request (runtime process)", fmtRatio(v.cpuRatio), `<= ${RELAY_TARGETS.cpuRatio}x`, verdict(v.cpuRatio, RELAY_TARGETS.cpuRatio), spread(v.cpu)],
      [g, "throughput at 64 clients", fmtRatio(v.throughputRatio), `>= ${RELAY_TARGETS.throughputRatio}x`, v.throughputRatio >= RELAY_TARGETS.throughputRatio ? "target met" : "over target", spread(v.throughput)],
      [g, `RSS after ${v.soakRequests ?? "?"} requests vs relay`, v.rssAbove === null ? "n/a" : `${signedMiB(v.rssAbove)}`, `<= ${RELAY_TARGETS.rssAboveRelayMiB} MiB`, v.rssAbove === null ? "" : verdict(v.rssAbove / 1048576, RELAY_TARGETS.rssAboveRelayMiB)],
    );
  }
  out.push(
    formatTable(["gateway", "figure", "value", "target", "verdict", "pairs: range / pooled"], relayRows),
    "  CPU and throughput: the median, over the throughput phase's slices, of the ratio between a gateway's slice and its",
    "  relay's slice run right next to it (the range of those ratios beside it), and the ratio pooled over the whole run.",
    "  A neighbour's burst on this shared machine slows single slices by tens of percent; the median of paired slices",
    "  moves only when most pairs were hit, the pooled ratio moves with every hit. CI95: where the median of such pairs",
    "  lies with at least 95 % confidence, from the pairs' order alone (no assumption about their spread); a target",
    "  inside it is met or missed by this run's noise, not settled by it.",
  );
  const floor = r.relayTwin ? twinFloor(r.relayTwin) : null;
  if (floor) {
    out.push(
      `  Noise floor: a second, identical workerd relay against the first reads CPU ${fmtRatio(floor.cpuRatio)} (${spread(floor.cpu)}), throughput`,
      `  ${fmtRatio(floor.throughputRatio)} (${spread(floor.throughput)}): a ratio this far from 1.00x is the measurement, not the code.`,
    );
  }
  out.push(
    formatTable(
      ["process", "requests", "RSS before", "RSS after", "growth"],
      r.soaks.map((s) => (s.ok ? [s.label, String(s.requests), fmtMiB(s.rssBefore!), fmtMiB(s.rssAfter!), signedMiB(s.rssAfter! - s.rssBefore!)] : [s.label, String(s.requests), "-", "-", s.reason ?? ""])),
    ),
    "",
  );

  out.push("9. The meter's estimate against the bill (Claude-Code-shaped sessions, 100-120k token prompts, through workerd)");
  const e = r.estimate;
  out.push(
    formatTable(["requests", "median |error|", "p90 |error|", "mean signed", "under the bill", "reserved / billed", "worst case / billed"], [
      [String(e.requests), `${e.medianAbsPct.toFixed(1)} %`, `${e.p90AbsPct.toFixed(1)} %`, `${e.meanSignedPct >= 0 ? "+" : ""}${e.meanSignedPct.toFixed(1)} %`, `${e.underPct.toFixed(0)} % of requests`, fmtRatio(e.totalRatio), fmtRatio(e.worstRatio)],
    ]),
    "  error = (reserved - billed) / billed per request; billed = the emulator's usage at catalog prices. The first request",
    "  of each session writes its prompt to the cache and has no output history, so it carries most of the error.",
    `  apart: the input side (text count, cached prefixes) is off by ${e.inputMedianAbsPct.toFixed(1)} % at the median, ${e.inputP90AbsPct.toFixed(1)} % at p90;`,
    `  the output side reserves ${fmtRatio(e.outputRatio)} the tokens generated (1.5x the longest of the key's last 16 answers, which vary`,
    "  tenfold from turn to turn here): the headroom that keeps requests run side by side near the end of a budget inside it.",
    "",
  );

  if (r.keyKinds?.length) {
    const base = r.keyKinds[0]!;
    out.push("10. Kinds of key, the same request through the workerd gateway (1 client latency; throughput at 64 clients)");
    out.push(
      formatTable(
        ["key", "p50 ms", "p99 ms", "p50 vs no limits", "req/s", "vs no limits", "workerd CPU ms/req", "CPU vs no limits", "pairs: range / pooled"],
        r.keyKinds.map((k, i) => {
          const f = i === 0 ? null : pairedFigures(k.throughput, base.throughput);
          return [
            k.label, fmtMs(k.latency.p50), fmtMs(k.latency.p99), fmtSignedMs(k.latency.p50 - base.latency.p50), k.throughput.rps.toFixed(0),
            fmtRatio(k.throughput.rps / base.throughput.rps), k.throughput.cpuMsPerRequest.runtime === null ? "-" : k.throughput.cpuMsPerRequest.runtime.toFixed(3),
            f ? fmtRatio(f.cpuRatio) : "", f ? spread(f.cpu) : "",
          ];
        }),
      ),
      "  A key far from its budget, rpm, tpm and parallel limits is admitted and settled from the isolate's lease",
      "  (a parallel limit's lease holds places from the lower half of the limit), so it should cost what a key without",
      "  limits costs: a ratio well above the noise floor of section 8 means requests are back at the key's object.",
      "",
    );
  }

  if (r.largeBody) {
    const lb = r.largeBody;
    out.push(`11. A Claude-Code-sized request (${fmtKiB(lb.bodyBytes)} body, ~120k tokens, mostly cache reads), ${lb.concurrency} concurrent clients`);
    out.push(
      formatTable(
        ["path", "requests", "req/s", "p50 ms", "runtime CPU ms/req", "CPU vs its relay", "pairs: range / pooled"],
        (["workerd-relay", "workerd", "deno-relay", "deno"] as const).map((p) => {
          const t = lb.throughput[p];
          const g = largeVsRelay(lb, p);
          return [
            p === "workerd" || p === "deno" ? `${p} gateway` : `${p.replace("-relay", "")} bare relay`, String(t.completed), t.rps.toFixed(0), fmtMs(t.latency.p50),
            t.cpuMsPerRequest.runtime === null ? "-" : t.cpuMsPerRequest.runtime.toFixed(3), g ? fmtRatio(g.ratio) : "", g ? spread(g.cpu) : "",
          ];
        }),
      ),
      `  The relays forward the ${fmtKiB(lb.upstreamBytes)} Bedrock body the gateway writes for it, signed by this process. The gateway`,
      "  reads, parses and validates the body, estimates it, writes the Bedrock body and hashes it for SigV4: work that grows",
      "  with the body, which the tiny request of the other phases does not show.",
      "",
    );
  }

  if (r.access) {
    const a = r.access;
    const rows: [string, AccessKind, ReturnType<typeof accessAgainst> | null][] = [
      ["dev mode, no Access (new process)", "dev", null],
      ["Access, one token (remembered)", "remembered", accessAgainst(a, "remembered", "dev")],
      ["Access, a new token per request", "fresh", accessAgainst(a, "fresh", "remembered")],
    ];
    out.push(`12. Cloudflare Access in the path: the same request through two new gateways, one verifying Access JWTs, ${a.concurrency} concurrent clients`);
    out.push(
      formatTable(
        ["gateway", "requests", "req/s", "p50 ms", "workerd CPU ms/req", "CPU against", "ratio", "added CPU ms", "pairs: range / pooled"],
        rows.map(([label, k, v]) => {
          const t = a.throughput[k];
          return [
            label, String(t.completed), t.rps.toFixed(0), fmtMs(t.latency.p50), t.cpuMsPerRequest.runtime === null ? "-" : t.cpuMsPerRequest.runtime.toFixed(3),
            v ? (v.base === "dev" ? "dev mode" : "remembered") : "", v ? fmtRatio(v.ratio) : "", v ? fmtSignedMs(v.addedMs) : "", v ? spread(v.cpu) : "",
          ];
        }),
      ),
      "  In production every request but /health carries an Access JWT, verified in the Worker (RS256 against the team's",
      "  JWKS); the other phases run in local dev mode without one. A token seen before is remembered until its expiry",
      "  (at most a minute); a new one costs a signature check, read against the remembered token in the same process.",
      "  The Access gateway against the dev-mode one compares two workerd processes (section 8's twin relays: the noise).",
      "",
    );
  }

  if (r.isolate) {
    const f = isolateFigures(r.isolate, r.throughput["workerd-relay"].cpuMsPerRequest.runtime);
    out.push(`13. The gateway's own code inside workerd: loops of ${r.isolate.n} requests in one invocation, Bedrock answered in the isolate (no HTTP)`);
    out.push(
      formatTable(["loop", "workerd CPU us/request", "median loop", "loops"], [
        ["the Worker (gateway)", f.gateway.toFixed(1), f.gatewayMedian.toFixed(1), String(r.isolate.rounds)],
        ["the bare relay's forwarding", f.relay.toFixed(1), f.relayMedian.toFixed(1), String(r.isolate.rounds)],
      ]),
      `  the gateway's code: +${f.added.toFixed(1)} us per request over the relay's (loop by loop, middle half ${f.addedP25.toFixed(1)} to ${f.addedP75.toFixed(1)} us)`,
      ...(f.implied === null
        ? []
        : [
            `  implied CPU ratio: section 2's workerd relay used ${(f.relayMs ?? NaN).toFixed(3)} ms per request; with the gateway's code added, ${fmtRatio(f.implied)}.`,
          ]),
      "  Section 8's CPU ratio also carries workerd's HTTP exchanges and Miniflare's entry worker (alike for both) and the",
      "  machine's noise (section 8's twin relays). Here only the code differs: the loops run the bench's request through",
      "  the Worker, and the same request through the bare relay's own handler, loops of each alternating.",
      "",
    );
  }

  out.push("14. Worker bundle (esbuild as the test harness bundles it, minified, gzip -9)");
  out.push(
    formatTable(["bundle", "raw", "gzip", "target (gzip)", "verdict"], [
      ["worker/index.ts", fmtKiB(r.bundle.rawBytes), fmtKiB(r.bundle.gzipBytes), `<= ${TARGETS.bundleGzipKiB} KiB`, verdict(r.bundle.gzipBytes / 1024, TARGETS.bundleGzipKiB)],
    ]),
  );
  if (r.bundle.areas?.length) {
    const top = r.bundle.areas.slice(0, 16);
    const rest = r.bundle.areas.slice(16).reduce((a, x) => a + x.bytes, 0);
    out.push(
      "  what each part costs (minified bytes in the bundle; gzip shrinks each part by roughly the same ratio):",
      formatTable(["part", "minified", "share"], [...top, { name: `(${r.bundle.areas.length - top.length} smaller parts)`, bytes: rest }].map((a) => [a.name, fmtKiB(a.bytes), `${((a.bytes / r.bundle.rawBytes) * 100).toFixed(1)} %`])),
    );
  }
  out.push("");

  out.push(summaryLine(r));
  return out.join("\n");
}

export function summaryLine(r: BenchResults): string {
  const parts = GATEWAYS.map((g) => {
    const p50 = r.latency[g].p50 - r.latency.direct.p50;
    const p99 = r.latency[g].p99 - r.latency.direct.p99;
    const ttfb = r.streamTtfb[g].p50 - r.streamTtfb.direct.p50;
    const tput = r.throughput[g].rps / r.throughput.direct.rps;
    const met = [p50 <= TARGETS.addedP50Ms, p99 <= TARGETS.addedP99Ms, ttfb <= TARGETS.addedTtfbMs, tput >= TARGETS.throughputRatio].filter(Boolean).length;
    return `${g} added p50 ${fmtSignedMs(p50)} / p99 ${fmtSignedMs(p99)} / TTFB ${fmtSignedMs(ttfb)} ms, ${fmtRatio(tput)} direct throughput (${met}/4 targets met)`;
  });
  const mem = r.memory
    .filter((m) => m.kind === "gateway")
    .map((m) => (m.ok ? `${m.runtime} memory ${memoryIsFlat(m) ? "flat" : "grows"} (${signedMiB(m.double.maxRss - m.long.maxRss)} at 2x length)` : `${m.runtime} memory n/a`));
  const bundle = `bundle ${fmtKiB(r.bundle.gzipBytes)} gz (${verdict(r.bundle.gzipBytes / 1024, TARGETS.bundleGzipKiB)})`;
  const relay = GATEWAYS.map((g) => {
    const v = vsRelay(r, g);
    const rss = v.rssAbove === null ? "RSS n/a" : `RSS after ${v.soakRequests} req ${signedMiB(v.rssAbove)} vs relay`;
    return `${g} vs bare relay: p50 ${fmtSignedMs(v.addedP50)} ms, CPU ${fmtRatio(v.cpuRatio)} (${ci95(v.cpu, "", ", ")}pooled ${fmtRatio(v.cpu.pooled)}), throughput ${fmtRatio(v.throughputRatio)} (pooled ${fmtRatio(v.throughput.pooled)}), ${rss}`;
  });
  const large = r.largeBody
    ? [`${fmtKiB(r.largeBody.bodyBytes)} request CPU vs relay: ${GATEWAYS.map((g) => {
        const v = largeVsRelay(r.largeBody!, g)!;
        return `${g} ${fmtRatio(v.ratio)} (${(r.largeBody!.throughput[g].cpuMsPerRequest.runtime ?? NaN).toFixed(2)} ms)`;
      }).join(", ")}`]
    : [];
  const access = r.access
    ? [
        `Access JWT CPU: a new token ${fmtSignedMs(accessAgainst(r.access, "fresh", "remembered").addedMs)} ms over a remembered one, ` +
          `a remembered one ${fmtRatio(accessAgainst(r.access, "remembered", "dev").ratio)} dev mode`,
      ]
    : [];
  const floor = r.relayTwin ? twinFloor(r.relayTwin) : null;
  const twin = floor ? [`workerd relay vs an identical relay: CPU ${fmtRatio(floor.cpuRatio)} (pooled ${fmtRatio(floor.cpu.pooled)})`] : [];
  const iso = r.isolate ? isolateFigures(r.isolate, r.throughput["workerd-relay"].cpuMsPerRequest.runtime) : null;
  const isolate = iso
    ? [`workerd gateway code in-isolate +${iso.added.toFixed(1)} us/request over the relay's${iso.implied === null ? "" : ` (implied CPU ratio ${fmtRatio(iso.implied)})`}`]
    : [];
  const kinds = r.keyKinds?.length
    ? [`kinds of key CPU vs no limits: ${r.keyKinds.slice(1).map((k) => `${k.label} ${fmtRatio(pairedFigures(k.throughput, r.keyKinds![0]!.throughput).cpuRatio)}`).join(", ")}`]
    : [];
  const e = r.estimate;
  const est =
    `estimate error median ${e.medianAbsPct.toFixed(0)} % / p90 ${e.p90AbsPct.toFixed(0)} % (input side ${e.inputMedianAbsPct.toFixed(0)} % / ${e.inputP90AbsPct.toFixed(0)} %, ` +
    `output reserved ${fmtRatio(e.outputRatio)} made; reserved ${fmtRatio(e.totalRatio)} billed; worst case ${fmtRatio(e.worstRatio)})`;
  return `SUMMARY: ${[...parts, ...relay, ...twin, ...isolate, ...large, ...access, ...kinds, est, ...mem, bundle].join("; ")}`;
}

const spread = (p: PairedRatio & { pooled: number }) =>
  p.pairs > 1 ? `${p.pairs} pairs ${p.min.toFixed(2)}-${p.max.toFixed(2)}x${ci95(p, ", ", "")} / ${fmtRatio(p.pooled)}` : "";

/** The paired median's 95 % confidence interval (stats.ts medianInterval) between `before` and `after`; "" without one. */
const ci95 = (p: PairedRatio, before: string, after: string) =>
  p.interval ? `${before}CI95 ${p.interval.low.toFixed(2)}-${p.interval.high.toFixed(2)}x${after}` : "";

/** A gateway's CPU per request on the large request against its relay's (median of paired slices); null for a relay. */
function largeVsRelay(lb: LargeBodyResult, p: LargeBodyPath) {
  if (p !== "workerd" && p !== "deno") return null;
  const f = pairedFigures(lb.throughput[p], lb.throughput[RELAY_OF[p] as LargeBodyPath]);
  return { ratio: f.cpuRatio, cpu: f.cpu };
}

/** One Access kind's CPU per request against another's: the paired ratio, and the ms it adds at that ratio. */
function accessAgainst(a: AccessResult, k: AccessKind, base: AccessKind) {
  const f = pairedFigures(a.throughput[k], a.throughput[base]);
  return { base, ratio: f.cpuRatio, cpu: f.cpu, addedMs: (f.cpuRatio - 1) * (a.throughput[base].cpuMsPerRequest.runtime ?? NaN) };
}

/**
 * The in-isolate loops: mean CPU per request of each (every loop has the same length), the gateway's code as the
 * difference, its spread over loops taken side by side, and what section 2's relay CPU becomes with that code added.
 */
export function isolateFigures(i: IsolateResult, relayMs: number | null) {
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  // The bench's one percentile rule (nearest rank, bench/stats.ts), as every other figure of the report.
  const at = (xs: number[], q: number) => (xs.length ? percentile([...xs].sort((a, b) => a - b), q * 100) : NaN);
  const gateway = mean(i.gatewayUs);
  const relay = mean(i.relayUs);
  const added = gateway - relay;
  const diffs = i.gatewayUs.map((g, k) => g - (i.relayUs[k] ?? NaN)).filter(Number.isFinite);
  const implied = relayMs !== null && relayMs > 0 ? (relayMs * 1000 + added) / (relayMs * 1000) : null;
  return { gateway, relay, added, gatewayMedian: at(i.gatewayUs, 0.5), relayMedian: at(i.relayUs, 0.5), addedP25: at(diffs, 0.25), addedP75: at(diffs, 0.75), relayMs, implied };
}

/** The twin relay against the relay, read as the gateway is read against it (paired slices, and pooled). */
function twinFloor(t: { relay: ThroughputResult; twin: ThroughputResult }) {
  return pairedFigures(t.twin, t.relay);
}

/** CPU per request and throughput of `a` against `b`, slice by slice (median of the pairs) and pooled. */
function pairedFigures(a: ThroughputResult, b: ThroughputResult) {
  const cpu = {
    ...pairedRatio(a.slices.map((s) => s.runtimeCpuMs), b.slices.map((s) => s.runtimeCpuMs)),
    pooled: (a.cpuMsPerRequest.runtime ?? NaN) / (b.cpuMsPerRequest.runtime ?? NaN),
  };
  const throughput = { ...pairedRatio(a.slices.map((s) => s.rps), b.slices.map((s) => s.rps)), pooled: a.rps / b.rps };
  // Without slices (a single-slice run) the pooled ratio is all there is.
  return { cpu, throughput, cpuRatio: cpu.pairs > 1 ? cpu.median : cpu.pooled, throughputRatio: throughput.pairs > 1 ? throughput.median : throughput.pooled };
}

/** The issue-9 ratios: the gateway against the bare relay of the same runtime. */
function vsRelay(r: BenchResults, g: GatewayName) {
  const relay = RELAY_OF[g];
  const gs = r.soaks.find((s) => s.label === g);
  const rs = r.soaks.find((s) => s.label === relay);
  return {
    addedP50: r.latency[g].p50 - r.latency[relay].p50,
    ...pairedFigures(r.throughput[g], r.throughput[relay]),
    rssAbove: gs?.ok && rs?.ok ? gs.rssAfter! - rs.rssAfter! : null,
    soakRequests: gs?.requests ?? null,
  };
}
