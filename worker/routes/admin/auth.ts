import type { MiddlewareHandler } from "hono";
import { errorResponse, dialectForPath } from "../../edge/errors.ts";
import { rawTarget } from "../../edge/firewall.ts";
import { sha256Hex, timingSafeEqual } from "../../keys/hash.ts";
import { presentedKey } from "../../keys/policy.ts";
import type { AdminEnv } from "./env.ts";

/**
 * Admits only the master key (MASTER_KEY), from `Authorization: Bearer` or `x-api-key`. Anyone else, and everyone
 * when no master key is configured, gets exactly the answer an unknown path gets: the admin API does not reveal that
 * it exists. Kept apart from the routes so another check (e.g. a Cloudflare Access admin token) can run before it.
 */
export const requireMasterKey: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const master = c.get("services").config.masterKey;
  const presented = presentedKey(c.req.raw.headers);
  if (!master || !presented || !(await sameSecret(presented, master))) {
    return errorResponse(dialectForPath(rawTarget(c.req.url).path), 404, "Not found.", { requestId: c.get("requestId") });
  }
  c.set("adminActor", "master");
  await next();
};

/**
 * Compares the SHA-256 digests rather than the strings: both sides are then 64 hex characters, so the comparison's
 * time reveals nothing, not even the master key's length.
 */
export async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return timingSafeEqual(a, b);
}
