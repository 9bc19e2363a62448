/**
 * The sidecar's reads and writes of video_jobs (and its one spend row per completed job), over Neon's HTTP
 * protocol, as the Worker's own reads and writes. Two rules carry the money:
 *  - a key's running-job limit holds under parallel submits: the count and the insert run in one transaction
 *    behind a per-key advisory lock, so the second of two racing submits sees the first;
 *  - a job is billed once: the move to `completed` is a conditional UPDATE, and the spend row and the key's spend
 *    are written in the same statement from what that UPDATE returned. Of two sidecars polling the same job, the
 *    one whose UPDATE matched nothing writes nothing. The row's request id is the job id, so even a replay of the
 *    statement inserts nothing twice.
 */
import { neon, type NeonQueryFunction } from "@neondatabase/serverless";
import { routeDatabaseTo } from "./neon-endpoint.ts";
import type { VideoJobSpec } from "../../worker/video/validate.ts";

export interface JobRow {
  id: string;
  key_id: string | null;
  key_alias: string | null;
  model: string;
  bedrock_model: string;
  region: string;
  mode: string;
  prompt: string;
  parameters: Record<string, unknown>;
  warnings: unknown[];
  duration_seconds: number;
  cost: string;
  status: "pending" | "in_progress" | "completed" | "failed";
  invocation_arn: string | null;
  s3_uri: string;
  output_key: string | null;
  error: string | null;
  request_id: string;
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
}

export const RUNNING = ["pending", "in_progress"];

export class JobStore {
  private readonly sql: NeonQueryFunction<false, false>;

  constructor(databaseUrl: string, httpEndpoint?: string) {
    // Neon's driver (the sidecar runs on Node; it needs the driver's transactions): the local shim in dev and tests.
    if (httpEndpoint) routeDatabaseTo(databaseUrl, httpEndpoint);
    this.sql = neon(databaseUrl);
  }

  async ping(): Promise<void> {
    await this.sql`SELECT 1`;
  }

  /** Inserts the job as `pending` if the key runs fewer than `limit` jobs; otherwise says how many it runs. */
  async insertIfUnderLimit(
    job: { id: string; keyId: string; keyAlias: string | null; spec: VideoJobSpec; s3Uri: string; requestId: string },
    limit: number,
  ): Promise<{ ok: true; row: JobRow } | { ok: false; running: number }> {
    const { spec } = job;
    const [, inserted, counted] = await this.sql.transaction([
      this.sql`SELECT pg_advisory_xact_lock(hashtext(${`video_jobs:${job.keyId}`}))`,
      this.sql`
        INSERT INTO video_jobs (id, key_id, key_alias, model, bedrock_model, region, mode, prompt, parameters, warnings,
                                duration_seconds, cost, status, s3_uri, request_id)
        SELECT ${job.id}, ${job.keyId}, ${job.keyAlias}, ${spec.model.name}, ${spec.model.bedrockId}, ${spec.model.region},
               ${spec.mode}, ${spec.prompt}, ${JSON.stringify(spec.parameters)}::jsonb, ${JSON.stringify(spec.warnings)}::jsonb,
               ${spec.duration}, ${spec.cost}, 'pending', ${job.s3Uri}, ${job.requestId}
        WHERE (SELECT count(*) FROM video_jobs WHERE key_id = ${job.keyId} AND status IN ('pending', 'in_progress')) < ${limit}
        RETURNING *`,
      this.sql`SELECT count(*)::int AS n FROM video_jobs WHERE key_id = ${job.keyId} AND status IN ('pending', 'in_progress')`,
    ]);
    const row = (inserted as JobRow[])[0];
    if (row) return { ok: true, row };
    return { ok: false, running: Number((counted as { n: number }[])[0]?.n ?? limit) };
  }

  async markStarted(id: string, invocationArn: string): Promise<JobRow | null> {
    const rows = (await this.sql`
      UPDATE video_jobs SET status = 'in_progress', invocation_arn = ${invocationArn}, updated_at = now()
      WHERE id = ${id} AND status = 'pending' RETURNING *`) as JobRow[];
    return rows[0] ?? null;
  }

