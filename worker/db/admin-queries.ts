import { and, count, desc, eq, gt, gte, inArray, lt, max, ne, or, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { TypedQueryBuilder } from "drizzle-orm/query-builders/query-builder";
import type { AnyPgDatabase, SpendRow } from "./queries.ts";
import { adminAudit, apiKeys, spendLogs } from "./schema.ts";

// The admin API's data functions. Every change to a key is ONE statement that also writes its audit row (a
// data-modifying CTE), so over Neon's HTTP driver a change and its audit record commit together or not at all.

/** Everything the admin API knows about a key. The hashes are for cache invalidation only: never serialise them. */
export interface AdminKey {
  id: string;
  keyHash: string;
  keyPrefix: string;
  keyAlias: string | null;
  userId: string | null;
  teamId: string | null;
  models: string[];
  maxBudget: number | null;
  spend: number;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  budgetTimezone: string | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  expires: Date | null;
  blocked: boolean;
  metadata: Record<string, unknown>;
  graceKeyHash: string | null;
  graceExpires: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The settable fields of a key (money as numbers in USD). Absent = unchanged; null = unlimited / none. */
export interface KeyFields {
  keyAlias?: string | null;
  userId?: string | null;
  teamId?: string | null;
  models?: string[];
  maxBudget?: number | null;
  spend?: number;
  budgetDuration?: string | null;
  budgetResetAt?: Date | null;
  budgetTimezone?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  expires?: Date | null;
  blocked?: boolean;
  metadata?: Record<string, unknown>;
}

/** Who did what, for the audit row written with the change. `details` must never hold a key or a hash. */
export interface AuditEntry {
  action: string;
  actor: string;
  requestId: string;
  details: Record<string, unknown>;
}

const KEY_COLUMNS = {
  id: apiKeys.id,
  keyHash: apiKeys.keyHash,
  keyPrefix: apiKeys.keyPrefix,
  keyAlias: apiKeys.keyAlias,
  userId: apiKeys.userId,
  teamId: apiKeys.teamId,
  models: apiKeys.models,
  maxBudget: apiKeys.maxBudget,
  spend: apiKeys.spend,
  budgetDuration: apiKeys.budgetDuration,
  budgetResetAt: apiKeys.budgetResetAt,
  budgetTimezone: apiKeys.budgetTimezone,
  rpmLimit: apiKeys.rpmLimit,
  tpmLimit: apiKeys.tpmLimit,
  maxParallelRequests: apiKeys.maxParallelRequests,
  expires: apiKeys.expires,
  blocked: apiKeys.blocked,
  metadata: apiKeys.metadata,
  graceKeyHash: apiKeys.graceKeyHash,
  graceExpires: apiKeys.graceExpires,
  createdAt: apiKeys.createdAt,
  updatedAt: apiKeys.updatedAt,
};

type KeyColumnsRow = Awaited<ReturnType<typeof selectKeys>>[number];

function selectKeys(db: AnyPgDatabase) {
  return db.select(KEY_COLUMNS).from(apiKeys);
}

function toAdminKey(row: KeyColumnsRow): AdminKey {
  // numeric arrives as an exact decimal string; the admin API reports amounts as JSON numbers.
  return { ...row, maxBudget: row.maxBudget === null ? null : Number(row.maxBudget), spend: Number(row.spend) };
}

/** Drizzle's column values for the fields that are present (numeric columns take decimal strings). */
function columnValues(f: KeyFields) {
  const { maxBudget, spend, ...rest } = f;
  return {
    ...rest,
    ...(maxBudget === undefined ? {} : { maxBudget: maxBudget === null ? null : decimal(maxBudget) }),
    ...(spend === undefined ? {} : { spend: decimal(spend) }),
  };
}

/**
 * Runs `change` (an INSERT/UPDATE/DELETE … RETURNING the key columns) and, in the same statement, writes one audit
 * row per key it touched; returns the touched keys. No key touched = no audit row.
 */
async function changeWithAudit(db: AnyPgDatabase, change: TypedQueryBuilder<typeof KEY_COLUMNS>, entry: AuditEntry): Promise<AdminKey[]> {
  const changed = db.$with("changed").as(change);
  // Each row's details also name the key by its prefix, which is shown in listings and is no secret.
  const audit = db.$with("audit", { id: adminAudit.id }).as(sql`
    insert into ${adminAudit} (action, actor, key_id, key_alias, request_id, details)
    select ${entry.action}, ${entry.actor}, c.id, c.key_alias, ${entry.requestId},
      jsonb_build_object('key_name', c.key_prefix) || ${JSON.stringify(entry.details)}::jsonb
    from changed c
    returning id`);
  const rows = await db.with(changed, audit).select().from(changed);
  return rows.map(toAdminKey);
}

/** A key by row id, or by the SHA-256 of its current key or of its previous key while that is in its grace period. */
export async function findAdminKey(db: AnyPgDatabase, ref: { id: string } | { hash: string }): Promise<AdminKey | null> {
  const where =
    "id" in ref
      ? eq(apiKeys.id, ref.id)
      : or(eq(apiKeys.keyHash, ref.hash), and(eq(apiKeys.graceKeyHash, ref.hash), gt(apiKeys.graceExpires, sql`now()`)));
  const rows = await selectKeys(db).where(where).limit(1);
  return rows[0] ? toAdminKey(rows[0]) : null;
}

/** Every key with one of these aliases. */
export async function findKeysByAliases(db: AnyPgDatabase, aliases: string[]): Promise<AdminKey[]> {
  if (aliases.length === 0) return [];
  const rows = await selectKeys(db).where(inArray(apiKeys.keyAlias, aliases));
  return rows.map(toAdminKey);
}

/** Whether another key (not `exceptId`) already uses this alias. */
export async function aliasInUse(db: AnyPgDatabase, alias: string, exceptId?: string): Promise<boolean> {
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyAlias, alias), exceptId === undefined ? undefined : ne(apiKeys.id, exceptId)))
    .limit(1);
  return rows.length > 0;
}

