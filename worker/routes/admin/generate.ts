import { createKey } from "../../db/admin-queries.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../../keys/hash.ts";
import { auditEntry, keyChanged } from "./audit.ts";
import type { AdminContext } from "./env.ts";
import { readAdminBody } from "./input.ts";
import { fieldsForNewKey, KeyFieldsInput } from "./key-fields.ts";
import { keyView } from "./key-view.ts";
import { checkAliasFree, fieldRules } from "./rules.ts";

/**
 * `POST /key/generate`: makes a key. The response is the only place the key itself ever appears: only its SHA-256
 * is stored.
 */
export async function generateKey(c: AdminContext): Promise<Response> {
  const input = await readAdminBody(c, KeyFieldsInput);
  const fields = fieldsForNewKey(input, fieldRules(c));
  await checkAliasFree(c, fields.keyAlias);
  const key = generateApiKey();
  const row = await createKey(
    c.get("services").db,
    { ...fields, keyHash: await sha256Hex(key), keyPrefix: keyPrefix(key) },
    auditEntry(c, "key.generate", { fields: Object.keys(input) }),
  );
  // A client may have tried the key before it existed (it was cached as unknown): forget that too.
  await keyChanged(c, "key.generate", [row]);
  return c.json({ key, ...keyView(row) }, 200);
}
