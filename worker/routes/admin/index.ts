import { Hono, type Handler } from "hono";
import { answerableError } from "../../edge/backend-errors.ts";
import { errorResponse, GatewayError } from "../../edge/errors.ts";
import { logEvent } from "../../util/log.ts";
import { requireMasterKey } from "./auth.ts";
import { blockKeyRoute, unblockKeyRoute } from "./block.ts";
import { deleteKeyRoute } from "./delete.ts";
import type { AdminEnv } from "./env.ts";
import { generateKey } from "./generate.ts";
import { keyInfo, keyList } from "./read.ts";
import { originStartRoute, originStatusRoute, originStopRoute } from "./origin.ts";
import { regenerateKey } from "./regenerate.ts";
import { discardSetAsideRoute, listSetAsideRoute, salvageSetAsideRoute, showSetAsideRoute } from "./set-aside.ts";
import { spendLogsRoute } from "./spend-logs.ts";
import { spendReportRoute } from "./spend-report.ts";
import { updateKeyRoute } from "./update.ts";
import { videoJobsRoute } from "./video-jobs.ts";

/**
 * The admin API (LiteLLM's paths and field names), every route behind the master key. One table, so no route can be
 * added without its authentication; each path must also be on the firewall's allowlist (worker/edge/firewall.ts).
 */
export const ADMIN_ROUTES: readonly { method: "GET" | "POST"; path: string; handler: Handler<AdminEnv> }[] = [
  { method: "POST", path: "/key/generate", handler: generateKey },
  { method: "POST", path: "/key/update", handler: updateKeyRoute },
  { method: "GET", path: "/key/info", handler: keyInfo },
  { method: "GET", path: "/key/list", handler: keyList },
  { method: "POST", path: "/key/delete", handler: deleteKeyRoute },
  { method: "POST", path: "/key/regenerate", handler: regenerateKey },
  { method: "POST", path: "/key/block", handler: blockKeyRoute },
  { method: "POST", path: "/key/unblock", handler: unblockKeyRoute },
  { method: "GET", path: "/spend/logs", handler: spendLogsRoute },
  { method: "GET", path: "/spend/report", handler: spendReportRoute },
  { method: "GET", path: "/spend/unreadable", handler: listSetAsideRoute },
  { method: "GET", path: "/spend/unreadable/chunk", handler: showSetAsideRoute },
  { method: "POST", path: "/spend/unreadable/salvage", handler: salvageSetAsideRoute },
  { method: "POST", path: "/spend/unreadable/discard", handler: discardSetAsideRoute },
  { method: "GET", path: "/origin/status", handler: originStatusRoute },
  { method: "POST", path: "/origin/start", handler: originStartRoute },
  { method: "POST", path: "/origin/stop", handler: originStopRoute },
  { method: "GET", path: "/video/jobs", handler: videoJobsRoute },
];

/** Mount with `app.route("/", adminRoutes)`. Only exact admin paths are registered: nothing here touches /v1/*. */
export const adminRoutes = new Hono<AdminEnv>();

for (const r of ADMIN_ROUTES) adminRoutes.on(r.method, r.path, requireMasterKey, r.handler);

// Admin errors speak LiteLLM's (OpenAI's) dialect, `{"error": {...}}`, whatever the path. Authentication failures
// never get here: they answer as an unknown path does.
adminRoutes.onError((caught, c) => {
  const requestId = c.get("requestId");
  const err = answerableError(caught, requestId, "admin request");
  if (err instanceof GatewayError) {
    return errorResponse("openai", err.status, err.message, { type: err.type, requestId, headers: err.headers, param: err.param });
  }
  // A failed query's message quotes its parameters (which can include a key hash): log the driver's cause instead.
  const cause = (err as { cause?: unknown }).cause;
  logEvent("error", { msg: "admin request failed", requestId, error: String(cause ?? err) });
  return errorResponse("openai", 500, "Internal error. The request id identifies it in the gateway's logs.", { requestId });
});
