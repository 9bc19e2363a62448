/**
 * `GET /video/jobs?key=&status=&limit=`: every key's video jobs, newest first, for operators and the dashboard's
 * video panel. Read straight from Postgres (the sidecar writes the table), so it answers while the origin sleeps;
 * a running job's status is as of the sidecar's last poll.
 */
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { videoJobs } from "../../db/schema.ts";
import { textProblem } from "../../db/storable.ts";
import { GatewayError } from "../../edge/errors.ts";
import type { AdminContext } from "./env.ts";
import { fieldError } from "./input.ts";

const STATUSES = ["pending", "in_progress", "completed", "failed"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function videoJobsRoute(c: AdminContext): Promise<Response> {
  const q = (name: string) => c.req.query(name);
  const limit = q("limit") === undefined ? 50 : Number(q("limit"));
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new GatewayError(400, "limit must be a whole number from 1 to 500.", "invalid_request_error", undefined, "limit");
  const where: SQL[] = [];
  const status = q("status");
  if (status !== undefined) {
    if (!STATUSES.includes(status)) throw new GatewayError(400, `status must be one of ${STATUSES.join(", ")}.`, "invalid_request_error", undefined, "status");
    where.push(eq(videoJobs.status, status));
  }
  const key = q("key");
  const keyProblem = key === undefined ? null : textProblem(key);
  if (keyProblem) throw fieldError("key", keyProblem);
  if (key !== undefined) where.push(UUID.test(key) ? eq(videoJobs.keyId, key) : eq(videoJobs.keyAlias, key));
  const db = c.get("services").db;
  const filter = where.length ? and(...where) : undefined;
  const rows = await db
    .select({
      id: videoJobs.id, key_alias: videoJobs.keyAlias, model: videoJobs.model, mode: videoJobs.mode, status: videoJobs.status,
      duration: videoJobs.durationSeconds, cost: videoJobs.cost, created_at: videoJobs.createdAt, completed_at: videoJobs.completedAt, error: videoJobs.error,
    })
    .from(videoJobs)
    .where(filter)
    .orderBy(desc(videoJobs.createdAt))
    .limit(limit);
  const [total] = await db.select({ n: count() }).from(videoJobs).where(filter);
  return c.json({
    data: rows.map((r) => ({
      ...r,
      cost: r.status === "completed" ? Number(r.cost) : 0,
      created_at: r.created_at.toISOString(),
      completed_at: r.completed_at ? r.completed_at.toISOString() : null,
    })),
    total: Number(total?.n ?? 0),
  });
}
