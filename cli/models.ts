// Which catalog models a key's Claude Code settings should name, from the catalog data the gateway is built with.
import { MODELS, type ModelRow } from "../worker/models/catalog-data.ts";

/** Every Claude model the catalog serves (what `--claude-only` allows). */
export const CLAUDE_MODELS: readonly string[] = MODELS.filter((m) => m.api === "anthropic").map((m) => m.name);

/** The models Claude Code is told to use, one per setting. */
export interface ClaudeModelChoice {
  /** ANTHROPIC_MODEL: the session's default. */
  main: string;
  /** ANTHROPIC_DEFAULT_SONNET_MODEL, …_OPUS_MODEL, …_HAIKU_MODEL (Haiku also runs Claude Code's background tasks). */
  sonnet: string;
  opus: string;
  haiku: string;
  /** ANTHROPIC_SMALL_FAST_MODEL (older Claude Code releases' name for the background model); set with --model. */
  smallFast?: string;
}

/**
 * Every Claude Code model setting pointing at one chat model (`key create --model`): the main session and the
 * small, fast background calls alike, so Claude Code never asks for a model the key is not meant to use. The name
 * must be a chat model of the catalog (a name or an alias); null when it is not.
 */
export function singleModelChoice(name: string): ClaudeModelChoice | null {
  const row = MODELS.find((m) => m.name === name || m.aliases?.includes(name));
  if (!row || row.api === "embedding") return null;
  return { main: name, sonnet: name, opus: name, haiku: name, smallFast: name };
}

/** Chat model names for a usage message. */
export function chatModelNames(): string[] {
  return MODELS.filter((m) => m.api !== "embedding").map((m) => m.name);
}

type Family = "opus" | "sonnet" | "haiku";

/**
 * For a key's model list ([] = every model), the newest model of each Claude family it may use, preferring models
 * whose Bedrock id and price are verified (an unverified id may not exist in the account yet). A family the key may
 * not use falls back to the nearest one it may, so Claude Code never asks for a model the key is refused. Names are
 * returned as the key lists them: the gateway matches the key's list against the name the client sends.
 * Null when the key may use no Claude model at all.
 */
export function claudeModelsFor(allowed: readonly string[]): ClaudeModelChoice | null {
  const usable = usableClaudeModels(allowed);
  const best = (family: Family) => usable.filter((u) => familyOf(u.row) === family).sort(preference)[0]?.name;
  const opus = best("opus");
  const sonnet = best("sonnet");
  const haiku = best("haiku");
  const any = [...usable].sort(preference)[0]?.name;
  if (any === undefined) return null;
  return {
    main: sonnet ?? opus ?? haiku ?? any,
    sonnet: sonnet ?? opus ?? haiku ?? any,
    opus: opus ?? sonnet ?? haiku ?? any,
    haiku: haiku ?? sonnet ?? opus ?? any,
  };
}

/** A short description of a key's model list for tables: "all", "all Claude (16)", or the names. */
export function describeModels(models: readonly string[]): string {
  if (models.length === 0) return "all";
  if (CLAUDE_MODELS.every((m) => models.includes(m)) && models.length === CLAUDE_MODELS.length) return `all Claude (${models.length})`;
  return models.join(",");
}

interface Usable {
  /** As the key lists it. */
  name: string;
  row: ModelRow;
}

function usableClaudeModels(allowed: readonly string[]): Usable[] {
  const claude = MODELS.filter((m) => m.api === "anthropic");
  if (allowed.length === 0) return claude.map((row) => ({ name: row.name, row }));
  const out: Usable[] = [];
  for (const name of allowed) {
    const row = claude.find((m) => m.name === name || m.aliases?.includes(name));
    if (row) out.push({ name, row });
  }
  return out;
}

function familyOf(row: ModelRow): Family | null {
  for (const f of ["opus", "sonnet", "haiku"] as const) if (row.name.includes(`-${f}-`)) return f;
  return null;
}

/** Verified before unverified, then newest first, then the canonical name before an alias of the same model. */
function preference(a: Usable, b: Usable): number {
  const verified = Number(b.row.verified !== false) - Number(a.row.verified !== false);
  if (verified !== 0) return verified;
  if (a.row.released !== b.row.released) return a.row.released < b.row.released ? 1 : -1;
  return Number(a.name !== a.row.name) - Number(b.name !== b.row.name);
}
