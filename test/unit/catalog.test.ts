import { describe, expect, it } from "vitest";
import { Catalog } from "../../worker/models/catalog.ts";
import { MODELS } from "../../worker/models/catalog-data.ts";
import { bedrockBetas } from "../../worker/models/betas.ts";

const catalog = new Catalog({ geoPrefix: "us" });

describe("model catalog", () => {
  it("maps the names Claude Code sends today to Bedrock inference profiles", () => {
    for (const name of ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]) {
      const m = catalog.resolve(name);
      expect(m?.row.api).toBe("anthropic");
      expect(m?.invokeId).toMatch(/^us\.anthropic\.claude-/);
    }
    expect(catalog.resolve("claude-sonnet-4-6")?.invokeId).toBe("us.anthropic.claude-sonnet-4-6");
    expect(catalog.resolve("claude-opus-4-6")?.invokeId).toBe("us.anthropic.claude-opus-4-6-v1");
  });

  it("resolves dated ids and aliases exactly, never by prefix", () => {
    expect(catalog.resolve("claude-sonnet-4-5-20250929")?.row.name).toBe("claude-sonnet-4-5");
    expect(catalog.resolve("claude-haiku-4-5-20251001")?.invokeId).toBe("us.anthropic.claude-haiku-4-5-20251001-v1:0");
    expect(catalog.resolve("claude-mythos-5-2")?.row.name).toBe("claude-mythos-5");
    expect(catalog.resolve("claude-sonnet")).toBeNull();
    expect(catalog.resolve("claude-sonnet-4-6-extra")).toBeNull();
    expect(catalog.resolve("CLAUDE-SONNET-4-6")).toBeNull();
    expect(catalog.resolve("")).toBeNull();
  });

  it("uses the base id where the geography is not offered, and for count-tokens", () => {
    const eu = new Catalog({ geoPrefix: "eu" });
    expect(eu.resolve("claude-opus-4-1")?.invokeId).toBe("anthropic.claude-opus-4-1-20250805-v1:0");
    expect(eu.resolve("claude-sonnet-4-6")?.baseId).toBe("anthropic.claude-sonnet-4-6");
    expect(new Catalog({ geoPrefix: "" }).resolve("claude-sonnet-4-6")?.invokeId).toBe("anthropic.claude-sonnet-4-6");
  });

  it("passes known Bedrock ids and profile ids through as they are", () => {
    const m = catalog.resolve("global.anthropic.claude-sonnet-4-6");
    expect(m?.invokeId).toBe("global.anthropic.claude-sonnet-4-6");
    expect(m?.baseId).toBe("anthropic.claude-sonnet-4-6");
    expect(m?.row.name).toBe("claude-sonnet-4-6");
  });

  it("turns the [1m] suffix into the 1M-context beta", () => {
    const m = catalog.resolve("claude-opus-4-7[1m]");
    expect(m?.row.name).toBe("claude-opus-4-7");
    expect(m?.impliedBetas).toEqual(["context-1m-2025-08-07"]);
  });

  it("applies operator aliases and id overrides, and rejects aliases to unknown models", () => {
    const c = new Catalog({ geoPrefix: "us", aliases: { "claude-sonnet-4-5": "claude-sonnet-4-6" }, bedrockIds: { "claude-opus-5-5": "global.anthropic.claude-opus-5-5-v2" } });
    expect(c.resolve("claude-sonnet-4-5")?.row.name).toBe("claude-sonnet-4-6");
    expect(c.resolve("claude-opus-5-5")?.invokeId).toBe("global.anthropic.claude-opus-5-5-v2");
    expect(c.resolve("claude-opus-5-5")?.baseId).toBe("anthropic.claude-opus-5-5-v2");
    expect(() => new Catalog({ geoPrefix: "us", aliases: { x: "nope" } })).toThrow(/unknown model/);
  });

  it("has unique names and aliases and a price for every model", () => {
    const seen = new Set<string>();
    for (const m of MODELS) {
      for (const n of [m.name, ...(m.aliases ?? [])]) {
        expect(seen.has(n), n).toBe(false);
        seen.add(n);
      }
      expect(m.price.input).toBeGreaterThan(0);
      if (m.api === "embedding") expect(m.embedding).toBeDefined();
      else expect(m.price.output).toBeGreaterThanOrEqual(m.price.input);
    }
    for (const n of ["deepseek-v3.2", "qwen3-coder-480b", "kimi-k2.5", "nova-pro", "nova-lite", "nova-micro"]) expect(seen.has(n), n).toBe(true);
  });
});

describe("beta flags", () => {
  const opus = catalog.resolve("claude-opus-4-7")!.row;
  const haiku = catalog.resolve("claude-haiku-4-5")!.row;
  it("keeps only flags Bedrock accepts for the model and translates bundles", () => {
    const claudeCode = ["claude-code-20250219", "interleaved-thinking-2025-05-14", "context-management-2025-06-27", "per-turn-control-2026-07-01", "advanced-tool-use-2025-11-20", "effort-2025-11-24"];
    expect(bedrockBetas(claudeCode, opus)).toEqual([
      "interleaved-thinking-2025-05-14", "context-management-2025-06-27", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29", "effort-2025-11-24",
    ]);
    expect(bedrockBetas(claudeCode, haiku)).toEqual(["interleaved-thinking-2025-05-14", "context-management-2025-06-27"]);
    expect(bedrockBetas(["oauth-2025-04-20", "prompt-caching-2024-07-31"], opus)).toEqual([]);
  });
});
