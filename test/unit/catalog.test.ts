import { describe, expect, it } from "vitest";
import { Catalog } from "../../worker/models/catalog.ts";
import { MODELS } from "../../worker/models/catalog-data.ts";
import { bedrockBetas } from "../../worker/models/betas.ts";

// Before claude-sonnet-4-5's end of life, so these tests see every model served by its own id.
const BEFORE_EOL = Date.parse("2026-11-15T12:00:00Z");
const catalog = new Catalog({ geoPrefix: "us", now: () => BEFORE_EOL });

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
      if (m.api === "image") {
        // Priced per image, never by tokens: a region to call it in and a price above zero.
        expect(m.image?.perImage, m.name).toBeGreaterThan(0);
        expect(m.region, m.name).toMatch(/^us-(east|west)-[12]$/);
        continue;
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

describe("model lifecycle", () => {
  const at = (iso: string) => new Catalog({ geoPrefix: "us", now: () => Date.parse(iso) });

  it("serves claude-sonnet-4-5 by its own id through its end-of-life day, by its successor from the next day", () => {
    for (const name of ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"]) {
      const before = at("2026-11-30T23:59:59Z").resolve(name)!;
      expect(before.invokeId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
      expect(before.retired).toBeUndefined();
      const after = at("2026-12-01T00:00:00Z").resolve(name)!;
      expect(after.row.name).toBe("claude-sonnet-4-6");
      expect(after.invokeId).toBe("us.anthropic.claude-sonnet-4-6");
      expect(after.requested).toBe(name);
      expect(after.retired).toEqual({ name: "claude-sonnet-4-5", endOfLife: "2026-11-30" });
    }
  });

  it("reports the lifecycle for /v1/models and none for models without an end date", () => {
    const row = MODELS.find((m) => m.name === "claude-sonnet-4-5")!;
    expect(at("2026-11-01T00:00:00Z").lifecycle(row)).toEqual({ endOfLife: "2026-11-30", successor: "claude-sonnet-4-6", retired: false });
    expect(at("2026-12-04T00:00:00Z").lifecycle(row)).toEqual({ endOfLife: "2026-11-30", successor: "claude-sonnet-4-6", retired: true });
    expect(at("2026-12-04T00:00:00Z").lifecycle(MODELS.find((m) => m.name === "claude-sonnet-4-6")!)).toBeNull();
  });

  it("follows a chain of retired successors, and refuses a successor that does not exist", () => {
    const rows = [
      { ...MODELS.find((m) => m.name === "nova-lite")!, endOfLife: "2026-01-01", successor: "nova-pro" },
      { ...MODELS.find((m) => m.name === "nova-pro")!, endOfLife: "2026-02-01", successor: "nova-2-lite" },
      MODELS.find((m) => m.name === "nova-2-lite")!,
    ];
    expect(new Catalog({ geoPrefix: "", now: () => Date.parse("2026-03-01T00:00:00Z") }, rows).resolve("nova-lite")!.row.name).toBe("nova-2-lite");
    expect(new Catalog({ geoPrefix: "", now: () => Date.parse("2026-01-15T00:00:00Z") }, rows).resolve("nova-lite")!.row.name).toBe("nova-pro");
    expect(() => new Catalog({ geoPrefix: "" }, [{ ...rows[2]!, endOfLife: "2027-01-01", successor: "nope" }])).toThrow(/unknown successor/);
  });
});
