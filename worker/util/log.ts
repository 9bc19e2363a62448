import { redactSecrets } from "./redact.ts";

/**
 * Structured JSON logs, one line per event. Callers pass only what is safe to log: key aliases and hashes' prefixes,
 * never keys, authorization headers or credentials.
 */
export function logEvent(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  // Callers log no secrets; this is the last line of defence should an error message carry one.
  const line = redactSecrets(JSON.stringify({ level, time: new Date().toISOString(), ...fields }), []);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
