/** One JSON line per event on stdout (journald keeps it); secrets never reach here (nothing logs a header). */
export function log(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  if (process.env.SIDECAR_QUIET === "1" && level === "info") return;
  console.log(JSON.stringify({ level, at: new Date().toISOString(), ...fields }));
}
