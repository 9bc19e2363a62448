import { defer } from "../../context.ts";
import type { AdminKey, AuditEntry } from "../../db/admin-queries.ts";
import { MeterUnavailable } from "../../meter/meter.ts";
import type { KeyEvents } from "../../services.ts";
import { logEvent } from "../../util/log.ts";
import type { AdminContext } from "./env.ts";

/** Waits between the later tries to tell a key's meter object of a change it did not hear (about 15 s in all). */
const RETELL_MS = [500, 1000, 2000, 4000, 8000];

/** The audit record for this request's action. `details` is stored as is: put no key or hash in it. */
export function auditEntry(c: AdminContext, action: string, details: Record<string, unknown> = {}): AuditEntry {
  return { action, actor: c.get("adminActor"), requestId: c.get("requestId"), details };
}

/**
 * After a key changed: every cache and meter that may hold it forgets it, under every hash it may be cached by
 * (current and previous keys, before and after the change), and the change is logged.
 *
 * The change is stored before this runs, so a key's meter object that cannot be reached does not fail the call (a
 * retried generate would make a second key; a failed regenerate would hide the new key for good). Its word is sent
 * again after the response, and until it lands the key is still stopped where it matters: an isolate spends from
 * its lease for LEASE_MS at most, then needs that same object to admit anything.
 */
export async function keyChanged(c: AdminContext, action: string, keys: AdminKey[], extraHashes: (string | null)[] = []): Promise<void> {
  const events = c.get("services").keyEvents;
  for (const k of keys) {
    const hashes = [...new Set([k.keyHash, k.graceKeyHash, ...extraHashes].filter((h): h is string => h !== null))];
    try {
      await events.changed(k.id, hashes);
    } catch (err) {
      if (!(err instanceof MeterUnavailable)) throw err;
      logEvent("warn", { msg: "admin key change: the key's meter did not hear of it; retrying after the response", action, requestId: c.get("requestId"), keyId: k.id, error: err });
      defer(c, retell(events, k.id, hashes, c.get("requestId")));
    }
    logEvent("info", { msg: "admin key change", action, requestId: c.get("requestId"), actor: c.get("adminActor"), keyId: k.id, key: k.keyAlias });
  }
}

async function retell(events: KeyEvents, keyId: string, hashes: string[], requestId: string): Promise<void> {
  for (const wait of RETELL_MS) {
    await new Promise((r) => setTimeout(r, wait));
    try {
      await events.changed(keyId, hashes);
      logEvent("info", { msg: "admin key change: the key's meter heard of it on a later try", requestId, keyId });
      return;
    } catch (err) {
      if (!(err instanceof MeterUnavailable)) throw err;
    }
  }
  logEvent("error", { msg: "admin key change: the key's meter never heard of it; isolates holding the key reload it within the key cache's TTL", requestId, keyId });
}
