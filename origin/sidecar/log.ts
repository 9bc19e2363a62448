/** One JSON line per event on stdout (journald keeps it); secrets never reach here (nothing logs a header). */
let quiet = false;

/** SIDECAR_QUIET=1 keeps only warnings and errors (tests). */
export function setQuiet(q: boolean): void {
  quiet = q;
}

export function log(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  if (quiet && level === "info") return;
  console.log(JSON.stringify({ level, at: new Date().toISOString(), ...fields }));
}
