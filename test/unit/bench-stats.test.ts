import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { added, formatTable, medianInterval, pairedRatio, percentile, summarize, throughput, verdict } from "../../bench/stats.ts";
import { seededRandom } from "../support/fixtures.ts";
import { memoryIsFlat, renderReport, summaryLine, type BenchResults } from "../../bench/report.ts";

describe("percentile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it("picks the sample at rank ceil(p/100 · n)", () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it("with few samples, p99 is the maximum", () => {
    expect(percentile([1, 2, 3, 1000], 99)).toBe(1000);
    expect(percentile([7], 99)).toBe(7);
  });

  it("refuses no samples and out-of-range percentiles", () => {
    expect(() => percentile([], 50)).toThrow(/no samples/);
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
    expect(() => percentile([1], -1)).toThrow(/0\.\.100/);
    expect(() => percentile([1], Number.NaN)).toThrow(/0\.\.100/);
  });

  it("always returns an observed sample, monotone in p", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (xs, p, q) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const v = percentile(sorted, p);
        expect(sorted).toContain(v);
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        expect(percentile(sorted, lo)).toBeLessThanOrEqual(percentile(sorted, hi));
      }),
    );
  });
});

describe("summarize", () => {
  it("sorts a copy and reports count, extremes, mean and percentiles", () => {
    const input = [5, 1, 4, 2, 3];
    const s = summarize(input);
    expect(s).toEqual({ count: 5, min: 1, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(input).toEqual([5, 1, 4, 2, 3]); // not sorted in place
  });

  it("one slow outlier moves p99 and the mean but not p50", () => {
    const samples = [...Array.from({ length: 99 }, () => 1), 101];
    const s = summarize(samples);
    expect(s.p50).toBe(1);
    expect(s.p99).toBe(1);
    expect(s.max).toBe(101);
    expect(s.mean).toBeCloseTo(2, 10);
    const s2 = summarize([...samples, 101]); // 2 outliers in 101 samples: rank 100 is an outlier
    expect(s2.p99).toBe(101);
  });

  it("refuses an empty sample set", () => {
    expect(() => summarize([])).toThrow();
  });
});

describe("added latency, verdicts and throughput", () => {
  it("added is gateway minus direct, ratio gateway over direct", () => {
    expect(added(1.5, 1)).toEqual({ ms: 0.5, ratio: 1.5 });
    expect(added(0.8, 1).ms).toBeCloseTo(-0.2, 10);
    expect(added(1, 0).ratio).toBe(Infinity);
  });

  it("a figure equal to its target meets it; anything above is over", () => {
    expect(verdict(0.5, 0.5)).toBe("target met");
    expect(verdict(0.5001, 0.5)).toBe("over target");
    expect(verdict(-3, 2)).toBe("target met");
  });

  it("throughput is requests per second", () => {
    expect(throughput(4000, 2000)).toBe(2000);
    expect(throughput(1, 0.5)).toBe(2000);
    expect(() => throughput(10, 0)).toThrow();
  });
});

describe("pairedRatio", () => {
  it("is the median of the per-pair ratios, the mean of the middle two for an even count", () => {
    expect(pairedRatio([2, 3, 10], [1, 1, 1])).toEqual({ median: 3, min: 2, max: 10, pairs: 3, interval: null });
    expect(pairedRatio([1.2, 1.4, 1.0, 5], [1, 1, 1, 1]).median).toBeCloseTo(1.3, 12);
  });

  it("leaves out pairs with a missing or non-positive side, and has no median without pairs", () => {
    expect(pairedRatio([1, null, 3, 4], [1, 2, 0, 2])).toEqual({ median: 1.5, min: 1, max: 2, pairs: 2, interval: null });
    expect(pairedRatio([null], [1]).pairs).toBe(0);
    expect(Number.isNaN(pairedRatio([], []).median)).toBe(true);
  });

  it("lies between the smallest and largest pair ratio, and one outlier pair cannot move it past the others", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true })), { minLength: 3, maxLength: 20 }), (pairs) => {
        const r = pairedRatio(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        expect(r.pairs).toBe(pairs.length);
        expect(r.median).toBeGreaterThanOrEqual(r.min);
        expect(r.median).toBeLessThanOrEqual(r.max);
        const spoiled = pairedRatio([...pairs.map((p) => p[0]), 1e6], [...pairs.map((p) => p[1]), 1]);
        const sorted = pairs.map((p) => p[0] / p[1]).sort((a, b) => a - b);
        expect(spoiled.median).toBeLessThanOrEqual(sorted[sorted.length - 1]! + 1e-9);
      }),
    );
  });
});

