import * as z from "zod/mini";
import type { AdminKey, KeyFields } from "../../db/admin-queries.ts";
import { LIMITED_NUMBERS, type KeyDefaults, type KeyLimits } from "../../keys/bounds.ts";
import { DURATION_FORMAT, isTimeZone, positiveDurationMs } from "../../keys/time-fields.ts";
import { parseDuration, periodEnd } from "../../meter/periods.ts";
import type { Catalog } from "../../models/catalog.ts";
import { MAX_METADATA_BYTES, jsonBytes } from "../../db/storable.ts";
import { fieldError, instantParam } from "./input.ts";

// The settable fields of a key, in LiteLLM's names, shared by /key/generate and /key/update: their shapes (zod) and
// their meaning (models from the catalog, durations, time zones, the gateway's defaults and upper bounds).

const INT4_MAX = 2_147_483_647;
// numeric(20, 6) holds 14 digits before the point.
const MAX_USD = 1e12;

const text = (max: number) =>
  z.string({ error: "must be a string" }).check(z.minLength(1, "must not be empty (use null to clear it)"), z.maxLength(max, `must be at most ${max} characters`));
const limit = z.nullable(
  z.int({ error: "must be a whole number or null" }).check(z.gte(1, "must be at least 1 (null = no limit)"), z.lte(INT4_MAX, `must be at most ${INT4_MAX}`)),
);
const usd = z.number({ error: "must be a number" }).check(z.gte(0, "must not be negative"), z.lte(MAX_USD, `must be at most ${MAX_USD}`));

export const KEY_FIELDS = {
  key_alias: z.optional(z.nullable(text(256))),
  user_id: z.optional(z.nullable(text(256))),
  team_id: z.optional(z.nullable(text(256))),
  models: z.optional(
    z.array(z.string({ error: "must be model names" }).check(z.minLength(1, "must not be empty"), z.maxLength(256, "is too long")), {
      error: "must be an array of model names ([] = every model)",
    }).check(z.maxLength(200, "must list at most 200 models")),
  ),
  max_budget: z.optional(z.nullable(usd)),
  budget_duration: z.optional(z.nullable(z.string({ error: `must be ${DURATION_FORMAT}, or null` }))),
  budget_timezone: z.optional(z.nullable(z.string({ error: "must be an IANA time zone such as Europe/Paris, or null" }))),
  rpm_limit: z.optional(limit),
  tpm_limit: z.optional(limit),
  max_parallel_requests: z.optional(limit),
  duration: z.optional(z.nullable(z.string({ error: `must be ${DURATION_FORMAT}, or null for a key that never expires` }))),
  expires: z.optional(z.nullable(z.string({ error: "must be an ISO 8601 date-time, or null for a key that never expires" }))),
  metadata: z.optional(z.nullable(z.record(z.string(), z.unknown(), { error: "must be a JSON object" }))),
  blocked: z.optional(z.boolean({ error: "must be true or false" })),
};

export const KeyFieldsInput = z.strictObject(KEY_FIELDS);
export type KeyFieldsInput = z.infer<typeof KeyFieldsInput> & { spend?: number };

export const SpendInput = usd;

export interface FieldRules {
  catalog: Catalog;
  defaults: KeyDefaults;
  limits: KeyLimits;
  now: Date;
}

/**
 * The database fields for a new key: the request's values, then the gateway's defaults for what it left out, then
 * the upper bounds (a value above one is refused; an unlimited value becomes the bound, as LiteLLM does).
 */
