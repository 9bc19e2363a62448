// The meter's estimate: built from the text of the parsed body, cache-aware per key, output from the key's recent
// answers; checked against the emulator's own usage accounting on Claude-Code-shaped traffic.
import { describe, expect, it } from "vitest";
import { CHARS_PER_TOKEN, estimateParts, estimateRequest, FIRST_OUTPUT_TOKENS, NO_RECALL, priceEstimate, worstCase } from "../../worker/meter/estimate.ts";
import { costOf } from "../../worker/meter/cost.ts";
import { UsageMemory } from "../../worker/meter/usage-memory.ts";
import { claudeSegments, type ClaudeRequest } from "../support/emulator/claude.ts";
import { PromptCache } from "../support/emulator/tokens.ts";
import { ClaudeCodeSession } from "../support/claude-code-workload.ts";

const SONNET = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 };
const opts = { dialect: "anthropic" as const, maxTokens: 1000, price: SONNET, caching: true };

describe("estimate from the parsed body", () => {
  it("counts the text, not JSON punctuation nor the base64 of images", () => {
    const text = "word ".repeat(7000); // 35,000 characters
    const plain = estimateParts(estimateRequest({ messages: [{ role: "user", content: text }] }, opts), NO_RECALL);
    expect(plain.input).toBe(Math.ceil(35_000 / CHARS_PER_TOKEN));
    const withImage = estimateParts(
      estimateRequest({ messages: [{ role: "user", content: [{ type: "text", text }, { type: "image", source: { type: "base64", media_type: "image/png", data: "A".repeat(1_000_000) } }] }] }, opts),
      NO_RECALL,
    );
    // One image is at most 1,600 tokens, whatever the size of its base64.
    expect(withImage.input - plain.input).toBe(1600);
  });

  it("prices a marked prefix as a cache write until the key has cached it, then as a read until its TTL ends", () => {
    let now = 1_000_000;
    const memory = new UsageMemory(100, () => now);
    const body = {
      system: [{ type: "text", text: "s".repeat(70_000), cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "q".repeat(3500) }],
    };
    const e = estimateRequest(body, opts);
    expect(estimateParts(e, memory.recall("k"))).toMatchObject({ cacheWrite5m: 20_000, cacheRead: 0, input: 1000 });
    memory.learn("k", { outputTokens: 200, cacheTouched: true, prefixes: e.shape.prefixes });
    expect(estimateParts(e, memory.recall("k"))).toMatchObject({ cacheWrite5m: 0, cacheRead: 20_000, input: 1000, output: 512 });
    expect(estimateParts(e, memory.recall("other-key")).cacheRead).toBe(0); // per key
    now += 5 * 60_000;
    expect(estimateParts(e, memory.recall("k")).cacheRead).toBe(0); // the 5-minute TTL has passed
  });

  it("splits a write by TTL like Anthropic: the 1-hour share up to the last 1-hour breakpoint", () => {
    const body = {
      system: [
        { type: "text", text: "a".repeat(35_000), cache_control: { type: "ephemeral", ttl: "1h" } },
        { type: "text", text: "b".repeat(35_000), cache_control: { type: "ephemeral" } },
      ],
      messages: [{ role: "user", content: "hi" }],
    };
    expect(estimateParts(estimateRequest(body, opts), NO_RECALL)).toMatchObject({ cacheWrite1h: 10_000, cacheWrite5m: 10_000 });
    // A model without prompt caching bills it all as input.
    expect(estimateParts(estimateRequest(body, { ...opts, caching: false }), NO_RECALL)).toMatchObject({ cacheWrite1h: 0, input: 20_001 });
  });

  it("expects output from the key's recent answers, never more than max_tokens", () => {
    const memory = new UsageMemory();
    const e = estimateRequest({ messages: [{ role: "user", content: "hi" }] }, { ...opts, maxTokens: 32_000 });
    expect(estimateParts(e, memory.recall("k")).output).toBe(FIRST_OUTPUT_TOKENS);
    for (const n of [120, 900, 300]) memory.learn("k", { outputTokens: n, cacheTouched: false, prefixes: [] });
    expect(estimateParts(e, memory.recall("k")).output).toBe(1350); // the longest recent answer and a half
    const small = estimateRequest({ messages: [{ role: "user", content: "hi" }] }, { ...opts, maxTokens: 50 });
    expect(estimateParts(small, memory.recall("k")).output).toBe(50);
  });

  it("keeps its memory bounded: keys beyond the limit are forgotten, oldest first", () => {
    const memory = new UsageMemory(3);
    for (const k of ["a", "b", "c", "d"]) memory.learn(k, { outputTokens: 10, cacheTouched: false, prefixes: [] });
    expect(memory.size).toBe(3);
    expect(memory.recall("a").typicalOutput()).toBeNull();
    expect(memory.recall("d").typicalOutput()).toBe(512);
  });

  it("reads OpenAI bodies too: message- and part-level cache_control, tool calls, image parts", () => {
    const body = {
      messages: [
        { role: "system", content: [{ type: "text", text: "s".repeat(7000), cache_control: { type: "ephemeral" } }] },
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64," + "A".repeat(100_000) } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "read", arguments: '{"path":"a"}' } }], cache_control: { type: "ephemeral" } },
      ],
    };
    const e = estimateRequest(body, { ...opts, dialect: "openai" });
    expect(e.shape.prefixes).toHaveLength(2);
    expect(e.shape.images).toBe(1);
    expect(estimateParts(e, NO_RECALL).cacheWrite5m).toBe(Math.ceil((7000 + 4 + 16) / CHARS_PER_TOKEN) + 1600);
  });
});

