import { own } from "../util/own.ts";
import type { ModelRow } from "./catalog-data.ts";

// Beta flags Bedrock accepts in `anthropic_beta`, kept as data. Anything else a client sends (Claude Code sends
// `claude-code-20250219`, `oauth-*`, `prompt-caching-*`, …) is dropped, because Bedrock answers an unknown flag with
// a 400 and the user's request would fail. A flag is the client's text: the tables are read through `own`, so one
// named `toString` or `constructor` finds nothing rather than Object.prototype's members.
const ACCEPTED: Readonly<Record<string, (m: ModelRow) => boolean>> = {
  "computer-use-2024-10-22": () => true,
  "computer-use-2025-01-24": () => true,
  "computer-use-2025-11-24": () => true,
  "token-efficient-tools-2025-02-19": () => true,
  "output-128k-2025-02-19": () => true,
  "fine-grained-tool-streaming-2025-05-14": () => true,
  "interleaved-thinking-2025-05-14": () => true,
  "dev-full-thinking-2025-05-14": () => true,
  "context-1m-2025-08-07": () => true,
  "context-management-2025-06-27": () => true,
  "effort-2025-11-24": (m) => m.name.includes("opus"),
  "tool-search-tool-2025-10-19": (m) => !m.name.includes("haiku"),
  "tool-examples-2025-10-29": (m) => !m.name.includes("haiku"),
  "compact-2026-01-12": () => true,
};

// Names the Anthropic API uses for a bundle that Bedrock splits into separate flags.
const TRANSLATED: Readonly<Record<string, readonly string[]>> = {
  "advanced-tool-use-2025-11-20": ["tool-search-tool-2025-10-19", "tool-examples-2025-10-29"],
};

/** The subset of the client's flags (plus flags implied by the model name) that Bedrock accepts for this model. */
export function bedrockBetas(requested: readonly string[], model: ModelRow): string[] {
  const out: string[] = [];
  for (const flag of requested) {
    for (const f of own(TRANSLATED, flag) ?? [flag]) {
      const ok = own(ACCEPTED, f);
      if (ok && ok(model) && !out.includes(f)) out.push(f);
    }
  }
  return out;
}
