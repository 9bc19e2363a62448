import { Hono } from "hono";
import { html } from "hono/html";
import { dailySpend, lastUsedByKey, listKeys, querySpendLogs } from "../db/admin-queries.ts";
import { answerableError } from "../edge/backend-errors.ts";
import { errorResponse, GatewayError } from "../edge/errors.ts";
import { clientIp } from "../edge/guard-middleware.ts";
import { sameSecret } from "../routes/admin/auth.ts";
import { blockKeyRoute, unblockKeyRoute } from "../routes/admin/block.ts";
import type { AdminContext, AdminEnv } from "../routes/admin/env.ts";
import { queryParams } from "../routes/admin/input.ts";
import { originStartRoute, originStopRoute } from "../routes/admin/origin.ts";
import { regenerateKey } from "../routes/admin/regenerate.ts";
import { spendLogFilter } from "../routes/admin/spend-logs.ts";
import { totals } from "../routes/admin/spend-report.ts";
import { logEvent } from "../util/log.ts";
import { APP_CSS } from "./assets/app-css.ts";
import { APP_JS } from "./assets/app-js.ts";
import { notFound, requireSameOrigin, requireUiAdmin } from "./auth.ts";
import { page, type Html } from "./layout.ts";
import { PANEL_ENDPOINTS, readPanel } from "./panels.ts";
import { endSession, hasSession, startSession } from "./session.ts";
import { dateRange, spendSeries, type SpendGroup } from "./spend-series.ts";
import { keysBody } from "./views/keys.ts";
import { loginPage } from "./views/login.ts";
import { originBody } from "./views/origin.ts";
import { requestsBody } from "./views/requests.ts";
import { PERIODS, spendBody, type Period } from "./views/spend.ts";

/**
 * The dashboard, `/ui`: server-rendered pages over the admin API's own queries (so its figures are /spend/report's
 * and /spend/logs' figures), and the admin API's own handlers for the actions. Every path is also on the firewall's
 * allowlist (worker/edge/firewall.ts).
 */
export const uiRoutes = new Hono<AdminEnv>();

// Scripts and styles only from this origin, no inline script or style, no framing, forms only to ourselves, and no
// request to any other origin (the chart is SVG drawn on the server).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

uiRoutes.use("/ui/*", uiHeaders);
uiRoutes.use("/ui", uiHeaders);

async function uiHeaders(c: AdminContext, next: () => Promise<void>): Promise<void> {
  await next();
  // The refusals stay exactly the unknown-path 404; only what the dashboard itself serves gets these.
  if (!/^(text\/html|text\/css|text\/javascript)/.test(c.res.headers.get("content-type") ?? "")) return;
  c.res.headers.set("content-security-policy", CSP);
  c.res.headers.set("x-frame-options", "DENY");
  c.res.headers.set("cross-origin-opener-policy", "same-origin");
  c.res.headers.set("cross-origin-resource-policy", "same-origin");
}

const render = (c: AdminContext, body: Html, status: 200 | 400 | 401 | 404 | 500 = 200) => c.html(body, status);

// ---- login ---------------------------------------------------------------------------------------------------------

const MAX_LOGIN_BODY = 4096;

uiRoutes.get("/ui/login", async (c) => {
  const master = c.get("services").config.masterKey;
  if (!master) return notFound(c);
  if (c.get("accessAdminClient") || (await hasSession(c, master))) return c.redirect("/ui", 303);
  return render(c, loginPage());
});

uiRoutes.post("/ui/login", requireSameOrigin, async (c) => {
  const services = c.get("services");
  const master = services.config.masterKey;
  if (!master) return notFound(c);
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header("content-type") ?? "")) throw new GatewayError(415, "Send the login form.", "invalid_request_error");
  if (!(Number(c.req.header("content-length")) <= MAX_LOGIN_BODY)) throw new GatewayError(413, "The login form is too large.", "request_too_large");
  const presented = new URLSearchParams(await c.req.text()).get("master_key") ?? "";
  if (!presented || !(await sameSecret(presented, master))) {
    // Counts towards the same per-address lockout as bad API keys.
    services.abuse.recordFailedKey(clientIp(c.req.raw.headers), Date.now());
    logEvent("warn", { msg: "dashboard login refused", requestId: c.get("requestId") });
    return render(c, loginPage("That is not the master key."), 401);
  }
  await startSession(c, master);
  logEvent("info", { msg: "dashboard login", requestId: c.get("requestId") });
  return c.redirect("/ui", 303);
});

uiRoutes.post("/ui/logout", requireSameOrigin, (c) => {
  endSession(c);
  return c.redirect("/ui/login", 303);
});

// ---- pages ---------------------------------------------------------------------------------------------------------

const shell = (c: AdminContext, title: string, current: string, body: Html) =>
  page({ title, current, session: c.get("adminActor") === "dashboard", body });

