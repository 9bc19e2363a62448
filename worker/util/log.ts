import { redactSecrets } from "./redact.ts";

/**
 * Structured JSON logs, one line per event. Callers pass only what is safe to log: key aliases and hashes' prefixes,
 * never keys, authorization headers or credentials.
 */
export function logEvent(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  // An `error` field (or any Error value) is written as `errorText` makes it: short, with its causes.
  const safe: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) safe[k] = k === "error" || v instanceof Error ? errorText(v) : v;
  // Callers log no secrets; this is the last line of defence should an error message carry one.
  const line = redactSecrets(JSON.stringify({ level, time: new Date().toISOString(), ...safe }), []);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

const MAX_ERROR_TEXT = 1000;

/**
 * An error as one short line for a log. A failed database statement's message is its whole SQL text and parameters
 * (a spend batch: hundreds of rows, up to hundreds of KB per line) while what went wrong is in its `cause`; so a
 * failed query logs as its cause, and every error shows its causes (a few levels) and at most ~1,000 characters.
 */
export function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return clip(String(err));
  const cause = depth < 3 && err.cause !== undefined ? errorText(err.cause, depth + 1) : null;
  if (/^Failed query:/.test(err.message)) return clip(`database statement failed${cause ? `: ${cause}` : ""}`);
  return clip(`${err.name}: ${err.message}${cause ? ` (cause: ${cause})` : ""}`);
}

function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
