/**
 * The video sidecar's HTTP API, Rockport's paths and fields: submit a job (202), get one, list the caller's, health.
 * Every request must carry the Worker's signed identity header (worker/origin/identity.ts): the sidecar never sees
 * a client's key and answers nothing to anyone else. Errors are OpenAI-shaped, `{"error":{"type","message",…}}`.
 */
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { IDENTITY_HEADER, ReplayGuard, verifyIdentity, type OriginIdentity } from "../../worker/origin/identity.ts";
import { isJsonContentType, validateVideoRequest } from "../../worker/video/validate.ts";
import { BedrockAsyncError, type BedrockAsync } from "./bedrock-async.ts";
import type { CredentialSource } from "./aws.ts";
import type { SidecarConfig } from "./config.ts";
import type { JobRow, JobStore } from "./jobs.ts";
import { log } from "./log.ts";
import { presignGet } from "./presign.ts";
import { bucketOf, type JobSettler } from "./settle.ts";

export interface SidecarDeps {
  config: SidecarConfig;
  store: JobStore;
  bedrock: BedrockAsync;
  settler: JobSettler;
  creds: CredentialSource;
}

type Env = { Variables: { identity: OriginIdentity } };

/** S3's lifecycle rule deletes jobs/ after 7 days: a completed job older than that has no video any more. */
const RETENTION_MS = 7 * 86_400_000;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES = ["pending", "in_progress", "completed", "failed", "expired"];
/** At most this many Bedrock polls per list call. */
const LIST_POLLS = 10;

function fail(c: Context, status: number, type: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return c.json({ error: { type, message, ...extra } }, status as 400, headers);
}

