import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../edge/errors.ts";
import type { AdminEnv } from "../routes/admin/env.ts";
import { hasSession } from "./session.ts";

/** The answer every refused dashboard request gets: byte for byte what an unknown path gets (see app.notFound). */
export function notFound(c: { get(k: "requestId"): string }): Response {
  return errorResponse("anthropic", 404, "Not found.", { requestId: c.get("requestId") });
}

/**
 * Admits admin callers only: an admin Access service token, or a valid dashboard session. Without a master key the
 * admin API does not exist, and neither does the dashboard (its actions are the admin API's). The audit actor says
 * which way the change came in.
 */
export const requireUiAdmin: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const master = c.get("services").config.masterKey;
  if (!master) return notFound(c);
  const client = c.get("accessAdminClient");
  if (client) c.set("adminActor", `access:${client}`);
  else if (await hasSession(c, master)) c.set("adminActor", "dashboard");
  else return notFound(c);
  await next();
};

/**
 * Cross-site request forgery guard for the dashboard's state-changing requests, on top of the SameSite=Strict
 * cookie: the browser must say the request came from this origin (Sec-Fetch-Site, or failing that Origin).
 * Registered after requireUiAdmin, or on the login form (no session yet).
 */
export const requireSameOrigin: MiddlewareHandler<AdminEnv> = async (c, next) => {
  // An admin service token is a header the client adds itself, not something a browser attaches on its own.
  if (c.get("accessAdminClient")) return next();
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  const sameSite = site !== undefined ? site === "same-origin" : origin !== undefined && origin === new URL(c.req.url).origin;
  if (!sameSite) return errorResponse("openai", 403, "Cross-origin requests are not accepted here.", { type: "permission_error", requestId: c.get("requestId") });
  await next();
};
