import type { AdminKey } from "../../db/admin-queries.ts";

/**
 * A key as the admin API shows it, in LiteLLM's field names. The fields are listed one by one (never a spread of
 * the row), so a hash can never slip into a response: the key is named by its id (`token_id`) and its first
 * characters (`key_name`).
 */
export function keyView(k: AdminKey, now = new Date()) {
  const inGrace = k.graceKeyHash !== null && k.graceExpires !== null && k.graceExpires.getTime() > now.getTime();
  return {
    token_id: k.id,
    key_name: k.keyPrefix,
    key_alias: k.keyAlias,
    user_id: k.userId,
    team_id: k.teamId,
    models: k.models,
    spend: k.spend,
    max_budget: k.maxBudget,
    budget_duration: k.budgetDuration,
    budget_reset_at: iso(k.budgetResetAt),
    budget_timezone: k.budgetTimezone,
    rpm_limit: k.rpmLimit,
    tpm_limit: k.tpmLimit,
    max_parallel_requests: k.maxParallelRequests,
    expires: iso(k.expires),
    blocked: k.blocked,
    metadata: k.metadata,
    /** Until when the previous key still works after a regenerate; null when it no longer does. */
    grace_expires: inGrace ? iso(k.graceExpires) : null,
    created_at: iso(k.createdAt),
    updated_at: iso(k.updatedAt),
  };
}

export type KeyView = ReturnType<typeof keyView>;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
