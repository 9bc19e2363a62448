import { Hono } from "hono";
import { ROUTES } from "../edge/firewall.ts";
import { adminRoutes } from "../routes/admin/index.ts";
import type { AdminContext, AdminEnv } from "../routes/admin/env.ts";

/**
 * Panels fed by admin endpoints that other parts of the gateway provide (the EC2 origin's state, the video jobs).
 * A panel reads its endpoint through the admin API itself, with the master key, so it shows exactly what
 * `curl $URL/origin/status` would; while an endpoint is not on the firewall's allowlist the panel says "not
 * configured".
 */
export const PANEL_ENDPOINTS = {
  origin: "/origin/status",
  videoJobs: "/video/jobs",
} as const;

export type PanelData =
  | { state: "not_configured" }
  | { state: "ok"; body: unknown }
  | { state: "failed"; status: number; message: string };

/** Where a panel's endpoint is looked for: the firewall's allowlist and the admin API (replaceable in tests). */
export interface PanelSource {
  routes: Readonly<Record<string, readonly string[]>>;
  admin: Hono<AdminEnv>;
}

const GATEWAY: PanelSource = { routes: ROUTES, admin: adminRoutes };

export async function readPanel(c: AdminContext, path: string, source: PanelSource = GATEWAY): Promise<PanelData> {
  const master = c.get("services").config.masterKey;
  if (!source.routes[path]?.includes("GET") || !master) return { state: "not_configured" };
  const internal = new Hono<AdminEnv>();
  internal.use(async (ic, next) => {
    ic.set("services", c.get("services"));
    ic.set("requestId", c.get("requestId"));
    ic.set("startedAt", c.get("startedAt"));
    await next();
  });
  internal.route("/", source.admin);
  const res = await internal.request(new URL(path, c.req.url).toString(), { headers: { authorization: `Bearer ${master}` } }, c.env, executionCtx(c));
  // An allowlisted path that the admin API does not serve (yet) answers 404: still not configured.
  if (res.status === 404) return { state: "not_configured" };
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    return { state: "failed", status: res.status, message: typeof message === "string" ? message : `HTTP ${res.status}` };
  }
  return { state: "ok", body };
}

function executionCtx(c: AdminContext): ExecutionContext | undefined {
  try {
    return c.executionCtx as ExecutionContext;
  } catch {
    return undefined;
  }
}
