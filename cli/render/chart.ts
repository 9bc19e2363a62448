// Inline bar charts with Unicode block elements, eight steps per character. Pure.

const PARTIAL = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"] as const;
const FULL = "█";

/**
 * A bar for `value` on a scale where `max` fills `width` characters. Any positive value gets at least a sliver, so a
 * row that cost something never looks like one that cost nothing.
 */
export function bar(value: number, max: number, width: number): string {
  if (!(value > 0) || !(max > 0) || width < 1) return "";
  const eighths = Math.min(width * 8, Math.max(1, Math.round((value / max) * width * 8)));
  return FULL.repeat(Math.floor(eighths / 8)) + PARTIAL[eighths % 8]!;
}

/** One bar per value, scaled to the largest. */
export function bars(values: readonly number[], width: number): string[] {
  const max = Math.max(0, ...values);
  return values.map((v) => bar(v, max, width));
}
