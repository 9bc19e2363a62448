import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { sha256Hex } from "./hash.ts";
import { checkKeyUsable, missingKeyError, presentedKey } from "./policy.ts";

/** Authenticates the virtual key: hash it, look the hash up (isolate cache first), and refuse unusable keys. */
export const requireKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const presented = presentedKey(c.req.raw.headers);
  if (!presented) throw missingKeyError();
  const services = c.get("services");
  const hash = await sha256Hex(presented, services.hashing);
  const { record, loadedAt } = await services.keys.lookupWithTime(hash);
  const key = checkKeyUsable(record, new Date());
  c.set("key", key);
  c.set("keyHash", hash);
  c.set("keyLoadedAt", loadedAt);
  await next();
};
