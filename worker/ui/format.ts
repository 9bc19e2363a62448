// How the dashboard writes numbers and dates. Money is rounded to the cent as /spend/report's totals would be
// rounded by anyone reading them; per-request costs, which are often fractions of a cent, get more digits.

/**
 * Dollars to the cent; amounts under a cent (a few small requests) get two significant digits instead of showing
 * as $0.00. `digits` forces a fixed number of decimals.
 */
export function usd(n: number, digits?: number): string {
  const abs = Math.abs(n);
  const d = digits ?? (abs === 0 || abs >= 0.01 ? 2 : Math.min(8, 1 - Math.floor(Math.log10(abs))));
  return `$${roundHalfUp(n, d).toFixed(d)}`;
}

/**
 * Half-up rounding of the decimal the number stands for: 1.005 is stored as 1.00499999…, which toFixed(2) makes
 * $1.00 where a person reading the report's 1.005 expects $1.01.
 */
function roundHalfUp(n: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(Number((n * scale).toFixed(6))) / scale;
}

export function requestCost(n: number): string {
  return usd(n, 6);
}

export function int(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
}

/** ISO instant → "2026-12-04 17:43 UTC" (the dashboard shows UTC, as /spend/logs does). */
export function when(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return "—";
  const iso = typeof d === "string" ? d : d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
