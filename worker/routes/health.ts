import { sql } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { DATABASE_RETRY_AFTER_SECONDS } from "../edge/backend-errors.ts";
import { logEvent } from "../util/log.ts";

/**
 * Liveness by default. `?deep=1` (for operators and readiness probes) also runs a trivial query under the database
 * deadline, so a gateway whose database hangs says so instead of answering 200. Neither form says anything about
 * versions, dependencies or configuration.
 */
export async function health(c: AppContext): Promise<Response> {
  if (c.req.query("deep") !== "1") return c.json({ status: "ok" });
  try {
    await c.get("services").db.execute(sql`select 1`);
    return c.json({ status: "ok", database: "ok" });
  } catch (err) {
    logEvent("warn", { msg: "deep health check: database unreachable", requestId: c.get("requestId"), error: String((err as { cause?: unknown }).cause ?? err) });
    return c.json({ status: "degraded", database: "unreachable" }, 503, { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) });
  }
}