/** Stores a new key (its hash, never the key) and its audit row. */
export async function createKey(db: AnyPgDatabase, key: KeyFields & { keyHash: string; keyPrefix: string }, entry: AuditEntry): Promise<AdminKey> {
  const values = { models: [], metadata: {}, ...columnValues(key), keyHash: key.keyHash, keyPrefix: key.keyPrefix };
  const [row] = await changeWithAudit(db, db.insert(apiKeys).values(values).returning(KEY_COLUMNS), entry);
  if (!row) throw new Error("createKey: the database returned no row");
  return row;
}

/** Changes the given fields of key `id`; null when there is no such key. */
export async function updateKey(db: AnyPgDatabase, id: string, fields: KeyFields, entry: AuditEntry): Promise<AdminKey | null> {
  const [row] = await changeWithAudit(db, db.update(apiKeys).set(columnValues(fields)).where(eq(apiKeys.id, id)).returning(KEY_COLUMNS), entry);
  return row ?? null;
}

export function blockKey(db: AnyPgDatabase, id: string, entry: AuditEntry): Promise<AdminKey | null> {
  return updateKey(db, id, { blocked: true }, entry);
}

export function unblockKey(db: AnyPgDatabase, id: string, entry: AuditEntry): Promise<AdminKey | null> {
  return updateKey(db, id, { blocked: false }, entry);
}

export interface Rotation {
  /** The hash the key had when the caller read it: a rotation that raced another one changes nothing. */
  expectedHash: string;
  newHash: string;
  newPrefix: string;
  /** Until when the previous key keeps working; null = it stops at once. */
  graceUntil: Date | null;
}

/**
 * Gives key `id` a new secret. With a grace period the previous key moves to grace_key_hash (replacing any older
 * one still in grace); without, it stops working at once. Null when the key is gone or was rotated meanwhile.
 */
export async function rotateKey(db: AnyPgDatabase, id: string, r: Rotation, entry: AuditEntry): Promise<AdminKey | null> {
  const grace = r.graceUntil
    ? // In SET, a column reference reads the row as it was before this UPDATE: the previous key's hash.
      { graceKeyHash: sql`${apiKeys.keyHash}`, graceExpires: r.graceUntil }
    : { graceKeyHash: null, graceExpires: null };
  const change = db
    .update(apiKeys)
    .set({ keyHash: r.newHash, keyPrefix: r.newPrefix, ...grace })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.keyHash, r.expectedHash)))
    .returning(KEY_COLUMNS);
  const [row] = await changeWithAudit(db, change, entry);
  return row ?? null;
}

/** Deletes these keys (their spend logs stay, with key_id null); returns the keys deleted. */
export async function deleteKeys(db: AnyPgDatabase, ids: string[], entry: AuditEntry): Promise<AdminKey[]> {
  if (ids.length === 0) return [];
  return changeWithAudit(db, db.delete(apiKeys).where(inArray(apiKeys.id, ids)).returning(KEY_COLUMNS), entry);
}

export interface KeyListFilter {
  keyAlias?: string;
  userId?: string;
  teamId?: string;
}

/** One page of keys, newest first, and how many match in all. `page` counts from 1. */
export async function listKeys(db: AnyPgDatabase, filter: KeyListFilter, page: number, size: number): Promise<{ keys: AdminKey[]; total: number }> {
  const where = and(
    filter.keyAlias === undefined ? undefined : eq(apiKeys.keyAlias, filter.keyAlias),
    filter.userId === undefined ? undefined : eq(apiKeys.userId, filter.userId),
    filter.teamId === undefined ? undefined : eq(apiKeys.teamId, filter.teamId),
  );
  const [rows, totals] = await Promise.all([
    selectKeys(db)
      .where(where)
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(size)
      .offset((page - 1) * size),
    db.select({ n: count() }).from(apiKeys).where(where),
  ]);
  return { keys: rows.map(toAdminKey), total: totals[0]?.n ?? 0 };
}