export function fieldsForNewKey(input: KeyFieldsInput, rules: FieldRules): KeyFields {
  const withDefaults: KeyFieldsInput = { ...input };
  const d = rules.defaults;
  for (const f of [...LIMITED_NUMBERS, "budget_duration", "budget_timezone"] as const) {
    if (withDefaults[f] === undefined && d[f] !== undefined) (withDefaults as Record<string, unknown>)[f] = d[f];
  }
  if (withDefaults.duration === undefined && withDefaults.expires === undefined && d.duration !== undefined) withDefaults.duration = d.duration;

  const fields = convert(withDefaults, rules);
  for (const f of LIMITED_NUMBERS) {
    const bound = rules.limits[f];
    if (bound === undefined) continue;
    const prop = CAMEL[f];
    if (fields[prop] == null) fields[prop] = bound;
    else checkBound(f, fields[prop], bound);
  }
  if (rules.limits.duration !== undefined) {
    const bound = positiveDurationMs(rules.limits.duration)!;
    if (fields.expires == null) fields.expires = new Date(rules.now.getTime() + bound);
    else checkLifetime(input.expires !== undefined && input.expires !== null ? "expires" : "duration", fields.expires, rules);
  }
  if (rules.limits.budget_duration !== undefined) {
    if (fields.budgetDuration == null) fields.budgetDuration = rules.limits.budget_duration;
    else checkBudgetPeriod(fields.budgetDuration, rules.limits.budget_duration);
  }
  fields.budgetResetAt = resetAfter(fields.budgetDuration ?? null, fields.budgetTimezone ?? null, rules.now);
  return { models: [], metadata: {}, ...fields };
}

/**
 * The database fields an update changes: only the fields present in the request, each checked against the upper
 * bounds (so an update cannot lift a key beyond what /key/generate would allow, nor make it unlimited).
 */
export function fieldsForUpdate(input: KeyFieldsInput, existing: AdminKey, rules: FieldRules): KeyFields {
  const fields = convert(input, rules);
  for (const f of LIMITED_NUMBERS) {
    const bound = rules.limits[f];
    const value = fields[CAMEL[f]];
    if (bound === undefined || value === undefined) continue;
    if (value === null) throw fieldError(f, `cannot be unlimited: the gateway's limit is ${bound}`);
    checkBound(f, value, bound);
  }
  if (rules.limits.duration !== undefined && fields.expires !== undefined) {
    const param = input.expires !== undefined ? "expires" : "duration";
    if (fields.expires === null) throw fieldError(param, `cannot be unlimited: keys may live at most ${rules.limits.duration}`);
    checkLifetime(param, fields.expires, rules);
  }
  if (rules.limits.budget_duration !== undefined && fields.budgetDuration !== undefined) {
    if (fields.budgetDuration === null) throw fieldError("budget_duration", `cannot be removed: budget periods may be at most ${rules.limits.budget_duration}`);
    checkBudgetPeriod(fields.budgetDuration, rules.limits.budget_duration);
  }
  // A new period length or zone starts a new period now.
  if (fields.budgetDuration !== undefined || fields.budgetTimezone !== undefined) {
    const duration = fields.budgetDuration === undefined ? existing.budgetDuration : fields.budgetDuration;
    const zone = fields.budgetTimezone === undefined ? existing.budgetTimezone : fields.budgetTimezone;
    fields.budgetResetAt = resetAfter(duration, zone, rules.now);
  }
  return fields;
}

const CAMEL = { max_budget: "maxBudget", rpm_limit: "rpmLimit", tpm_limit: "tpmLimit", max_parallel_requests: "maxParallelRequests" } as const;