uiRoutes.get("/ui", requireUiAdmin, async (c) => {
  const q = queryParams(c, ["days", "by"]);
  const days = Number(q.days ?? 30) as Period;
  if (!PERIODS.includes(days)) throw new GatewayError(400, `days: must be one of ${PERIODS.join(", ")}`);
  const by = (q.by ?? "model") as SpendGroup;
  if (by !== "model" && by !== "key") throw new GatewayError(400, "by: must be model or key");
  const last = new Date().toISOString().slice(0, 10);
  const first = new Date(Date.parse(`${last}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  // The report's own query, dates and time zone (UTC): the total below is /spend/report's total for these dates.
  const rows = await dailySpend(c.get("services").db, first, last, "UTC");
  const data = spendSeries(rows, dateRange(first, last), by);
  return render(c, shell(c, "Spend", "/ui", spendBody({ days, by, first, last, data, total: totals(rows) })));
});

const KEYS_PER_PAGE = 50;

uiRoutes.get("/ui/keys", requireUiAdmin, async (c) => {
  const q = queryParams(c, ["page"]);
  const pageNo = q.page === undefined ? 1 : Number(q.page);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1 || pageNo > 1_000_000) throw new GatewayError(400, "page: must be a whole number from 1 to 1000000");
  const db = c.get("services").db;
  const { keys, total } = await listKeys(db, {}, pageNo, KEYS_PER_PAGE);
  const lastUsed = await lastUsedByKey(db, keys.map((k) => k.id));
  const body = keysBody({ keys, lastUsed, total, page: pageNo, pages: Math.max(1, Math.ceil(total / KEYS_PER_PAGE)), now: new Date() });
  return render(c, shell(c, "Keys", "/ui/keys", body));
});

uiRoutes.get("/ui/requests", requireUiAdmin, async (c) => {
  const services = c.get("services");
  // The same parameters, parsing and query as GET /spend/logs.
  const filter = await spendLogFilter(c);
  const [rows, { keys }] = await Promise.all([querySpendLogs(services.db, filter), listKeys(services.db, {}, 1, 100)]);
  const query = Object.fromEntries([...new URL(c.req.url).searchParams].filter(([, v]) => v !== ""));
  return render(c, shell(c, "Requests", "/ui/requests", requestsBody({ rows, keys, query, models: services.catalog.names() })));
});

uiRoutes.get("/ui/origin", requireUiAdmin, async (c) => {
  const [origin, video] = await Promise.all([readPanel(c, PANEL_ENDPOINTS.origin), readPanel(c, PANEL_ENDPOINTS.videoJobs)]);
  return render(c, shell(c, "Origin & video", "/ui/origin", originBody(origin, video)));
});

// ---- assets --------------------------------------------------------------------------------------------------------

// The stylesheet is also what the login form uses, so it is served to anyone who may see that form.
uiRoutes.get("/ui/assets/app.css", (c) => {
  if (!c.get("services").config.masterKey) return notFound(c);
  return c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "private, max-age=300" });
});

uiRoutes.get("/ui/assets/app.js", requireUiAdmin, (c) => c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "private, max-age=300" }));

// ---- actions: the admin API's handlers, behind the dashboard's authentication -----------------------------------

uiRoutes.post("/ui/api/key/block", requireUiAdmin, requireSameOrigin, blockKeyRoute);
uiRoutes.post("/ui/api/key/unblock", requireUiAdmin, requireSameOrigin, unblockKeyRoute);
uiRoutes.post("/ui/api/key/regenerate", requireUiAdmin, requireSameOrigin, regenerateKey);
uiRoutes.post("/ui/api/origin/start", requireUiAdmin, requireSameOrigin, originStartRoute);
uiRoutes.post("/ui/api/origin/stop", requireUiAdmin, requireSameOrigin, originStopRoute);

// ---- errors --------------------------------------------------------------------------------------------------------

uiRoutes.onError((caught, c) => {
  const requestId = c.get("requestId");
  const api = new URL(c.req.url).pathname.startsWith("/ui/api/");
  const err = answerableError(caught, requestId, "dashboard request");
  if (err instanceof GatewayError) {
    if (api) return errorResponse("openai", err.status, err.message, { type: err.type, requestId, headers: err.headers, param: err.param });
    const status = ([400, 401, 404, 413, 415, 503] as const).find((s) => s === err.status) ?? 400;
    return c.html(page({ title: "Cannot show this", current: "/ui", body: html`<p class="error" role="alert">${err.message}</p><p><a href="/ui">Back to the dashboard</a></p>` }), status, err.headers);
  }
  logEvent("error", { msg: "dashboard request failed", requestId, error: String((err as { cause?: unknown }).cause ?? err) });
  if (api) return errorResponse("openai", 500, "Internal error. The request id identifies it in the gateway's logs.", { requestId });
  return c.html(page({ title: "Something went wrong", body: html`<p class="error" role="alert">Internal error (request id ${requestId}). Try again; the gateway's logs say more.</p>` }), 500);
});
