// What Postgres can store, checked before a value is sent: a refused statement is a 500 after a round trip, and some
// values (JSON nested thousands of levels deep) cost the database far more than they cost us to refuse. Pure.

/** Deepest JSON accepted in a stored JSON field (`{}` is depth 1, `{"a":{}}` depth 2). */
export const MAX_JSON_DEPTH = 16;
/** Largest `metadata` accepted on a key, as UTF-8 JSON text. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** The instants accepted anywhere a date or time is stored or compared: 1970-01-01 to the end of 9999, UTC. */
export const MIN_STORABLE_TIME = Date.UTC(1970, 0, 1);
export const MAX_STORABLE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// A high surrogate not followed by a low one, or a low one not preceded by a high one: JavaScript strings may hold
// these (JSON's "\ud800" makes one), UTF-8 cannot encode them.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres cannot store `s` as text (NUL, or a lone surrogate), or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL characters (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode (it holds an unpaired UTF-16 surrogate)";
  return null;
}

/** Why `t` (ms since the epoch) is outside the accepted range, or null. */
export function timeProblem(t: number): string | null {
  if (!Number.isFinite(t) || t < MIN_STORABLE_TIME || t > MAX_STORABLE_TIME) return "must be between 1970-01-01 and 9999-12-31 (UTC)";
  return null;
}

export interface StorableProblem {
  /** Where the problem is, from the value's root: object keys and array indexes. */
  path: (string | number)[];
  problem: string;
  kind: "text" | "depth";
}

/**
 * The first string (object keys included) Postgres cannot store, or the first place nested deeper than `maxDepth`,
 * in `value` (parsed JSON). Iterative and stops at the depth limit, so a hostile value cannot exhaust the stack.
 */
export function findUnstorable(value: unknown, maxDepth = MAX_JSON_DEPTH): StorableProblem | null {
  const stack: { v: unknown; path: (string | number)[]; depth: number }[] = [{ v: value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { path, problem, kind: "text" };
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > maxDepth) return { path, problem: `is nested too deeply (at most ${maxDepth} levels of objects and arrays)`, kind: "depth" };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
    // Pushed in reverse so the walk visits entries in document order and reports the first problem.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, item] = entries[i]!;
      if (typeof k === "string") {
        const problem = textProblem(k);
        if (problem) return { path: [...path, k], problem: `(a key) ${problem}`, kind: "text" };
      }
      stack.push({ v: item, path: [...path, k], depth: depth + 1 });
    }
  }
  return null;
}

/** Size of `value` as the UTF-8 JSON text that is stored. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
}
