// How the dashboard writes numbers and dates. Money is rounded to the cent as /spend/report's totals would be
// rounded by anyone reading them; per-request costs, which are often fractions of a cent, get more digits.

export function usd(n: number, digits = 2): string {
  return `$${n.toFixed(digits)}`;
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
