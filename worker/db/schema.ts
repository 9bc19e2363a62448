import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

// The single source of the database shape: `npm run db:generate` turns changes here into SQL under migrations/.
// Column names follow LiteLLM's key API where the concept is the same, so its users recognise them.

/** Virtual API keys. Only the SHA-256 of a key is stored; the key itself is shown once, at creation. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    keyHash: text("key_hash").notNull().unique(),
    /** First characters of the key, so people can tell their keys apart without the secret. */
    keyPrefix: text("key_prefix").notNull(),
    keyAlias: text("key_alias"),
    userId: text("user_id"),
    teamId: text("team_id"),
    /** Model names this key may call; empty means every model. */
    models: text("models").array().notNull().default(sql`'{}'::text[]`),
    // numeric, not float: money must add up exactly over millions of small requests.
    maxBudget: numeric("max_budget", { precision: 20, scale: 6 }),
    /** How often spend resets, e.g. "1d", "7d", "30d"; null = never. */
    budgetDuration: text("budget_duration"),
    budgetResetAt: timestamp("budget_reset_at", { withTimezone: true, mode: "date" }),
    spend: numeric("spend", { precision: 20, scale: 10 }).notNull().default("0"),
    rpmLimit: integer("rpm_limit"),
    tpmLimit: integer("tpm_limit"),
    maxParallelRequests: integer("max_parallel_requests"),
    expires: timestamp("expires", { withTimezone: true, mode: "date" }),
    blocked: boolean("blocked").notNull().default(false),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Key rotation with a grace period: after a regenerate the previous key's hash moves here and keeps working until
     * grace_expires, so clients can be switched over without an outage. Null = no previous key is valid.
     */
    graceKeyHash: text("grace_key_hash"),
    graceExpires: timestamp("grace_expires", { withTimezone: true, mode: "date" }),
    /** IANA time zone in which day-based budget periods reset at local midnight; null = UTC. */
    budgetTimezone: text("budget_timezone"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow()
      .$onUpdateFn(() => new Date()),
  },
  (t) => [
    // Key lookups also match the previous key during a rotation's grace period.
    index("api_keys_grace_key_hash_idx").on(t.graceKeyHash),
  ],
);

/** One row per gateway request that reached a model: who, what, how many tokens, what it cost. */
export const spendLogs = pgTable(
  "spend_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** Unique so a retried spend batch inserts nothing twice (see writeSpend). */
    requestId: text("request_id").notNull().unique(),
    // A deleted key keeps its history: the log row survives with key_id null and the alias it had.
    keyId: uuid("key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    keyAlias: text("key_alias"),
    /** The model name the client asked for. */
    model: text("model").notNull(),
    /** The Bedrock model id it was routed to. */
    bedrockModel: text("bedrock_model"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    cacheReadInputTokens: integer("cache_read_input_tokens").notNull().default(0),
    cacheCreationInputTokens: integer("cache_creation_input_tokens").notNull().default(0),
    /** Images made, for models priced per image (null for token-priced requests). */
    images: integer("images"),
    cost: numeric("cost", { precision: 20, scale: 10 }).notNull().default("0"),
    latencyMs: integer("latency_ms"),
    status: integer("status").notNull(),
    stream: boolean("stream"),
    /** Where the request went: "bedrock", "origin", … */
    target: text("target"),
    startTime: timestamp("start_time", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    endTime: timestamp("end_time", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    // Per-key spend reports over a time range, and global time-range scans / retention deletes.
    index("spend_logs_key_id_start_time_idx").on(t.keyId, t.startTime),
    index("spend_logs_start_time_idx").on(t.startTime),
  ],
);

/**
 * Who changed what through the admin API, one row per change to a key. `details` holds non-secret facts (which
 * fields changed, key prefixes, grace periods), never a key or a hash.
 */
export const adminAudit = pgTable(
  "admin_audit",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** e.g. "key.generate", "key.update", "key.block". */
    action: text("action").notNull(),
    /** Who acted: "master" for the master key (later, an Access identity). */
    actor: text("actor").notNull(),
    // No foreign key: the audit trail must outlive the keys it talks about.
    keyId: uuid("key_id"),
    keyAlias: text("key_alias"),
    requestId: text("request_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("admin_audit_at_idx").on(t.at), index("admin_audit_key_id_idx").on(t.keyId)],
);

/**
 * Video jobs (origin/sidecar): one row per job submitted to Bedrock's asynchronous invoke. The row is inserted as
 * `pending` before Bedrock is called (it holds the key's slot under max_video_jobs), becomes `in_progress` with the
 * invocation ARN, and ends `completed` (output location, one spend row) or `failed` (message, no charge). The move
 * to `completed` is a conditional UPDATE, so of two sidecars polling the same job exactly one bills it.
 */
export const videoJobs = pgTable(
  "video_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    keyId: uuid("key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    keyAlias: text("key_alias"),
    /** The catalog name (nova-reel, luma-ray2) and the Bedrock id it ran as. */
    model: text("model").notNull(),
    bedrockModel: text("bedrock_model").notNull(),
    region: text("region").notNull(),
    /** single_shot | multi_shot | multi_shot_automated */
    mode: text("mode").notNull(),
    prompt: text("prompt").notNull(),
    /** The request's settings (seed, resolution, shots…), never image bytes. */
    parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull().default({}),
    warnings: jsonb("warnings").$type<unknown[]>().notNull().default([]),
    durationSeconds: integer("duration_seconds").notNull(),
    cost: numeric("cost", { precision: 20, scale: 10 }).notNull(),
    /** pending | in_progress | completed | failed */
    status: text("status").notNull().default("pending"),
    invocationArn: text("invocation_arn"),
    /** s3://bucket/jobs/<id>/ as given to Bedrock; the video is <invocation id>/output.mp4 under it. */
    s3Uri: text("s3_uri").notNull(),
    outputKey: text("output_key"),
    error: text("error"),
    /** The gateway request that submitted the job. */
    requestId: text("request_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    completedAt: timestamp("completed_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    // The per-key running count (max_video_jobs) and the caller's list, newest first.
    index("video_jobs_key_id_status_idx").on(t.keyId, t.status),
    index("video_jobs_key_id_created_at_idx").on(t.keyId, t.createdAt),
    // The background poller's scan of running jobs.
    index("video_jobs_status_idx").on(t.status),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKeyRow = typeof apiKeys.$inferInsert;
export type SpendLogRow = typeof spendLogs.$inferSelect;
export type AdminAuditRow = typeof adminAudit.$inferSelect;
export type VideoJobRow = typeof videoJobs.$inferSelect;