export function sidecarApp(deps: SidecarDeps): Hono<Env> {
  const { config, store, bedrock, settler } = deps;
  const replay = new ReplayGuard();
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    const check = await verifyIdentity(config.sharedSecret, c.req.header(IDENTITY_HEADER), { method: c.req.method, path: c.req.path }, { replay });
    if (!check.ok) {
      log("warn", { msg: "request refused", reason: check.reason, method: c.req.method, path: c.req.path });
      return fail(c, 401, "authentication_error", "This service answers only requests forwarded by the gateway.");
    }
    c.set("identity", check.identity);
    await next();
  });

  app.onError((err, c) => {
    const ref = randomUUID().slice(0, 8);
    log("error", { msg: "unhandled error", ref, error: String(err) });
    return fail(c, 500, "internal_error", `Internal error (ref: ${ref}).`);
  });

  app.post("/v1/videos/generations", async (c) => {
    const who = c.get("identity");
    // The Worker prices only JSON submissions; anything else must not become a job.
    if (!isJsonContentType(c.req.header("content-type"))) return fail(c, 415, "validation_error", "Send the job as JSON (content-type: application/json).", { param: "body" });
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > config.maxBodyBytes) return fail(c, 413, "request_too_large", "The request body is larger than 40 MB.");
    const text = await c.req.text();
    if (text.length > config.maxBodyBytes) return fail(c, 413, "request_too_large", "The request body is larger than 40 MB.");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return fail(c, 400, "validation_error", "The request body must be JSON.", { param: "body" });
    }
    const checked = await validateVideoRequest(body, { now: config.lifecycleNow, endOfLife: config.endOfLife });
    if (!checked.ok) {
      const { status, ...error } = checked.error;
      return c.json({ error }, status);
    }
    const spec = checked.spec;
    if (who.models.length > 0 && !who.models.includes(spec.model.name) && !who.models.includes("all-models") && !who.models.includes("all-video")) {
      return fail(c, 403, "forbidden", `This key may not use ${spec.model.name}.`, { param: "model" });
    }
    const limit = who.limits.maxVideoJobs ?? config.maxJobsDefault;
    const id = randomUUID();
    const bucket = config.buckets[spec.model.region];
    if (!bucket) return fail(c, 503, "service_unavailable", `No output bucket is configured for ${spec.model.region}.`);
    const s3Uri = `s3://${bucket}/jobs/${id}/`;
    const slot = await store.insertIfUnderLimit({ id, keyId: who.keyId, keyAlias: who.alias, spec, s3Uri, requestId: who.requestId }, limit);
    if (!slot.ok) {
      return fail(c, 429, "concurrent_limit", `Concurrent job limit reached (${slot.running}/${limit} in progress)`, { in_progress: slot.running, limit }, { "retry-after": "30" });
    }
    let arn: string;
    try {
      arn = await bedrock.start(spec.model.region, { modelId: spec.model.bedrockId, modelInput: spec.modelInput, s3Uri, clientRequestToken: id });
    } catch (e) {
      const ref = randomUUID().slice(0, 8);
      await store.markFailed(id, `Bedrock invocation failed (ref: ${ref})`, "pending");
      const be = e instanceof BedrockAsyncError ? e : null;
      log("error", { msg: "StartAsyncInvoke failed", job: id, ref, errorType: be?.errorType, status: be?.status, error: be ? be.message : String(e) });
      if (be?.status === 429 || be?.errorType === "ThrottlingException" || be?.errorType === "ServiceQuotaExceededException") {
        return fail(c, 429, "rate_limit_exceeded", "Bedrock is throttling video jobs; retry shortly.", {}, { "retry-after": "5" });
      }
      if (be?.errorType === "ValidationException") return fail(c, 400, "validation_error", `Bedrock refused the job: ${be.message}`);
      return fail(c, 502, "upstream_error", `Bedrock invocation failed (ref: ${ref}).`);
    }
    const row = (await store.markStarted(id, arn)) ?? slot.row;
    log("info", { msg: "video job submitted", job: id, key: who.alias, model: spec.model.name, seconds: spec.duration, cost: spec.cost });
    return c.json(
      {
        id, status: row.status === "pending" ? "in_progress" : row.status, model: spec.model.name, mode: spec.mode, duration: spec.duration,
        estimated_cost: spec.cost, created_at: iso(row.created_at), resize_applied: null, warnings: spec.warnings,
      },
      202,
    );
  });

  app.get("/v1/videos/generations", async (c) => {
    const who = c.get("identity");
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(c, 400, "validation_error", "limit must be a whole number from 1 to 100.", { param: "limit" });
    const status = c.req.query("status") ?? null;
    if (status !== null && !STATUSES.includes(status)) return fail(c, 400, "validation_error", `status must be one of ${STATUSES.join(", ")}.`, { param: "status" });
    // "expired" is a completed job past the bucket's retention; the table says completed.
    const listed = await store.list(who.keyId, limit, status === "expired" ? "completed" : status);
    // Running jobs are brought up to date as they are listed (a few per call; the background poller does the rest).
    let polls = 0;
    const rows = await Promise.all(listed.rows.map((r) => (r.status === "in_progress" && polls++ < LIST_POLLS ? settler.settle(r) : r)));
    const data = rows.map(view).filter((v) => status === null || v.status === status).map((v) => ({
      id: v.id, status: v.status, model: v.model, mode: v.mode, duration: v.duration, cost: v.cost, created_at: v.created_at, completed_at: v.completed_at,
    }));
    return c.json({ data, total: status === "expired" || status === "completed" ? data.length : listed.total });
  });

  app.get("/v1/videos/generations/:id", async (c) => {
    const who = c.get("identity");
    const id = c.req.param("id");
    const found = JOB_ID.test(id) ? await store.get(id, who.keyId) : null;
    if (!found) return fail(c, 404, "not_found", "No such video job.");
    const row = await settler.settle(found);
    const v = view(row);
    if (v.status === "completed" && row.output_key) {
      const signed = await presignGet(config, deps.creds, { bucket: bucketOf(row.s3_uri), region: row.region, key: row.output_key });
      return c.json({ ...v, url: signed.url, url_expires_at: signed.expiresAt.toISOString() });
    }
    return c.json(v);
  });

  app.get("/v1/videos/health", async (c) => {
    let database = "connected";
    try {
      await store.ping();
    } catch {
      database = "unreachable";
    }
    const models: Record<string, { status: string; region: string }> = {};
    for (const [name, region] of [["nova-reel", "us-east-1"], ["luma-ray2", "us-west-2"]] as const) {
      try {
        await bedrock.ping(region);
        models[name] = { status: "healthy", region };
      } catch {
        models[name] = { status: "unhealthy", region };
      }
    }
    // Without its database the sidecar can do nothing (503); a region Bedrock does not answer in degrades it, and the
    // other model still works (200: the Worker's readiness probe after a wake must not wait on one region).
    const regionsOk = Object.values(models).every((m) => m.status === "healthy");
    const status = database !== "connected" ? "unhealthy" : regionsOk ? "healthy" : "degraded";
    return c.json({ status, database, models }, status === "unhealthy" ? 503 : 200);
  });

  app.notFound((c) => fail(c, 404, "not_found", "Not found."));
  return app;
}

function iso(v: Date | string | null): string | null {
  return v === null ? null : new Date(v).toISOString();
}

/** The job as Rockport's API shows it. */
function view(row: JobRow) {
  const completedAt = iso(row.completed_at);
  const expired = row.status === "completed" && completedAt !== null && Date.now() - Date.parse(completedAt) > RETENTION_MS;
  return {
    id: row.id,
    status: expired ? "expired" : row.status === "pending" ? "in_progress" : row.status,
    model: row.model,
    mode: row.mode,
    duration: row.duration_seconds,
    cost: row.status === "completed" ? Number(row.cost) : row.status === "failed" ? 0 : null,
    estimated_cost: Number(row.cost),
    error: expired ? "Video file has been deleted (7-day retention period expired)" : row.error,
    warnings: row.warnings,
    created_at: iso(row.created_at),
    completed_at: completedAt,
  };
}
