import type { AppContext } from "../context.ts";

/** Liveness only: says nothing about versions, dependencies or configuration. */
export function health(c: AppContext): Response {
  return c.json({ status: "ok" });
}
