// The emulator's prompt-cache model must behave like Anthropic's for multi-turn conversations, or gateway tests of
// cache billing prove nothing.
import { describe, expect, it } from "vitest";
import { PromptCache, totalInputTokens, type Segment } from "../support/emulator/tokens.ts";

const seg = (text: string, breakpoint?: "5m" | "1h"): Segment => ({ json: JSON.stringify(text), ...(breakpoint ? { breakpoint } : {}) });

describe("emulator prompt cache", () => {
  it("writes on first sight and reads the same prefix later", () => {
    const cache = new PromptCache();
    const req = [seg("system ".repeat(50), "5m"), seg("hello")];
    const a = cache.account("m", req);
    expect(a.cacheWriteTokens).toBe(totalInputTokens(req.slice(0, 1)));
    expect(a.cacheReadTokens).toBe(0);
    const b = cache.account("m", req);
    expect(b.cacheReadTokens).toBe(a.cacheWriteTokens);
    expect(b.cacheWriteTokens).toBe(0);
    expect(cache.account("other-model", req).cacheReadTokens).toBe(0);
  });

  it("reads the longest earlier breakpoint when the conversation grows past it (as Claude Code's does)", () => {
    const cache = new PromptCache();
    const system = seg("system ".repeat(50), "5m");
    const turn1 = [system, seg("user one", "5m")];
    cache.account("m", turn1);
    const turn2 = [system, seg("user one"), seg("assistant one"), seg("user two", "5m")];
    const u = cache.account("m", turn2);
    expect(u.cacheReadTokens).toBe(totalInputTokens([system]));
    expect(u.cacheReadTokens + u.cacheWriteTokens).toBe(totalInputTokens(turn2));
  });

  it("splits a mixed-TTL write into its 1-hour share", () => {
    const cache = new PromptCache();
    const req = [seg("tools ".repeat(20), "1h"), seg("system ".repeat(20), "5m"), seg("q")];
    const u = cache.account("m", req);
    expect(u.cacheWrite1hTokens).toBe(totalInputTokens(req.slice(0, 1)));
    expect(u.cacheWriteTokens).toBe(totalInputTokens(req.slice(0, 2)));
  });
});
