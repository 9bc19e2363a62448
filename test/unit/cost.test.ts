import { describe, expect, it } from "vitest";
import { costOf } from "../../worker/meter/cost.ts";

const SONNET = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 };

describe("cost", () => {
  it("prices each token kind at its own rate", () => {
    expect(costOf({ input_tokens: 1_000_000, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, SONNET)).toBe(3);
    expect(costOf({ input_tokens: 0, output_tokens: 1_000_000, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, SONNET)).toBe(15);
    expect(costOf({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000, cache_creation_input_tokens: 0 }, SONNET)).toBe(0.3);
    expect(costOf({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 1_000_000 }, SONNET)).toBe(3.75);
  });

  it("prices 1-hour cache writes separately", () => {
    const u = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 2_000_000, cache_creation_1h_input_tokens: 1_000_000 };
    expect(costOf(u, SONNET)).toBe(9.75);
  });

  it("is exact to 1e-10 USD for small requests", () => {
    const u = { input_tokens: 12, output_tokens: 7, cache_read_input_tokens: 3, cache_creation_input_tokens: 5 };
    // 12*3 + 7*15 + 3*0.3 + 5*3.75 = 36 + 105 + 0.9 + 18.75 = 160.65 micro-dollars
    expect(costOf(u, SONNET)).toBe(0.00016065);
  });

  it("falls back to the input price when a model has no cache prices", () => {
    const u = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000, cache_creation_input_tokens: 1_000_000 };
    expect(costOf(u, { input: 1, output: 2 })).toBe(2);
  });
});

describe("worst-case estimate", () => {
  it("bounds input by bytes plus a preamble at the dearest input rate, output by max_tokens, and allows for images", async () => {
    const { worstCase, countImages } = await import("../../worker/meter/estimate.ts");
    const e = worstCase(1000, 100, SONNET);
    expect(e.cost).toBeCloseTo(((1000 + 1024) * 6 + 100 * 15) / 1e6, 12);
    expect(e.tokens).toBe(250);
    expect(worstCase(1000, 100, SONNET, 2).cost).toBeCloseTo(((1000 + 1024 + 3200) * 6 + 100 * 15) / 1e6, 12);
    const body = {
      messages: [
        { role: "user", content: [{ type: "text", text: "x" }, { type: "image", source: {} }, { type: "image_url", image_url: { url: "data:" } }] },
        { role: "user", content: [{ type: "tool_result", content: [{ type: "image", source: {} }] }] },
        { role: "user", content: "plain" },
      ],
    };
    expect(countImages(body)).toBe(3);
    expect(countImages({})).toBe(0);
  });
});
