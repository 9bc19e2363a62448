/**
 * `GET /origin/status`, `POST /origin/start`, `POST /origin/stop`: the origin instance for operators (the CLI's
 * `breakwater origin …`). Start answers at once with the state it reached (pending, usually); callers poll status
 * for progress. Start and stop are written to admin_audit.
 */
import { adminAudit } from "../../db/schema.ts";
import { GatewayError } from "../../edge/errors.ts";
import { Ec2Error } from "../../origin/ec2.ts";
import type { OriginServices } from "../../origin/services.ts";
import { logEvent } from "../../util/log.ts";
import type { AdminContext } from "./env.ts";

function originOf(c: AdminContext): OriginServices {
  const origin = c.get("services").origin;
  if (!origin) throw new GatewayError(400, "No origin is configured on this gateway (ORIGIN_URL).", "invalid_request_error");
  return origin;
}

function managed(origin: OriginServices): void {
  if (!origin.config.instanceId) throw new GatewayError(400, "The origin has no instance to manage (ORIGIN_INSTANCE_ID is not set).", "invalid_request_error");
}

/** `{configured: false}` without an origin, so `breakwater status` can say so without failing. */
export async function originStatusRoute(c: AdminContext): Promise<Response> {
  const origin = c.get("services").origin;
  if (!origin) return c.json({ configured: false }, 200);
  return c.json({ configured: true, url: origin.config.url, instance_id: origin.config.instanceId, ...(await origin.state.status()) }, 200);
}

export async function originStartRoute(c: AdminContext): Promise<Response> {
  const origin = originOf(c);
  managed(origin);
  const woke = await ec2Call(() => origin.state.wake());
  await audit(c, "origin.start", { state: woke.state, start_issued: woke.started });
  return c.json({ state: woke.state, start_issued: woke.started }, 200);
}

export async function originStopRoute(c: AdminContext): Promise<Response> {
  const origin = originOf(c);
  managed(origin);
  const r = await ec2Call(() => origin.state.stop());
  await audit(c, "origin.stop", { state: r.state, stopped: r.stopped, reason: r.reason });
  return c.json({ state: r.state, stop_issued: r.stopped, reason: r.reason }, 200);
}

async function ec2Call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Ec2Error) throw new GatewayError(502, `EC2 refused the call: ${e.code}. ${e.message.replace(/^[^:]*: /, "").slice(0, 300)}`, "api_error");
    throw e;
  }
}

async function audit(c: AdminContext, action: string, details: Record<string, unknown>): Promise<void> {
  logEvent("info", { msg: "admin origin change", action, requestId: c.get("requestId"), actor: c.get("adminActor"), ...details });
  await c.get("services").db.insert(adminAudit).values({ action, actor: c.get("adminActor"), requestId: c.get("requestId"), details });
}
