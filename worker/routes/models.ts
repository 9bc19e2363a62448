import type { AppContext } from "../context.ts";

/** `GET /v1/models` in the Anthropic format, limited to the models the caller's key may use. */
export function listModels(c: AppContext): Response {
  const { catalog } = c.get("services");
  const key = c.get("key");
  const rows = catalog.models.filter((m) => m.api === "anthropic" && (key.models.length === 0 || key.models.includes(m.name)));
  const data = rows.map((m) => ({ type: "model", id: m.name, display_name: m.displayName, created_at: `${m.released}T00:00:00Z` }));
  return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}
