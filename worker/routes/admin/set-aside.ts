// Spend-row chunks a key's meter object could not read and set aside (worker/meter/key-meter-object.ts): an operator
// lists them with the reason and the text, salvages what can be billed (written to Postgres like any row), and
// discards what is left once handled. Rare by construction (a bug or damaged storage makes them), and the only
// spend rows that wait for a person, so they get a way out rather than a note in a log.
import * as z from "zod/mini";
import type { AdminContext } from "./env.ts";
import { fieldError, queryParams, readAdminBody } from "./input.ts";
import { KeyRef, resolveKey } from "./key-ref.ts";

/** Chunk names are short (the flush's `rows:<batch>:<n>`); a longer one names nothing that is stored. */
const MAX_CHUNK_NAME = 200;

const SalvageRequest = z.strictObject({ key: KeyRef });
const DiscardRequest = z.strictObject({
  key: KeyRef,
  chunks: z.array(z.string().check(z.minLength(1), z.maxLength(MAX_CHUNK_NAME)), { error: "must be the names of set-aside chunks" }).check(z.minLength(1, "must name at least one chunk"), z.maxLength(1000)),
});

function chunkName(param: string, value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw fieldError(param, "is required: a chunk's name, as listed");
    return undefined;
  }
  if (value.length > MAX_CHUNK_NAME) throw fieldError(param, `must be a chunk's name, as listed (at most ${MAX_CHUNK_NAME} characters)`);
  return value;
}

/**
 * `GET /spend/unreadable?key=<key or token_id>[&after=<name>]` → `{ key, chunks: [{ name, bytes, problem, text,
 * truncated }], next }`: a page of chunks, oldest first; `next` (when more follow) is the `after` of the next page.
 */
export async function listSetAsideRoute(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["key", "after"]);
  if (q.key === undefined) throw fieldError("key", "is required: the key or its token_id");
  const after = chunkName("after", q.after, false);
  const key = await resolveKey(c, q.key, "key");
  const setAside = c.get("services").meter.setAside;
  const page = setAside ? await setAside.list(key.id, after) : { chunks: [], next: null };
  return c.json({ key: key.id, ...page }, 200);
}

/** `GET /spend/unreadable/chunk?key=…&name=…` → `{ key, chunk }`: one chunk with all of its text, or a 404 on `name`. */
export async function showSetAsideRoute(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["key", "name"]);
  if (q.key === undefined) throw fieldError("key", "is required: the key or its token_id");
  const name = chunkName("name", q.name, true)!;
  const key = await resolveKey(c, q.key, "key");
  const chunk = (await c.get("services").meter.setAside?.show(key.id, name)) ?? null;
  if (!chunk) throw fieldError("name", "names no chunk set aside for this key", 404);
  return c.json({ key: key.id, chunk }, 200);
}

/** `POST /spend/unreadable/salvage` `{ key }` → `{ key, rows, chunks, dropped, kept: [{ name, problem }] }`. */
export async function salvageSetAsideRoute(c: AdminContext): Promise<Response> {
  const { key: ref } = await readAdminBody(c, SalvageRequest);
  const key = await resolveKey(c, ref, "key");
  const setAside = c.get("services").meter.setAside;
  const report = setAside ? await setAside.salvage(key.id) : { rows: 0, chunks: 0, dropped: 0, kept: [] };
  return c.json({ key: key.id, ...report }, 200);
}

/** `POST /spend/unreadable/discard` `{ key, chunks: [name, …] }` → `{ key, discarded }`. */
export async function discardSetAsideRoute(c: AdminContext): Promise<Response> {
  const { key: ref, chunks } = await readAdminBody(c, DiscardRequest);
  const key = await resolveKey(c, ref, "key");
  const setAside = c.get("services").meter.setAside;
  return c.json({ key: key.id, discarded: setAside ? await setAside.discard(key.id, chunks) : 0 }, 200);
}
