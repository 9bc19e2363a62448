import * as z from "zod/mini";
import { findAdminKey, type AdminKey } from "../../db/admin-queries.ts";
import { sha256Hex } from "../../keys/hash.ts";
import type { AdminContext } from "./env.ts";
import { fieldError } from "./input.ts";

// Admin requests name a key either by the key itself or by its row id (`token_id`, shown in listings). Only the id
// form can be used by someone who does not hold the secret.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The schema of a key reference in a body: a non-empty string of sane length. */
export const KeyRef = z.string({ error: "is required: the key or its token_id" }).check(
  z.minLength(1, "is required: the key or its token_id"),
  z.maxLength(256, "is too long to be a key or a token_id"),
);

/** The key that `ref` names (a key, also its previous key during a grace period, or a row id); 404 naming `param`. */
export async function resolveKey(c: AdminContext, ref: string, param: string): Promise<AdminKey> {
  const db = c.get("services").db;
  const key = UUID.test(ref) ? await findAdminKey(db, { id: ref.toLowerCase() }) : await findAdminKey(db, { hash: await sha256Hex(ref) });
  if (!key) throw fieldError(param, "no such key", 404);
  return key;
}