describe("medianInterval", () => {
  it("is the 4th smallest and 4th largest of 16 samples (coverage 97.9 %), the extremes of 6, and nothing below 6", () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => i + 1);
    const i16 = medianInterval(sixteen)!;
    expect([i16.low, i16.high]).toEqual([4, 13]);
    expect(i16.coverage).toBeCloseTo(1 - 2 * (1 + 16 + 120 + 560) / 65536, 12);
    expect(medianInterval([1, 2, 3, 4, 5, 6])).toEqual({ low: 1, high: 6, coverage: 1 - 2 / 64 });
    expect(medianInterval([1, 2, 3, 4, 5])).toBeNull();
    expect(pairedRatio(sixteen, sixteen.map(() => 1)).interval).toEqual(i16);
  });

  it("covers the true median at least as often as it says, whatever the spread (a skewed one here)", () => {
    const next = seededRandom(9);
    // Ratios as a noisy machine makes them: 1.25 times a log-normal factor whose median is 1, so the median is 1.25.
    const sample = () => 1.25 * Math.exp(0.15 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 16 }, sample).sort((a, b) => a - b);
      const i = medianInterval(xs)!;
      if (i.low <= 1.25 && 1.25 <= i.high) covered++;
    }
    // 97.9 % expected, with a standard error of 0.3 % over 2,000 trials. The ranks next to the right ones would cover
    // 92.3 % (5th) or 99.6 % (3rd): both fall outside these bounds.
    expect(covered / trials).toBeGreaterThan(0.96);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe("formatTable", () => {
  it("left-aligns the label column, right-aligns figures, rules under the header", () => {
    const t = formatTable(["path", "p50"], [["direct", "0.5"], ["workerd", "12.25"]]);
    expect(t.split("\n")).toEqual(["path       p50", "-------  -----", "direct     0.5", "workerd  12.25"]);
  });

  it("pads short rows and every line of a column has the same width", () => {
    const lines = formatTable(["a", "bb", "c"], [["x"], ["longer", "1", "22"]]).split("\n");
    expect(lines[2]).toBe("x");
    expect(lines[3]).toBe("longer   1  22");
    expect(lines[1]).toBe("------  --  --");
  });
});

