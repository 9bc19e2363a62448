import * as z from "zod/mini";
import { blockKey, unblockKey } from "../../db/admin-queries.ts";
import { auditEntry, keyChanged } from "./audit.ts";
import type { AdminContext } from "./env.ts";
import { fieldError, readAdminBody } from "./input.ts";
import { KeyRef, resolveKey } from "./key-ref.ts";
import { keyView } from "./key-view.ts";

const KeyRequest = z.strictObject({ key: KeyRef });

/** `POST /key/block` `{ key }`: the key is refused from now on (401), until unblocked. */
export const blockKeyRoute = (c: AdminContext) => setBlocked(c, true);

/** `POST /key/unblock` `{ key }`. */
export const unblockKeyRoute = (c: AdminContext) => setBlocked(c, false);

async function setBlocked(c: AdminContext, blocked: boolean): Promise<Response> {
  const { key: ref } = await readAdminBody(c, KeyRequest);
  const existing = await resolveKey(c, ref, "key");
  const action = blocked ? "key.block" : "key.unblock";
  const db = c.get("services").db;
  const entry = auditEntry(c, action);
  const row = blocked ? await blockKey(db, existing.id, entry) : await unblockKey(db, existing.id, entry);
  if (!row) throw fieldError("key", "no such key", 404);
  await keyChanged(c, action, [row], [existing.keyHash, existing.graceKeyHash]);
  return c.json(keyView(row), 200);
}
