import * as z from "zod/mini";
import { deleteKeys, findKeysByAliases } from "../../db/admin-queries.ts";
import { auditEntry, keyChanged } from "./audit.ts";
import type { AdminContext } from "./env.ts";
import { fieldError, readAdminBody } from "./input.ts";
import { KeyRef, resolveKey } from "./key-ref.ts";

const MAX_PER_REQUEST = 100;

const DeleteRequest = z.strictObject({
  keys: z.optional(z.array(KeyRef, { error: "must be an array of keys or token_ids" }).check(z.maxLength(MAX_PER_REQUEST, `must list at most ${MAX_PER_REQUEST}`))),
  key_aliases: z.optional(
    z.array(z.string({ error: "must be key aliases" }), { error: "must be an array of key aliases" }).check(z.maxLength(MAX_PER_REQUEST, `must list at most ${MAX_PER_REQUEST}`)),
  ),
});

/**
 * `POST /key/delete` `{ keys?: [...], key_aliases?: [...] }` → `{ deleted_keys: [token_id, …] }`. All or nothing:
 * if any key or alias is unknown, nothing is deleted. The keys' spend logs stay (their key_id becomes null).
 * Unlike LiteLLM, `deleted_keys` lists token ids, never the keys that were sent.
 */
export async function deleteKeyRoute(c: AdminContext): Promise<Response> {
  const { keys = [], key_aliases = [] } = await readAdminBody(c, DeleteRequest);
  if (keys.length === 0 && key_aliases.length === 0) throw fieldError("keys", "give the keys (or token_ids) to delete in keys, or their aliases in key_aliases");
  const db = c.get("services").db;
  const byRef = await Promise.all(keys.map((ref) => resolveKey(c, ref, "keys")));
  const byAlias = await findKeysByAliases(db, key_aliases);
  for (const alias of key_aliases) {
    if (!byAlias.some((k) => k.keyAlias === alias)) throw fieldError("key_aliases", `no key has the alias "${alias}"`, 404);
  }
  const ids = [...new Set([...byRef, ...byAlias].map((k) => k.id))];
  const deleted = await deleteKeys(db, ids, auditEntry(c, "key.delete"));
  await keyChanged(c, "key.delete", deleted);
  return c.json({ deleted_keys: deleted.map((k) => k.id) }, 200);
}
