// Errors in log lines: a failed statement logs its cause, not its SQL and parameters; causes are shown; length is capped.
import { describe, expect, it, vi } from "vitest";
import { errorText, logEvent } from "../../worker/util/log.ts";

describe("errorText", () => {
  it("logs a failed query as its cause, without the statement or its parameters", () => {
    const cause = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    const failed = new Error(`Failed query: INSERT INTO spend_logs ...\nparams: ${JSON.stringify(Array(500).fill({ request_id: "r" }))}`, { cause });
    expect(errorText(failed)).toBe("database statement failed: TypeError: fetch failed (cause: Error: connect ECONNREFUSED 127.0.0.1:9)");
  });

  it("keeps a plain error as String() would, caps long messages, and follows at most a few causes", () => {
    expect(errorText(new RangeError("bad value"))).toBe("RangeError: bad value");
    expect(errorText("plain text")).toBe("plain text");
    const long = errorText(new Error("x".repeat(5000)));
    expect(long.length).toBeLessThanOrEqual(1001);
    expect(long.endsWith("…")).toBe(true);
    let e: Error = new Error("root");
    for (let i = 0; i < 10; i++) e = new Error(`level ${i}`, { cause: e });
    expect(errorText(e)).not.toContain("root");
    expect(errorText(e)).toContain("level 9");
  });

  it("is how logEvent writes an error field, whatever the caller passed", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    let lines: string[];
    try {
      const failed = new Error("Failed query: INSERT INTO spend_logs ...\nparams: [...]", { cause: new TypeError("fetch failed") });
      logEvent("error", { msg: "spend write failed", rows: 3, error: failed });
      logEvent("error", { msg: "thrown value", error: { not: "an error" } });
    } finally {
      lines = spy.mock.calls.map((args) => String(args[0]));
      spy.mockRestore();
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "spend write failed", rows: 3, error: "database statement failed: TypeError: fetch failed" });
    expect(JSON.parse(lines[1]!).error).toBe("[object Object]");
  });
});
