// How numbers and times read in tables. Pure.

/** Dollars: cents from $1 up; below that enough digits to see what a few requests cost ($0.000123). */
export function usd(n: number): string {
  if (n === 0) return "$0.00";
  const abs = Math.abs(n);
  const text = abs >= 1 ? abs.toFixed(2) : abs >= 0.01 ? abs.toFixed(4) : abs.toFixed(6);
  const trimmed = abs >= 1 ? text : text.replace(/(\.\d\d\d*?)0+$/, "$1");
  if (Number(trimmed) === 0) return n < 0 ? "-<$0.000001" : "<$0.000001";
  return `${n < 0 ? "-" : ""}$${trimmed}`;
}

/** A whole number with thousands separators (12,345). */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** An ISO instant as "2026-12-22 10:00 UTC" (minutes are enough for expiries and grace periods). */
export function instant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
