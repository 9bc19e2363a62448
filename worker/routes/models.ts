import type { AppContext } from "../context.ts";
import type { Catalog, ModelRow } from "../models/catalog.ts";

/**
 * `GET /v1/models`, limited to the models the caller's key may use, in the caller's dialect: Anthropic clients
 * (they send `anthropic-version`, Claude Code and the Anthropic SDKs always do) get Anthropic's format with the Claude
 * models; everyone else gets OpenAI's list of every chat and embedding model.
 */
export function listModels(c: AppContext): Response {
  const { catalog } = c.get("services");
  const key = c.get("key");
  const names = catalog.allowedNames(key.models);
  const allowed = catalog.models.filter((m) => names === null || names.has(m.name));
  if (c.req.header("anthropic-version")) {
    const data = allowed
      .filter((m) => m.api === "anthropic")
      .map((m) => ({ type: "model", id: m.name, display_name: m.displayName, created_at: `${m.released}T00:00:00Z`, ...lifecycleFields(catalog, m) }));
    return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  }
  const data = allowed.map((m) => ({
    id: m.name,
    object: "model",
    created: Math.floor(Date.parse(`${m.released}T00:00:00Z`) / 1000),
    owned_by: m.bedrockId.split(".")[0] ?? "bedrock",
    ...lifecycleFields(catalog, m),
  }));
  return c.json({ object: "list", data });
}

/** A model with an end date says so: when it ends, what succeeds it, and whether the successor already serves it. */
function lifecycleFields(catalog: Catalog, m: ModelRow): Record<string, unknown> {
  const life = catalog.lifecycle(m);
  return life ? { deprecated: true, end_of_life: life.endOfLife, successor: life.successor, retired: life.retired } : {};
}