describe("report verdicts", () => {
  const s = (p50: number, p99 = p50) => ({ count: 10, min: p50, mean: p50, p50, p90: p99, p99, max: p99 });
  const results = (gatewayP50: number): BenchResults => ({
    header: [],
    latency: { direct: s(1, 2), "workerd-relay": s(1.25, 2.5), workerd: s(gatewayP50, 3), "deno-relay": s(1.1, 2.2), deno: s(1.2, 2.5) },
    streamTtfb: { direct: s(0.5), "workerd-relay": s(1), workerd: s(2), "deno-relay": s(0.75), deno: s(1) },
    streamTotal: { direct: s(1), "workerd-relay": s(2), workerd: s(3), "deno-relay": s(1.5), deno: s(2) },
    floor: s(0.1),
    health: { workerd: s(0.4), deno: s(0.2) },
    models: { workerd: s(0.5), deno: s(0.3) },
    throughput: {
      direct: { completed: 100, elapsedMs: 100, rps: 1000, latency: s(10), cpuMsPerRequest: { node: 0.5, runtime: null }, slices: [{ rps: 1000, runtimeCpuMs: null }] },
      "workerd-relay": { completed: 100, elapsedMs: 150, rps: 667, latency: s(15), cpuMsPerRequest: { node: 0.5, runtime: 0.25 }, slices: [{ rps: 667, runtimeCpuMs: 0.25 }] },
      workerd: { completed: 100, elapsedMs: 200, rps: 500, latency: s(20), cpuMsPerRequest: { node: 0.5, runtime: 1 }, slices: [{ rps: 500, runtimeCpuMs: 1 }] },
      "deno-relay": { completed: 100, elapsedMs: 105, rps: 950, latency: s(10.5), cpuMsPerRequest: { node: 0.5, runtime: 0.125 }, slices: [{ rps: 950, runtimeCpuMs: 0.125 }] },
      deno: { completed: 100, elapsedMs: 110, rps: 900, latency: s(11), cpuMsPerRequest: { node: 0.5, runtime: 0.5 }, slices: [{ rps: 900, runtimeCpuMs: 0.5 }] },
    },
    healthThroughput: {
      workerd: { completed: 100, elapsedMs: 50, rps: 2000, latency: s(5), cpuMsPerRequest: { node: 0.1, runtime: 0.3 }, slices: [{ rps: 2000, runtimeCpuMs: 0.3 }] },
      deno: { completed: 100, elapsedMs: 25, rps: 4000, latency: s(3), cpuMsPerRequest: { node: 0.1, runtime: 0.1 }, slices: [{ rps: 4000, runtimeCpuMs: 0.1 }] },
    },
    memory: [{ label: "workerd gateway", runtime: "workerd", kind: "gateway", ok: false, reason: "no /proc" }],
    soaks: [
      { label: "workerd-relay", requests: 1000, ok: true, rssBefore: 50 * MiB, rssAfter: 60 * MiB },
      { label: "workerd", requests: 1000, ok: true, rssBefore: 55 * MiB, rssAfter: 85 * MiB },
      { label: "deno-relay", requests: 1000, ok: false, reason: "process not identified" },
      { label: "deno", requests: 1000, ok: true, rssBefore: 100 * MiB, rssAfter: 101 * MiB },
    ],
    estimate: { requests: 24, medianAbsPct: 12.5, p90AbsPct: 40, meanSignedPct: 8, underPct: 25, totalRatio: 1.1, worstRatio: 35, inputMedianAbsPct: 6, inputP90AbsPct: 14, outputRatio: 2.5 },
    keyKinds: [
      { label: "no limits", latency: summarize([2, 2, 2]), throughput: { completed: 100, elapsedMs: 250, rps: 400, latency: s(50), cpuMsPerRequest: { node: 0.5, runtime: 0.9 }, slices: [] } },
      { label: "max_parallel_requests (leased)", latency: summarize([3.5, 3.5, 3.5]), throughput: { completed: 100, elapsedMs: 500, rps: 200, latency: s(100), cpuMsPerRequest: { node: 0.5, runtime: 1.4 }, slices: [] } },
    ],
    largeBody: {
      bodyBytes: 480 * 1024,
      upstreamBytes: 470 * 1024,
      concurrency: 16,
      throughput: {
        "workerd-relay": { completed: 80, elapsedMs: 500, rps: 160, latency: s(90), cpuMsPerRequest: { node: 2, runtime: 1.5 }, slices: [{ rps: 160, runtimeCpuMs: 1 }, { rps: 160, runtimeCpuMs: 2 }] },
        workerd: { completed: 80, elapsedMs: 600, rps: 133, latency: s(110), cpuMsPerRequest: { node: 2, runtime: 4.5 }, slices: [{ rps: 133, runtimeCpuMs: 2 }, { rps: 133, runtimeCpuMs: 7 }] },
        "deno-relay": { completed: 80, elapsedMs: 500, rps: 160, latency: s(90), cpuMsPerRequest: { node: 2, runtime: 1 }, slices: [{ rps: 160, runtimeCpuMs: 1 }] },
        deno: { completed: 80, elapsedMs: 550, rps: 145, latency: s(100), cpuMsPerRequest: { node: 2, runtime: 3 }, slices: [{ rps: 145, runtimeCpuMs: 3 }] },
      },
    },
    bundle: { rawBytes: 300 * 1024, gzipBytes: 100 * 1024 },
  });
  const MiB = 1048576;

  it("the summary gives the gateway-vs-relay ratios and the estimate error", () => {
    const line = summaryLine(results(1.4));
    // workerd: 1.4 - 1.25 = +0.15 ms, runtime CPU 1 / 0.25 = 4x, 500 / 667 req/s, RSS 85 - 60 MiB.
    expect(line).toContain("workerd vs bare relay: p50 +0.150 ms, CPU 4.00x (pooled 4.00x), throughput 0.75x (pooled 0.75x), RSS after 1000 req +25.0 MiB vs relay");
    expect(line).toContain("deno vs bare relay: p50 +0.100 ms, CPU 4.00x (pooled 4.00x), throughput 0.95x (pooled 0.95x), RSS n/a");
    expect(line).toContain("estimate error median 13 % / p90 40 % (input side 6 % / 14 %, output reserved 2.50x made; reserved 1.10x billed; worst case 35.00x)");
    const text = renderReport(results(1.4));
    expect(text).toMatch(/workerd\s+RSS after 1000 requests vs relay\s+\+25\.0 MiB\s+<= 20 MiB\s+over target/);
    expect(text).toMatch(/deno\s+added latency p50\s+\+0\.100 ms\s+<= 0\.2 ms\s+target met/);
  });

  it("with 16 pairs, the CPU ratio carries the 95 % interval of its median: the 4th smallest and 4th largest pair", () => {
    const base = results(1.4);
    // The gateway's slices cost 1.01x … 1.08x and 1.10x … 1.17x the relay's (median 1.09x); the relay's stay at 0.5 ms.
    const ratios = Array.from({ length: 16 }, (_, i) => 1.01 + (i < 8 ? i : i + 1) / 100);
    const r: BenchResults = {
      ...base,
      throughput: {
        ...base.throughput,
        "workerd-relay": { ...base.throughput["workerd-relay"], slices: ratios.map(() => ({ rps: 1000, runtimeCpuMs: 0.5 })) },
        workerd: { ...base.throughput.workerd, slices: ratios.map((x) => ({ rps: 1000, runtimeCpuMs: 0.5 * x })) },
      },
    };
    expect(summaryLine(r)).toMatch(/workerd vs bare relay: p50 \+0\.150 ms, CPU 1\.09x \(CI95 1\.04-1\.14x, pooled \d\.\d\dx\)/);
    expect(renderReport(r)).toMatch(/workerd\s+CPU per request \(runtime process\)\s+1\.09x\s+<= 1\.3x\s+target met\s+16 pairs 1\.01-1\.17x, CI95 1\.04-1\.14x \//);
  });

  it("the CPU and throughput ratios against the relay are the median of paired slices, with the pooled ratio beside them", () => {
    const base = results(1.4);
    const slices = (pairs: Array<[number, number]>) => pairs.map(([rps, cpu]) => ({ rps, runtimeCpuMs: cpu }));
    // Four pairs: three near 1.2x CPU, one where a burst hit the gateway's slice (2.4x). Pooled, the burst drags the
    // ratio up; the median of the pairs stays with the three.
    const r: BenchResults = {
      ...base,
      throughput: {
        ...base.throughput,
        "workerd-relay": { ...base.throughput["workerd-relay"], rps: 1000, cpuMsPerRequest: { node: 0.5, runtime: 0.5 }, slices: slices([[1000, 0.5], [1000, 0.5], [1000, 0.5], [1000, 0.5]]) },
        workerd: { ...base.throughput.workerd, rps: 800, cpuMsPerRequest: { node: 0.5, runtime: 0.75 }, slices: slices([[900, 0.6], [900, 0.6], [500, 1.2], [900, 0.6]]) },
      },
    };
    const line = summaryLine(r);
    expect(line).toContain("workerd vs bare relay: p50 +0.150 ms, CPU 1.20x (pooled 1.50x), throughput 0.90x (pooled 0.80x)");
    const text = renderReport(r);
    expect(text).toMatch(/workerd\s+CPU per request \(runtime process\)\s+1\.20x\s+<= 1\.3x\s+target met\s+4 pairs 1\.20-2\.40x \/ 1\.50x/);
    expect(text).toMatch(/workerd\s+throughput at 64 clients\s+0\.90x\s+>= 0\.8x\s+target met\s+4 pairs 0\.50-0\.90x \/ 0\.80x/);
  });

  it("the twin relay's ratio against the relay is printed as the noise floor, read the way the gateway is read", () => {
    const base = results(1.4);
    const t = (slices: Array<[number, number]>, cpu: number, rps: number) => ({ completed: 300, elapsedMs: 300, rps, latency: s(10), cpuMsPerRequest: { node: 0.5, runtime: cpu }, slices: slices.map(([r, c]) => ({ rps: r, runtimeCpuMs: c })) });
    // Pairs 0.52/0.5, 0.48/0.5, 0.5/0.5 → median 1.00x; pooled 0.51 / 0.5 = 1.02x; throughput 1010 / 1000 ...
    const r: BenchResults = {
      ...base,
      relayTwin: { relay: t([[1000, 0.5], [1000, 0.5], [1000, 0.5]], 0.5, 1000), twin: t([[950, 0.52], [1050, 0.48], [1100, 0.5]], 0.51, 1010) },
    };
    expect(summaryLine(r)).toContain("workerd relay vs an identical relay: CPU 1.00x (pooled 1.02x)");
    const text = renderReport(r);
    expect(text).toContain("Noise floor: a second, identical workerd relay against the first reads CPU 1.00x (3 pairs 0.96-1.04x / 1.02x), throughput");
    expect(text).toContain("1.05x (3 pairs 0.95-1.10x / 1.01x)");
    // Without a twin run nothing is claimed.
    expect(summaryLine(base)).not.toContain("identical relay");
    expect(renderReport(base)).not.toContain("Noise floor");
  });

  it("the in-isolate loops give the gateway's code as gateway minus relay, and the relay's CPU ratio with that code added", () => {
    const base = results(1.4);
    // Gateway loops average 200 us, relay loops 50 us: the code adds 150 us. Section 2's relay used 0.25 ms per
    // request, so with the code added: (250 + 150) / 250 = 1.6x.
    const r: BenchResults = { ...base, isolate: { n: 250, rounds: 4, gatewayUs: [190, 210, 180, 220], relayUs: [40, 60, 45, 55] } };
    expect(summaryLine(r)).toContain("workerd gateway code in-isolate +150.0 us/request over the relay's (implied CPU ratio 1.60x)");
    const text = renderReport(r);
    // Medians and quartiles by nearest rank, as every figure of the bench: of four loops, the 2nd (and 1st, 3rd).
    expect(text).toMatch(/the Worker \(gateway\)\s+200\.0\s+190\.0\s+4/);
    expect(text).toMatch(/the bare relay's forwarding\s+50\.0\s+45\.0\s+4/);
    // Loop by loop: 150, 150, 135, 165 → the middle half from 135 to 150.
    expect(text).toContain("the gateway's code: +150.0 us per request over the relay's (loop by loop, middle half 135.0 to 150.0 us)");
    expect(text).toContain("section 2's workerd relay used 0.250 ms per request; with the gateway's code added, 1.60x.");
    // Without the phase nothing is claimed.
    expect(summaryLine(base)).not.toContain("in-isolate");
    expect(renderReport(base)).not.toContain("inside workerd");
  });

  it("the summary counts met targets per gateway", () => {
    // workerd: p50 +0.4 met, p99 +1 met, TTFB +1.5 over, throughput 0.5x over → 2/4.
    expect(summaryLine(results(1.4))).toContain("workerd added p50 +0.400 / p99 +1.000 / TTFB +1.500 ms, 0.50x direct throughput (2/4 targets met)");
    // p50 +0.6 is over → 1/4.
    expect(summaryLine(results(1.6))).toContain("(1/4 targets met)");
    // deno: +0.2, +0.5, +0.5, 0.9x → 4/4.
    expect(summaryLine(results(1.4))).toContain("deno added p50 +0.200 / p99 +0.500 / TTFB +0.500 ms, 0.90x direct throughput (4/4 targets met)");
    expect(summaryLine(results(1.4))).toContain("workerd memory n/a");
    expect(summaryLine(results(1.4))).toContain("bundle 100.0 KiB gz (target met)");
  });

  it("the large request's CPU is set against its own runtime's relay, pair by pair where there are pairs", () => {
    // workerd: pairs 2/1 and 7/2 → median of (2, 3.5) = 2.75x, pooled 4.5 / 1.5 = 3x; deno: one slice, 3 / 1.
    expect(summaryLine(results(1.4))).toContain("480.0 KiB request CPU vs relay: workerd 2.75x (4.50 ms), deno 3.00x (3.00 ms)");
    const text = renderReport(results(1.4));
    expect(text).toMatch(/workerd gateway\s+80\s+133\s+110\.000\s+4\.500\s+2\.75x\s+2 pairs 2\.00-3\.50x \/ 3\.00x/);
    expect(text).toMatch(/deno bare relay\s+80\s+160\s+90\.000\s+1\.000\n/);
    expect(text).toContain("The relays forward the 470.0 KiB Bedrock body");
  });

  it("each leased kind of key's CPU is read against the key without limits, pair by pair, in section 10 and the summary", () => {
    const base = results(1.4);
    const tp = (cpu: number[]) => ({ completed: 100, elapsedMs: 250, rps: 400, latency: s(50), cpuMsPerRequest: { node: 0.5, runtime: cpu.reduce((a, b) => a + b) / cpu.length }, slices: cpu.map((c) => ({ rps: 400, runtimeCpuMs: c })) });
    // Pairs 1.0/1.0, 1.2/1.0 and 3.0/1.0 (a burst in one slice): median 1.2x, pooled 1.73x.
    const r: BenchResults = {
      ...base,
      keyKinds: [
        { label: "no limits", latency: summarize([2]), throughput: tp([1, 1, 1]) },
        { label: "budget + rpm + tpm (leased)", latency: summarize([2]), throughput: tp([1, 1.2, 3]) },
      ],
    };
    expect(summaryLine(r)).toContain("kinds of key CPU vs no limits: budget + rpm + tpm (leased) 1.20x");
    expect(renderReport(r)).toMatch(/budget \+ rpm \+ tpm \(leased\)\s+2\.000\s+2\.000\s+\+0\.000\s+400\s+1\.00x\s+1\.733\s+1\.20x\s+3 pairs 1\.00-3\.00x \/ 1\.73x/);
    expect(summaryLine({ ...base, keyKinds: undefined })).not.toContain("kinds of key");
  });

  it("the Access phase reads a new token against a remembered one, and the Access gateway against dev mode, pair by pair", () => {
    const base = results(1.4);
    const t = (slices: number[], cpu: number) => ({ completed: 200, elapsedMs: 400, rps: 500, latency: s(20), cpuMsPerRequest: { node: 0.5, runtime: cpu }, slices: slices.map((c) => ({ rps: 500, runtimeCpuMs: c })) });
    // remembered against dev (1.0, 1.0): pairs 1.02 and 1.04 → median 1.03x. fresh against remembered (1.02, 1.04):
    // pairs 1.122/1.02 = 1.1 and 1.1648/1.04 = 1.12 → median 1.11x, +0.11 × 1.03 = +0.113 ms.
    const r: BenchResults = { ...base, access: { concurrency: 64, throughput: { dev: t([1, 1], 1), remembered: t([1.02, 1.04], 1.03), fresh: t([1.122, 1.1648], 1.14) } } };
    expect(summaryLine(r)).toContain("Access JWT CPU: a new token +0.113 ms over a remembered one, a remembered one 1.03x dev mode");
    const text = renderReport(r);
    expect(text).toContain("12. Cloudflare Access in the path");
    expect(text).toMatch(/Access, a new token per request\s+200\s+500\s+20\.000\s+1\.140\s+remembered\s+1\.11x\s+\+0\.113\s+2 pairs 1\.10-1\.12x \/ 1\.11x/);
    expect(text).toMatch(/Access, one token \(remembered\)\s+200\s+500\s+20\.000\s+1\.030\s+dev mode\s+1\.03x\s+\+0\.030/);
    expect(text).toMatch(/dev mode, no Access \(new process\)\s+200\s+500\s+20\.000\s+1\.000\n/);
    // Without the phase nothing is claimed.
    expect(summaryLine(base)).not.toContain("Access JWT");
    expect(renderReport(base)).not.toContain("12. Cloudflare Access");
  });

  it("the full report renders every section with the figures it was given", () => {
    const text = renderReport(results(1.4));
    for (const heading of ["1. Latency", "2. Throughput", "3. Streaming", "4. Runtime overhead", "5. Gateway added", "6. Where", "7. Memory", "8. The gateway against", "9. The meter's estimate", "10. Kinds of key", "11. A Claude-Code-sized request", "14. Worker bundle", "SUMMARY:"]) {
      expect(text).toContain(heading);
    }
    // Each kind of key against the key without limits: +1.5 ms at p50, half the throughput.
    expect(text).toMatch(/max_parallel_requests \(leased\)\s+3\.500\s+3\.500\s+\+1\.500\s+200\s+0\.50x/);
    // …and the workerd process's CPU per request for each kind.
    expect(text).toMatch(/max_parallel_requests \(leased\).*0\.50x\s+1\.400/);
    // workerd throughput is half of direct; its CPU per request totals node 0.5 + runtime 1.
    expect(text).toMatch(/workerd gateway POST\s+100\s+0\.20\s+500\s+0\.50x.*0\.500\s+1\.000\s+1\.500/);
    // Relay split: p50 gateway 1.4 = direct 1 + relay 0.25 + gateway code 0.15; CPU 1.5 = 0.5 + 0.25 + 0.75.
    expect(text).toMatch(/workerd\s+latency p50\s+\+0\.400 ms\s+\+0\.250 ms\s+\+0\.150 ms/);
    expect(text).toMatch(/workerd\s+CPU per request\s+\+1\.000 ms\s+\+0\.250 ms\s+\+0\.750 ms/);
    expect(text).toMatch(/workerd\s+TTFB p50\s+\+1\.500 ms\s+4\.00x\s+<= 1 ms\s+over target/);
    expect(text).toContain("workerd gateway: not measured: no /proc");
  });

  it("the memory section judges the gateway on its last doubling and quotes its relay", () => {
    const MiB = 1048576;
    const step = (words: number, rss: number) => ({ words, bytes: words * 45, maxRss: rss * MiB, seconds: 1 });
    const mem = (kind: "gateway" | "relay", doubleRss: number) => ({
      label: `workerd ${kind}`,
      runtime: "workerd" as const,
      kind,
      ok: true as const,
      pid: 7,
      short: step(1000, 100),
      settle: step(100_000, 150),
      long: step(200_000, 200),
      double: step(400_000, doubleRss),
      rssAfter: doubleRss * MiB,
    });
    const text = renderReport({ ...results(1.4), memory: [mem("gateway", 260), mem("relay", 255)] });
    expect(text).toMatch(/workerd gateway\s+400,000 words\s+17\.2 MiB\s+260\.0 MiB\s+\+60\.0 MiB/);
    expect(text).toContain("workerd gateway: grows with response length, +60.0 MiB peak RSS from 200,000 words to 400,000 words (over target); its bare relay (identity TransformStream): +55.0 MiB");
    expect(summaryLine({ ...results(1.4), memory: [mem("gateway", 201)] })).toContain("workerd memory flat (+1.0 MiB at 2x length)");
  });

  it("memory is flat when doubling the length adds less peak RSS than the extra bytes", () => {
    const MiB = 1048576;
    const m = (longRss: number, doubleRss: number) => ({
      label: "workerd gateway",
      runtime: "workerd" as const,
      kind: "gateway" as const,
      ok: true as const,
      pid: 1,
      short: { words: 1000, bytes: 40_000, maxRss: 80 * MiB, seconds: 0.1 },
      settle: { words: 100_000, bytes: 4 * MiB, maxRss: 120 * MiB, seconds: 1 },
      long: { words: 200_000, bytes: 8 * MiB, maxRss: longRss * MiB, seconds: 2 },
      double: { words: 400_000, bytes: 16 * MiB, maxRss: doubleRss * MiB, seconds: 4 },
      rssAfter: 0,
    });
    // The jumps from the short baseline through the settling streams (80 → 120 → 170) are not judged.
    expect(memoryIsFlat(m(170, 172))).toBe(true);
    expect(memoryIsFlat(m(170, 165))).toBe(true);
    expect(memoryIsFlat(m(170, 177.99))).toBe(true);
    expect(memoryIsFlat(m(170, 178))).toBe(false); // +8 MiB for 8 MiB more response
    expect(memoryIsFlat(m(200, 273))).toBe(false);
  });
});


describe("bundle areas", () => {
  it("groups a bundle's inputs by package or by worker/ area", async () => {
    const { areaOf } = await import("../../bench/bundle.ts");
    expect(areaOf("node_modules/@neondatabase/serverless/index.mjs")).toBe("@neondatabase/serverless");
    expect(areaOf("node_modules/hono/dist/hono.js")).toBe("hono");
    expect(areaOf("node_modules/.pnpm/x/node_modules/zod/v4/core.js")).toBe("zod");
    expect(areaOf("worker/protocols/converse/from-anthropic.ts")).toBe("worker/protocols");
    expect(areaOf("worker/app.ts")).toBe("worker/app.ts");
  });
});
