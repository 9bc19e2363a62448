import { aliasInUse } from "../../db/admin-queries.ts";
import type { AdminContext } from "./env.ts";
import type { FieldRules } from "./key-fields.ts";
import { fieldError } from "./input.ts";

/** What key fields are checked against: the catalog, KEY_DEFAULTS, KEY_LIMITS, and one clock reading. */
export function fieldRules(c: AdminContext): FieldRules {
  const s = c.get("services");
  return { catalog: s.catalog, defaults: s.config.keyDefaults, limits: s.config.keyLimits, now: new Date() };
}

/**
 * Aliases name keys in /key/delete and in spend reports, so they are kept unique (as LiteLLM does). Checked here
 * rather than by a unique index: keys made before the admin API (scripts, tests) may share an alias.
 */
export async function checkAliasFree(c: AdminContext, alias: string | null | undefined, exceptId?: string): Promise<void> {
  if (alias == null) return;
  if (await aliasInUse(c.get("services").db, alias, exceptId)) throw fieldError("key_alias", `another key already has the alias "${alias}"`);
}
