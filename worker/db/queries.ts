import { and, eq, gt, or, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { apiKeys } from "./schema.ts";

// The data functions the gateway calls. Each is one statement, so over Neon's HTTP driver each is one round trip.
// They accept any drizzle Postgres database: the Worker passes its neon-http `Db`; scripts pass node-postgres or
// PGlite handles to the same functions.
// (`any` schema: these functions use the table objects directly, never db.query.<table>.)
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, any>;

/** What the gateway needs to know about a virtual key (money as numbers in USD, times as Dates). */
export interface KeyRecord {
  id: string;
  keyAlias: string | null;
  /** Empty = every model. */
  models: string[];
  maxBudget: number | null;
  spend: number;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  expires: Date | null;
  blocked: boolean;
  userId: string | null;
  teamId: string | null;
  metadata: Record<string, unknown>;
  /** IANA zone in which day-based budget periods reset; absent = UTC. */
  budgetTimezone?: string | null;
}

/** One request's usage, as written to spend_logs. */
export interface SpendRow {
  requestId: string;
  keyId: string | null;
  keyAlias: string | null;
  /** The model name the client asked for. */
  model: string;
  bedrockModel: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  /** Images made (image models, priced per image); absent for token-priced calls. */
  images?: number;
  /** USD. */
  cost: number;
  latencyMs: number | null;
  status: number;
  stream: boolean;
  target: string | null;
  startTime: Date;
  endTime: Date | null;
}

export interface NewKey {
  keyHash: string;
  keyPrefix: string;
  keyAlias?: string | null;
  userId?: string | null;
  teamId?: string | null;
  models?: string[];
  maxBudget?: number | null;
  budgetDuration?: string | null;
  budgetResetAt?: Date | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  expires?: Date | null;
  blocked?: boolean;
  metadata?: Record<string, unknown>;
}

/**
 * The key whose SHA-256 hex is `keyHash`, or null. Blocked/expired keys are returned too: policy decides.
 *
 * During a rotation's grace period the previous key (grace_key_hash) finds the same row, with `expires` brought
 * forward to the end of the grace period: policy then refuses it on time even when the record sits in a cache.
 */
export async function findKeyByHash(db: AnyPgDatabase, keyHash: string): Promise<KeyRecord | null> {
  const rows = await db
    .select({
      id: apiKeys.id,
      keyAlias: apiKeys.keyAlias,
      models: apiKeys.models,
      maxBudget: apiKeys.maxBudget,
      spend: apiKeys.spend,
      budgetDuration: apiKeys.budgetDuration,
      budgetResetAt: apiKeys.budgetResetAt,
      rpmLimit: apiKeys.rpmLimit,
      tpmLimit: apiKeys.tpmLimit,
      maxParallelRequests: apiKeys.maxParallelRequests,
      // least() ignores NULLs: a key that never expires still stops at the end of its grace period.
      expires: sql<Date | null>`case when ${apiKeys.keyHash} = ${keyHash} then ${apiKeys.expires} else least(${apiKeys.expires}, ${apiKeys.graceExpires}) end`.mapWith(
        apiKeys.expires,
      ),
      blocked: apiKeys.blocked,
      userId: apiKeys.userId,
      teamId: apiKeys.teamId,
      metadata: apiKeys.metadata,
      budgetTimezone: apiKeys.budgetTimezone,
    })
    .from(apiKeys)
    .where(or(eq(apiKeys.keyHash, keyHash), and(eq(apiKeys.graceKeyHash, keyHash), gt(apiKeys.graceExpires, sql`now()`))))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  const { budgetTimezone, ...rest } = row;
  // numeric arrives as an exact decimal string; the gateway compares budgets in float USD, which is plenty.
  return {
    ...rest,
    maxBudget: row.maxBudget === null ? null : Number(row.maxBudget),
    spend: Number(row.spend),
    // Only present when set, so records of keys without a zone look exactly as they did before the column existed.
    ...(budgetTimezone === null ? {} : { budgetTimezone }),
  };
}

/** Stores a new key (its hash, never the key) and returns its id. */
export async function insertKey(db: AnyPgDatabase, key: NewKey): Promise<{ id: string }> {
  const rows = await db
    .insert(apiKeys)
    .values({
      keyHash: key.keyHash,
      keyPrefix: key.keyPrefix,
      keyAlias: key.keyAlias ?? null,
      userId: key.userId ?? null,
      teamId: key.teamId ?? null,
      models: key.models ?? [],
      maxBudget: key.maxBudget == null ? null : decimal(key.maxBudget),
      budgetDuration: key.budgetDuration ?? null,
      budgetResetAt: key.budgetResetAt ?? null,
      rpmLimit: key.rpmLimit ?? null,
      tpmLimit: key.tpmLimit ?? null,
      maxParallelRequests: key.maxParallelRequests ?? null,
      expires: key.expires ?? null,
      blocked: key.blocked ?? false,
      metadata: key.metadata ?? {},
    })
    .returning({ id: apiKeys.id });
  const row = rows[0];
  if (!row) throw new Error("insertKey: the database returned no id");
  return row;
}

/**
 * Records a batch of requests in ONE statement: inserts the rows, skipping request ids already present, and adds
 * the cost of exactly the rows it inserted to their keys' spend. Writing the same batch twice (a retry after a
 * timeout whose first attempt did commit) therefore changes nothing, and a crash can never leave logs written
 * without spend or the reverse.
 *
 * The whole batch travels as one jsonb parameter (fixed parameter count at any batch size, and JSON numbers become
 * exact numerics, so costs like 0.000123 add up exactly). Each row is a JSON array (toSpendTuple's column order) with its
 * times as epoch milliseconds: the gateway serializes every request's row, and an array of values without names or
 * ISO dates is under half the bytes (and the time) of an object per row. A key deleted since the request was served
 * is logged with key_id null rather than failing the batch on the foreign key.
 */
export async function writeSpend(db: AnyPgDatabase, rows: SpendRow[]): Promise<void> {
  if (rows.length === 0) return;
  const payload = JSON.stringify(rows.map(toSpendTuple));
  await db.execute(sql`
    WITH input AS (
      SELECT
        r->>0 AS request_id, (r->>1)::uuid AS key_id, r->>2 AS key_alias, r->>3 AS model, r->>4 AS bedrock_model,
        (r->>5)::integer AS input_tokens, (r->>6)::integer AS output_tokens, (r->>7)::integer AS cache_read_input_tokens,
        (r->>8)::integer AS cache_creation_input_tokens, (r->>9)::integer AS images, (r->>10)::numeric AS cost,
        (r->>11)::integer AS latency_ms, (r->>12)::integer AS status, (r->>13)::boolean AS stream, r->>14 AS target,
        timestamptz 'epoch' + (r->>15)::bigint * interval '1 millisecond' AS start_time,
        timestamptz 'epoch' + (r->>16)::bigint * interval '1 millisecond' AS end_time
      FROM jsonb_array_elements(${payload}::jsonb) AS r
    ),
    inserted AS (
      INSERT INTO spend_logs (
        request_id, key_id, key_alias, model, bedrock_model,
        input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, images,
        cost, latency_ms, status, stream, target, start_time, end_time
      )
      SELECT
        i.request_id, k.id, i.key_alias, i.model, i.bedrock_model,
        i.input_tokens, i.output_tokens, i.cache_read_input_tokens, i.cache_creation_input_tokens, i.images,
        i.cost, i.latency_ms, i.status, i.stream, i.target, i.start_time, i.end_time
      FROM input i
      LEFT JOIN api_keys k ON k.id = i.key_id
      ON CONFLICT (request_id) DO NOTHING
      RETURNING key_id, cost
    )
    UPDATE api_keys AS k
    SET spend = k.spend + t.total
    FROM (
      SELECT key_id, sum(cost) AS total FROM inserted WHERE key_id IS NOT NULL GROUP BY key_id
    ) AS t
    WHERE k.id = t.key_id
  `);
}

/**
 * One row as writeSpend's JSON array: request_id, key_id, key_alias, model, bedrock_model, input_tokens,
 * output_tokens, cache_read_input_tokens, cache_creation_input_tokens, images, cost, latency_ms, status, stream,
 * target, start_time, end_time (the times in epoch ms). Every value is made valid for its column here: one malformed
 * row must not make the whole batch fail on every retry, holding back everyone else's spend.
 */
function toSpendTuple(r: SpendRow): unknown[] {
  return [
    r.requestId,
    // Not a key id: logged without a key, like a row whose key was deleted (the alias still says whose it was).
    typeof r.keyId === "string" && UUID.test(r.keyId) ? r.keyId : null,
    r.keyAlias,
    r.model ?? "unknown",
    r.bedrockModel,
    int4(r.inputTokens),
    int4(r.outputTokens),
    int4(r.cacheReadInputTokens),
    int4(r.cacheCreationInputTokens),
    r.images === undefined ? null : int4(r.images),
    Number.isFinite(r.cost) && r.cost > 0 ? r.cost : 0,
    r.latencyMs === null ? null : int4(r.latencyMs),
    int4(r.status),
    r.stream,
    r.target,
    epochMs(r.startTime) ?? Date.now(),
    epochMs(r.endTime),
  ];
}

const INT4_MAX = 2_147_483_647;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function int4(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Math.max(-INT4_MAX - 1, Math.min(INT4_MAX, Math.round(n)));
}

/** A valid date's epoch milliseconds; null for none or an invalid one. */
function epochMs(d: Date | null): number | null {
  const ms = d === null ? NaN : d.getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** A JS number as a decimal string Postgres numeric accepts (String() may use exponent form, which it also accepts). */
function decimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite amount: ${n}`);
  return String(n);
}