/** When each of these keys last made a request, from the spend log (a key never used is absent). */
export async function lastUsedByKey(db: AnyPgDatabase, ids: string[]): Promise<Map<string, Date>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ keyId: spendLogs.keyId, last: max(spendLogs.startTime) })
    .from(spendLogs)
    .where(inArray(spendLogs.keyId, ids))
    .groupBy(spendLogs.keyId);
  return new Map(rows.flatMap((r) => (r.keyId && r.last ? [[r.keyId, new Date(r.last)] as const] : [])));
}

export interface SpendLogFilter {
  keyId?: string;
  model?: string;
  requestId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  until?: Date;
  limit: number;
}

/** A spend-log row as read back: what the gateway writes (`SpendRow`), with `stream` nullable in the table. */
export type SpendLogEntry = Omit<SpendRow, "stream" | "images"> & { stream: boolean | null; images: number | null };

/** Spend-log rows matching every given filter, newest first. */
export async function querySpendLogs(db: AnyPgDatabase, f: SpendLogFilter): Promise<SpendLogEntry[]> {
  const rows = await db
    .select({
      requestId: spendLogs.requestId,
      keyId: spendLogs.keyId,
      keyAlias: spendLogs.keyAlias,
      model: spendLogs.model,
      bedrockModel: spendLogs.bedrockModel,
      inputTokens: spendLogs.inputTokens,
      outputTokens: spendLogs.outputTokens,
      cacheReadInputTokens: spendLogs.cacheReadInputTokens,
      cacheCreationInputTokens: spendLogs.cacheCreationInputTokens,
      images: spendLogs.images,
      cost: spendLogs.cost,
      latencyMs: spendLogs.latencyMs,
      status: spendLogs.status,
      stream: spendLogs.stream,
      target: spendLogs.target,
      startTime: spendLogs.startTime,
      endTime: spendLogs.endTime,
    })
    .from(spendLogs)
    .where(
      and(
        f.keyId === undefined ? undefined : eq(spendLogs.keyId, f.keyId),
        f.model === undefined ? undefined : eq(spendLogs.model, f.model),
        f.requestId === undefined ? undefined : eq(spendLogs.requestId, f.requestId),
        f.from === undefined ? undefined : gte(spendLogs.startTime, f.from),
        f.until === undefined ? undefined : lt(spendLogs.startTime, f.until),
      ),
    )
    .orderBy(desc(spendLogs.startTime), desc(spendLogs.id))
    .limit(f.limit);
  return rows.map((r) => ({ ...r, cost: Number(r.cost) }));
}

export interface DailySpend {
  /** The local date (YYYY-MM-DD) in the report's time zone. */
  day: string;
  keyId: string | null;
  keyAlias: string | null;
  model: string;
  /** USD. */
  spend: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

/**
 * Spend per local day × key × model for the local dates `firstDay`..`lastDay` (YYYY-MM-DD, both included) in
 * `timeZone` (an IANA name Postgres knows). Days run from local midnight to local midnight, DST included.
 */
export async function dailySpend(db: AnyPgDatabase, firstDay: string, lastDay: string, timeZone: string): Promise<DailySpend[]> {
  const localMidnight = (day: SQL) => sql`((${day})::timestamp at time zone ${timeZone})`;
  const day = sql<string>`to_char(date_trunc('day', ${spendLogs.startTime} at time zone ${timeZone}), 'YYYY-MM-DD')`;
  const total = (col: AnyColumn) => sql`coalesce(sum(${col}), 0)`.mapWith(Number);
  return db
    .select({
      day: day.as("day"),
      keyId: spendLogs.keyId,
      keyAlias: spendLogs.keyAlias,
      model: spendLogs.model,
      spend: total(spendLogs.cost),
      requests: count(),
      inputTokens: total(spendLogs.inputTokens),
      outputTokens: total(spendLogs.outputTokens),
      cacheReadInputTokens: total(spendLogs.cacheReadInputTokens),
      cacheCreationInputTokens: total(spendLogs.cacheCreationInputTokens),
    })
    .from(spendLogs)
    .where(
      and(
        gte(spendLogs.startTime, localMidnight(sql`${firstDay}::date`)),
        lt(spendLogs.startTime, localMidnight(sql`${lastDay}::date + 1`)),
      ),
    )
    // By position: the day expression carries its own parameters, so repeating it would not match the SELECT's.
    .groupBy(sql`1`, spendLogs.keyId, spendLogs.keyAlias, spendLogs.model)
    .orderBy(sql`1`, spendLogs.keyAlias, spendLogs.model);
}

/** A JS number as a decimal string Postgres numeric accepts. */
function decimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite amount: ${n}`);
  return String(n);
}