describe("estimate against the emulator's usage (Claude Code traffic)", () => {
  it("reserves about what a cached Claude Code request really costs, not 20–80× more", () => {
    const session = new ClaudeCodeSession({ seed: "estimate-unit", tokens: 120_000 });
    const cache = new PromptCache();
    const memory = new UsageMemory();
    const ratios: number[] = [];
    let reservedTotal = 0;
    let realTotal = 0;
    for (let turn = 0; turn < 8; turn++) {
      const words = [400, 1200, 150, 800][turn % 4]!;
      const body = session.next(words);
      const e = estimateRequest(body, { dialect: "anthropic", maxTokens: 32_000, price: SONNET, caching: true });
      const bytes = Buffer.byteLength(JSON.stringify(body));
      const reserved = priceEstimate(e, memory.recall("k"), worstCase(bytes, 32_000, SONNET).cost);
      // What the emulator bills for the same body (its deterministic tokenizer and prompt cache).
      const u = cache.account("claude-sonnet-4-6", claudeSegments({ anthropic_version: "bedrock-2023-05-31", ...body } as unknown as ClaudeRequest));
      const usage = { input_tokens: u.inputTokens, output_tokens: words + 1, cache_read_input_tokens: u.cacheReadTokens, cache_creation_input_tokens: u.cacheWriteTokens };
      const real = costOf(usage, SONNET);
      if (turn === 0) {
        // The request from the issue: its worst case is above a $2 budget; the estimate is not.
        expect(reserved.worst).toBeGreaterThan(2);
        expect(reserved.cost).toBeLessThan(real * 1.5);
      } else {
        expect(u.cacheReadTokens / (u.cacheReadTokens + u.cacheWriteTokens + u.inputTokens)).toBeGreaterThan(0.9);
        ratios.push(reserved.cost / real);
        reservedTotal += reserved.cost;
        realTotal += real;
      }
      memory.learn("k", { outputTokens: usage.output_tokens, cacheTouched: true, prefixes: e.shape.prefixes });
    }
    // Cached turns: close to the bill. An answer longer than any recent one is the usual reason to fall short of it.
    for (const r of ratios) {
      expect(r).toBeGreaterThan(0.75);
      expect(r).toBeLessThan(2);
    }
    expect(reservedTotal).toBeGreaterThanOrEqual(realTotal);
  });
});