/** Checks each present field's meaning and maps it to its column; absent fields stay absent. */
function convert(input: KeyFieldsInput, rules: FieldRules): KeyFields {
  const out: KeyFields = {};
  if (input.key_alias !== undefined) out.keyAlias = input.key_alias;
  if (input.user_id !== undefined) out.userId = input.user_id;
  if (input.team_id !== undefined) out.teamId = input.team_id;
  if (input.models !== undefined) out.models = checkModels(input.models, rules.catalog);
  if (input.max_budget !== undefined) out.maxBudget = input.max_budget;
  if (input.rpm_limit !== undefined) out.rpmLimit = input.rpm_limit;
  if (input.tpm_limit !== undefined) out.tpmLimit = input.tpm_limit;
  if (input.max_parallel_requests !== undefined) out.maxParallelRequests = input.max_parallel_requests;
  if (input.blocked !== undefined) out.blocked = input.blocked;
  if (input.metadata !== undefined) {
    const mode = input.metadata?.budget_mode;
    // A misspelt mode would silently give the standard guarantee to someone who asked for the strict one.
    if (mode !== undefined && mode !== "standard" && mode !== "strict") throw fieldError("metadata.budget_mode", `must be "standard" or "strict", not ${JSON.stringify(mode)}`);
    // Depth and text are checked with the whole body (readAdminBody); the size here, as stored.
    if (input.metadata && jsonBytes(input.metadata) > MAX_METADATA_BYTES) throw fieldError("metadata", `must be at most ${MAX_METADATA_BYTES / 1024} KiB as JSON`);
    out.metadata = input.metadata ?? {};
  }
  if (input.spend !== undefined) out.spend = input.spend;
  if (input.budget_duration !== undefined) {
    const v = input.budget_duration;
    // The meter must be able to read every period stored here.
    if (v !== null && parseDuration(v) === null) throw fieldError("budget_duration", `must be ${DURATION_FORMAT}, not "${v}"`);
    out.budgetDuration = v;
  }
  if (input.budget_timezone !== undefined) {
    const v = input.budget_timezone;
    if (v !== null && !isTimeZone(v)) throw fieldError("budget_timezone", `"${v}" is not an IANA time zone (e.g. "UTC", "Europe/Paris")`);
    out.budgetTimezone = v;
  }
  if (input.duration !== undefined && input.expires !== undefined) throw fieldError("duration", "give either duration or expires, not both");
  if (input.duration !== undefined) {
    if (input.duration === null) out.expires = null;
    else {
      const ms = positiveDurationMs(input.duration);
      if (ms === null) throw fieldError("duration", `must be ${DURATION_FORMAT}, not "${input.duration}"`);
      out.expires = new Date(rules.now.getTime() + ms);
    }
  }
  if (input.expires !== undefined) {
    if (input.expires === null) out.expires = null;
    else {
      const parsed = instantParam("expires", input.expires);
      if (parsed.at.getTime() <= rules.now.getTime()) throw fieldError("expires", "must be in the future (to stop a key now, block or delete it)");
      out.expires = parsed.at;
    }
  }
  return out;
}

/** Every name must be one the catalog serves (so a typo cannot make a key useless); duplicates are dropped. */
function checkModels(models: string[], catalog: Catalog): string[] {
  for (const m of models) {
    if (!catalog.resolve(m) && !catalog.isGroup(m)) {
      throw fieldError("models", `unknown model "${m}". Available models: ${catalog.names().join(", ")}; groups: ${Object.keys(catalog.groups()).join(", ")}`);
    }
  }
  return [...new Set(models)];
}

function checkBound(field: string, value: number, bound: number): void {
  if (value > bound) throw fieldError(field, `${value} is above the gateway's limit of ${bound}`);
}

function checkLifetime(param: string, expires: Date, rules: FieldRules): void {
  const bound = rules.limits.duration!;
  // A second of slack: `duration` equal to the bound must pass though a little time passed since `now`.
  if (expires.getTime() - rules.now.getTime() > positiveDurationMs(bound)! + 1000) throw fieldError(param, `keys may live at most ${bound}`);
}

function checkBudgetPeriod(value: string, bound: string): void {
  if (positiveDurationMs(value)! > positiveDurationMs(bound)!) throw fieldError("budget_duration", `"${value}" is longer than the gateway's limit of ${bound}`);
}

/** When the first budget period ends: day-based periods at local midnight in the key's zone (as the meter resets). */
function resetAfter(duration: string | null, zone: string | null, now: Date): Date | null {
  if (duration === null) return null;
  return new Date(periodEnd(now.getTime(), now.getTime(), duration, zone ?? "UTC"));
}
