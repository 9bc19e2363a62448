// The benchmark's arithmetic, kept pure so it can be unit-tested: percentiles, summaries, "added latency" against
// the direct path, verdicts against DESIGN §8 targets, and plain-text table layout.

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile (the value at rank ceil(p/100 · n) of the sorted samples). Always an observed sample,
 * never an interpolation between two, so a p99 is a latency some request really had.
 * `sorted` must be ascending; p is in [0, 100].
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summary of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

export interface Added {
  /** gateway − direct, in ms (negative when the gateway happened to be faster). */
  ms: number;
  /** gateway ÷ direct (Infinity when direct is 0). */
  ratio: number;
}

export function added(gateway: number, direct: number): Added {
  return { ms: gateway - direct, ratio: direct === 0 ? Infinity : gateway / direct };
}

export type Verdict = "target met" | "over target";

/** A budget is met when the measured figure is at most the target (equal counts as met). */
export function verdict(value: number, target: number): Verdict {
  return value <= target ? "target met" : "over target";
}

export interface PairedRatio {
  /** Median of the per-pair ratios (the mean of the middle two for an even count). */
  median: number;
  min: number;
  max: number;
  pairs: number;
  /**
   * Where the median of such ratios lies with at least 95 % confidence, from the pairs alone (medianInterval); null
   * with too few pairs to say (fewer than 6).
   */
  interval: MedianInterval | null;
}

export interface MedianInterval {
  low: number;
  high: number;
  /** The interval's exact coverage (at least the confidence asked for). */
  coverage: number;
}

/**
 * A distribution-free confidence interval for the median of the population the sorted samples came from: the k-th
 * smallest and the k-th largest sample, with k the largest rank for which the median falls outside [x(k), x(n+1−k)]
 * with probability at most 1 − confidence (each sample is below the median with probability ½, so the count below it
 * is binomial(n, ½)). It assumes nothing about the ratios' spread, which on a shared machine is anything but normal.
 * Null when n is too small for any such interval.
 */
export function medianInterval(sorted: readonly number[], confidence = 0.95): MedianInterval | null {
  const n = sorted.length;
  // The interval [x(k), x(n+1−k)] misses the median with probability 2·P(X ≤ k−1), X ~ binomial(n, ½).
  let p = 0.5 ** n; // P(X = j), from j = 0
  let below = 0; // P(X ≤ j)
  let missed = 0; // P(X ≤ k − 1) of the widest k found so far
  let k = 0;
  for (let j = 0; j < n; j++) {
    below += p;
    if (2 * below > 1 - confidence) break;
    k = j + 1;
    missed = below;
    p = (p * (n - j)) / (j + 1);
  }
  if (k === 0) return null;
  return { low: sorted[k - 1] as number, high: sorted[n - k] as number, coverage: 1 - 2 * missed };
}

/**
 * The ratio num[i] / den[i] of each pair of measurements taken back to back, summarised by its median. On a shared
 * machine a neighbour's burst makes one slice tens of percent slower: pooled over the run it moves the ratio by as
 * much, while the median of paired ratios (each pair saw nearly the same machine) moves only if most pairs were hit.
 * Pairs with a missing or non-positive side are left out.
 */
export function pairedRatio(num: readonly (number | null)[], den: readonly (number | null)[]): PairedRatio {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(num.length, den.length); i++) {
    const a = num[i];
    const b = den[i];
    if (a === null || a === undefined || b === null || b === undefined || !(a > 0) || !(b > 0)) continue;
    ratios.push(a / b);
  }
  if (ratios.length === 0) return { median: NaN, min: NaN, max: NaN, pairs: 0, interval: null };
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 === 1 ? (ratios[mid] as number) : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
  return { median, min: ratios[0] as number, max: ratios[ratios.length - 1] as number, pairs: ratios.length, interval: medianInterval(ratios) };
}

/** Requests per second for `count` requests completed in `elapsedMs`. */
export function throughput(count: number, elapsedMs: number): number {
  if (elapsedMs <= 0) throw new Error("elapsed time must be positive");
  return (count * 1000) / elapsedMs;
}

export function fmtMs(ms: number): string {
  return ms.toFixed(3);
}

export function fmtSignedMs(ms: number): string {
  return `${ms >= 0 ? "+" : ""}${ms.toFixed(3)}`;
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : "n/a";
}

export function fmtKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function fmtMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * Lays out rows as aligned plain-text columns: the first column left-aligned (row labels), every other column
 * right-aligned (figures line up on their last digit), with a dashed rule under the header.
 */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const columns = Math.max(header.length, ...rows.map((r) => r.length));
  const cell = (row: readonly string[], i: number) => row[i] ?? "";
  const widths = Array.from({ length: columns }, (_, i) => Math.max(cell(header, i).length, ...rows.map((r) => cell(r, i).length)));
  const line = (row: readonly string[]) =>
    widths
      .map((w, i) => (i === 0 ? cell(row, i).padEnd(w) : cell(row, i).padStart(w)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
