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
