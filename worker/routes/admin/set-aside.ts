// Spend-row chunks a key's meter object could not read and set aside (worker/meter/key-meter-object.ts): an operator
// lists them with the reason and the text, salvages what can be billed (written to Postgres like any row), and
// discards what is left once handled. Rare by construction (a bug or damaged storage makes them), and the only
// spend rows that wait for a person, so they get a way out rather than a note in a log.
import * as z from "zod/mini";
import type { AdminContext } from "./env.ts";
import { fieldError, queryParams, readAdminBody } from "./input.ts";
import { KeyRef, resolveKey } from "./key-ref.ts";

const SalvageRequest = z.strictObject({ key: KeyRef });
const DiscardRequest = z.strictObject({
  key: KeyRef,
  chunks: z.array(z.string().check(z.minLength(1), z.maxLength(200)), { error: "must be the names of set-aside chunks" }).check(z.minLength(1, "must name at least one chunk"), z.maxLength(1000)),
});

/** `GET /spend/unreadable?key=<key or token_id>` → `{ key, chunks: [{ name, bytes, problem, text, truncated }] }`. */
export async function listSetAsideRoute(c: AdminContext): Promise<Response> {
  const q = queryParams(c, ["key"]);
  if (q.key === undefined) throw fieldError("key", "is required: the key or its token_id");
  const key = await resolveKey(c, q.key, "key");
  const setAside = c.get("services").meter.setAside;
  return c.json({ key: key.id, chunks: setAside ? await setAside.list(key.id) : [] }, 200);
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
