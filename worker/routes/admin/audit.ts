import type { AdminKey, AuditEntry } from "../../db/admin-queries.ts";
import { logEvent } from "../../util/log.ts";
import type { AdminContext } from "./env.ts";

/** The audit record for this request's action. `details` is stored as is: put no key or hash in it. */
export function auditEntry(c: AdminContext, action: string, details: Record<string, unknown> = {}): AuditEntry {
  return { action, actor: c.get("adminActor"), requestId: c.get("requestId"), details };
}

/**
 * After a key changed: every cache and meter that may hold it forgets it, under every hash it may be cached by
 * (current and previous keys, before and after the change), and the change is logged.
 */
export async function keyChanged(c: AdminContext, action: string, keys: AdminKey[], extraHashes: (string | null)[] = []): Promise<void> {
  const events = c.get("services").keyEvents;
  for (const k of keys) {
    const hashes = [...new Set([k.keyHash, k.graceKeyHash, ...extraHashes].filter((h): h is string => h !== null))];
    await events.changed(k.id, hashes);
    logEvent("info", { msg: "admin key change", action, requestId: c.get("requestId"), actor: c.get("adminActor"), keyId: k.id, key: k.keyAlias });
  }
}