  /** A job Bedrock did not accept, or one that failed while rendering: no charge. */
  async markFailed(id: string, message: string, from: "pending" | "in_progress"): Promise<boolean> {
    const rows = await this.sql`
      UPDATE video_jobs SET status = 'failed', error = ${message}, cost = 0, completed_at = now(), updated_at = now()
      WHERE id = ${id} AND status = ${from} RETURNING id`;
    return rows.length > 0;
  }

  /** The claim: true for the one caller whose UPDATE moved the job to completed (and so wrote its spend row). */
  async complete(id: string, outputKey: string): Promise<boolean> {
    const rows = (await this.sql`
      WITH claimed AS (
        UPDATE video_jobs SET status = 'completed', output_key = ${outputKey}, completed_at = now(), updated_at = now()
        WHERE id = ${id} AND status = 'in_progress'
        RETURNING id, key_id, key_alias, model, bedrock_model, cost, created_at
      ),
      logged AS (
        INSERT INTO spend_logs (request_id, key_id, key_alias, model, bedrock_model, cost, latency_ms, status, stream, target, start_time, end_time)
        SELECT c.id::text, k.id, c.key_alias, c.model, c.bedrock_model, c.cost,
               LEAST(2147483647, (extract(epoch FROM now() - c.created_at) * 1000))::int, 200, false, 'origin:sidecar', c.created_at, now()
        FROM claimed c LEFT JOIN api_keys k ON k.id = c.key_id
        ON CONFLICT (request_id) DO NOTHING
        RETURNING key_id, cost
      ),
      charged AS (
        UPDATE api_keys AS k SET spend = k.spend + l.cost FROM logged l WHERE k.id = l.key_id RETURNING k.id
      )
      SELECT (SELECT count(*) FROM claimed)::int AS claimed, (SELECT count(*) FROM charged)::int AS charged`) as { claimed: number }[];
    return Number(rows[0]?.claimed ?? 0) > 0;
  }

  async get(id: string, keyId: string): Promise<JobRow | null> {
    const rows = (await this.sql`SELECT * FROM video_jobs WHERE id = ${id} AND key_id = ${keyId}`) as JobRow[];
    return rows[0] ?? null;
  }

  async list(keyId: string, limit: number, status: string | null): Promise<{ rows: JobRow[]; total: number }> {
    const rows = (await this.sql`
      SELECT * FROM video_jobs WHERE key_id = ${keyId} AND (${status}::text IS NULL OR status = ${status})
      ORDER BY created_at DESC, id LIMIT ${limit}`) as JobRow[];
    const total = (await this.sql`
      SELECT count(*)::int AS n FROM video_jobs WHERE key_id = ${keyId} AND (${status}::text IS NULL OR status = ${status})`) as { n: number }[];
    return { rows, total: Number(total[0]?.n ?? 0) };
  }

  /** Jobs Bedrock is rendering, least recently looked at first (the background poller's batch). */
  async inProgress(limit: number): Promise<JobRow[]> {
    return (await this.sql`SELECT * FROM video_jobs WHERE status = 'in_progress' ORDER BY updated_at LIMIT ${limit}`) as JobRow[];
  }

  /** Marks a poll (so the next batch starts with jobs not looked at for longest). */
  async touch(id: string): Promise<void> {
    await this.sql`UPDATE video_jobs SET updated_at = now() WHERE id = ${id} AND status = 'in_progress'`;
  }

  /** Jobs left `pending` by a sidecar that stopped between the insert and Bedrock's answer. */
  async stalePending(olderThanSeconds: number): Promise<JobRow[]> {
    return (await this.sql`
      SELECT * FROM video_jobs WHERE status = 'pending' AND created_at < now() - make_interval(secs => ${olderThanSeconds}) LIMIT 50`) as JobRow[];
  }
}
