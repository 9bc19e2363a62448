// Runs a piece of a test with the gateway's log lines (logEvent writes one JSON line per call to console.log, warn or
// error by level) captured instead of printed: the lines come back for the test to check.
import { vi } from "vitest";

export type LogLevel = "log" | "warn" | "error";

export async function captureLogs<T>(f: () => Promise<T>, levels: readonly LogLevel[] = ["log", "warn", "error"]): Promise<{ result: T; lines: string[] }> {
  const spies = levels.map((level) => vi.spyOn(console, level).mockImplementation(() => {}));
  try {
    const result = await f();
    return { result, lines: spies.flatMap((s) => s.mock.calls.map((a) => String(a[0]))) };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
