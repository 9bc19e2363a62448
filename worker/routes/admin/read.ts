import { listKeys } from "../../db/admin-queries.ts";
import type { AdminContext } from "./env.ts";
import { fieldError, intParam, queryParams } from "./input.ts";
import { resolveKey } from "./key-ref.ts";
import { keyView } from "./key-view.ts";

/** `GET /key/info?key=<key or token_id>` → `{ key: token_id, info: {…} }` (LiteLLM's shape, without the hash). */
export async function keyInfo(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["key"]);
  if (q.key === undefined) throw fieldError("key", "is required: the key or its token_id");
  const key = await resolveKey(c, q.key, "key");
  return c.json({ key: key.id, info: keyView(key) }, 200);
}

const MAX_PAGE_SIZE = 100;

/**
 * `GET /key/list?page=&size=&key_alias=&user_id=&team_id=` → `{ keys, total_count, current_page, total_pages }`,
 * newest first. Keys are shown by token_id and key_name (their first characters) only.
 */
export async function keyList(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["page", "size", "key_alias", "user_id", "team_id"]);
  const page = intParam("page", q.page, 1, 1, 1_000_000);
  const size = intParam("size", q.size, 10, 1, MAX_PAGE_SIZE);
  const { keys, total } = await listKeys(c.get("services").db, { keyAlias: q.key_alias, userId: q.user_id, teamId: q.team_id }, page, size);
  const now = new Date();
  return c.json({ keys: keys.map((k) => keyView(k, now)), total_count: total, current_page: page, total_pages: Math.ceil(total / size) }, 200);
}
