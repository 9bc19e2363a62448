import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { logEvent } from "../util/log.ts";
import { AccessDenied } from "./access.ts";
import { GatewayError } from "./errors.ts";
import { rawTarget } from "./firewall.ts";

/** Admin paths: a separate Access allowlist, and (in the admin routes) the master key. */
export function isAdminPath(path: string): boolean {
  return path.startsWith("/key/") || path.startsWith("/spend/") || path.startsWith("/video/");
}

let warnedUnprotected = false;

/**
 * Cloudflare Access, checked in code: the Worker does not trust that an Access application in front of it was
 * configured right. Every request but /health must carry a valid service-token JWT. Without Access configured the
 * gateway refuses to serve, except in explicit local dev mode (`npm run dev`), which says so loudly.
 */
export const requireAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  const path = rawTarget(c.req.url).path;
  if (path === "/health") return next();
  const s = c.get("services");
  if (!s.access) {
    if (!s.config.devMode) {
      logEvent("error", { msg: "Cloudflare Access is not configured (ACCESS_TEAM_DOMAIN, ACCESS_AUD, ACCESS_CLIENT_IDS); refusing to serve" });
      throw new GatewayError(503, "The gateway is not configured to serve requests.", "api_error");
    }
    if (!warnedUnprotected) {
      warnedUnprotected = true;
      logEvent("warn", { msg: "LOCAL DEV MODE: Cloudflare Access is NOT being checked. Never deploy with BREAKWATER_DEV=1." });
    }
    return next();
  }
  if (isUiPath(path)) return uiAccess(c, next, path);
  const admin = isAdminPath(path);
  try {
    await s.access.verify(c.req.raw, { admin });
  } catch (err) {
    if (err instanceof AccessDenied) {
      logEvent("warn", { msg: "access denied", reason: err.reason, requestId: c.get("requestId"), path });
      // Admin paths do not exist for anyone but admin service tokens.
      if (admin) throw new GatewayError(404, "Not found.", "not_found_error");
    }
    throw err;
  }
  return next();
};

/** The dashboard (worker/ui/): its own Access rule, below. */
export function isUiPath(path: string): boolean {
  return path === "/ui" || path.startsWith("/ui/");
}

/**
 * Dashboard paths admit two kinds of Access caller: an admin service token (then the caller is an admin, no login
 * needed), or anyone Access admits to the gateway (a listed user's browser), who then still has to log in with the
 * master key. Anyone else gets the 404 an unknown path gets.
 */
const uiAccess = async (c: Parameters<MiddlewareHandler<AppEnv>>[0], next: () => Promise<void>, path: string) => {
  const access = c.get("services").access!;
  try {
    const { clientId } = await access.verify(c.req.raw, { admin: true });
    if (clientId) c.set("accessAdminClient", clientId);
    return next();
  } catch (err) {
    if (!(err instanceof AccessDenied)) throw err;
  }
  try {
    await access.verify(c.req.raw, { admin: false });
  } catch (err) {
    if (!(err instanceof AccessDenied)) throw err;
    logEvent("warn", { msg: "access denied", reason: err.reason, requestId: c.get("requestId"), path });
    throw new GatewayError(404, "Not found.", "not_found_error");
  }
  return next();
};

/** The client's address as Cloudflare reports it; requests without one share a bucket. */
export function clientIp(headers: Headers): string {
  return headers.get("cf-connecting-ip")?.trim() || "unknown";
}

/**
 * Per-IP abuse limits before any key is looked at: a request ceiling (like the old WAF rate rule) and a growing
 * lockout for addresses that keep presenting bad keys.
 */
export const abuseLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const s = c.get("services");
  const ip = clientIp(c.req.raw.headers);
  const decision = s.abuse.check(ip, Date.now());
  if (!decision.allowed) {
    throw new GatewayError(429, decision.reason === "lockout" ? "Too many failed authentication attempts; try again later." : "Too many requests from this address.", "rate_limit_error", {
      "retry-after": String(decision.retryAfterSeconds ?? 60),
    });
  }
  await next();
  // Hono renders errors from later stages before control returns here; `c.error` keeps what was thrown. Only the
  // caller's own failures count (a 401 from key auth), never an upstream credential problem, which is ours.
  if (c.error instanceof GatewayError && c.error.status === 401) s.abuse.recordFailedKey(ip, Date.now());
};
