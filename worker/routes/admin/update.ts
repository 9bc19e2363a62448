import * as z from "zod/mini";
import { updateKey } from "../../db/admin-queries.ts";
import { auditEntry, keyChanged } from "./audit.ts";
import type { AdminContext } from "./env.ts";
import { fieldError, readAdminBody } from "./input.ts";
import { fieldsForUpdate, KEY_FIELDS, SpendInput } from "./key-fields.ts";
import { KeyRef, resolveKey } from "./key-ref.ts";
import { keyView } from "./key-view.ts";
import { checkAliasFree, fieldRules } from "./rules.ts";

// `spend` too, as in LiteLLM: setting it to 0 starts a key's budget afresh.
const UpdateRequest = z.strictObject({ key: KeyRef, ...KEY_FIELDS, spend: z.optional(SpendInput) });

/** `POST /key/update` `{ key, …fields }`: changes the fields given; absent fields stay, null clears. */
export async function updateKeyRoute(c: AdminContext): Promise<Response> {
  const { key: ref, ...input } = await readAdminBody(c, UpdateRequest);
  const changed = Object.keys(input);
  if (changed.length === 0) throw fieldError("key", "nothing to update: give at least one field to change");
  const existing = await resolveKey(c, ref, "key");
  const fields = fieldsForUpdate(input, existing, fieldRules(c));
  if (fields.keyAlias !== undefined && fields.keyAlias !== existing.keyAlias) await checkAliasFree(c, fields.keyAlias, existing.id);
  const row = await updateKey(c.get("services").db, existing.id, fields, auditEntry(c, "key.update", { changed }));
  if (!row) throw fieldError("key", "no such key", 404);
  await keyChanged(c, "key.update", [row], [existing.keyHash, existing.graceKeyHash]);
  return c.json(keyView(row), 200);
}
