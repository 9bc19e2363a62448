// Naming a key on the command line: its alias (what people use), its token id (shown by `key info`), or the key
// itself. The admin API takes a token id or a key; an alias is looked up first.
import type { KeyListResponse, KeyView } from "./api-types.ts";
import { ApiError } from "./errors.ts";
import type { AdminClient } from "./http.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type KeyRefKind = "id" | "key" | "alias";

/** How the text names a key. Pure. */
export function refKind(text: string): KeyRefKind {
  if (UUID.test(text)) return "id";
  if (text.startsWith("sk-")) return "key";
  return "alias";
}

/**
 * What to send as `key` in an admin request body: the id or key as given, or the id of the one key with that alias.
 * When the alias was looked up, its view comes along (saves `key info` a request).
 */
export async function resolveKeyRef(client: AdminClient, text: string): Promise<{ ref: string; view?: KeyView }> {
  if (refKind(text) !== "alias") return { ref: text };
  const found = await client.get<KeyListResponse>("/key/list", { key_alias: text, size: 100 });
  if (found.keys.length === 0) throw new ApiError(`no key has the alias "${text}" (see: breakwater key list)`, 404);
  if (found.keys.length > 1) {
    throw new ApiError(`${found.total_count} keys have the alias "${text}": name one by its token id (${found.keys.map((k) => k.token_id).join(", ")})`, 409);
  }
  const view = found.keys[0]!;
  return { ref: view.token_id, view };
}
