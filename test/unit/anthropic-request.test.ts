import { describe, expect, it } from "vitest";
import { splitBetaHeader, toBedrockInvokeBody, type BedrockModelSupport } from "../../worker/protocols/anthropic/request.ts";
import { claudeCodeRequest } from "../support/fixtures.ts";

const FULL: BedrockModelSupport = { supportsCaching: true, supportsCacheTtl: true, supportsOutputConfig: true };
const OLD: BedrockModelSupport = { supportsCaching: true, supportsCacheTtl: false, supportsOutputConfig: false };
const NO_CACHE: BedrockModelSupport = { supportsCaching: false, supportsCacheTtl: false, supportsOutputConfig: true };

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** Every cache_control object anywhere in a body. */
function cacheControls(v: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(v)) v.forEach((x) => cacheControls(x, found));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "cache_control") found.push(x as Record<string, unknown>);
      else cacheControls(x, found);
    }
  }
  return found;
}

describe("splitBetaHeader", () => {
  it("splits on commas, trims, drops empties and duplicates, keeps order", () => {
    expect(splitBetaHeader(" a-1 , b-2,,a-1, c-3 ,")).toEqual(["a-1", "b-2", "c-3"]);
    expect(splitBetaHeader("")).toEqual([]);
    expect(splitBetaHeader(null)).toEqual([]);
    expect(splitBetaHeader(undefined)).toEqual([]);
  });

  it("splits Claude Code's real header", () => {
    const flags = splitBetaHeader(claudeCodeRequest("tool-roundtrip-2.json").headers["anthropic-beta"]);
    expect(flags).toContain("interleaved-thinking-2025-05-14");
    expect(flags).toHaveLength(8);
  });
});

describe("toBedrockInvokeBody on Claude Code requests", () => {
  for (const name of ["tool-roundtrip-1.json", "tool-roundtrip-2.json"]) {
    describe(name, () => {
      const captured = claudeCodeRequest(name);
      const input = deepFreeze(structuredClone(captured.body));
      const snapshot = JSON.stringify(input);
      const out = toBedrockInvokeBody(input, { betas: ["interleaved-thinking-2025-05-14"], model: FULL }) as any;

      it("does not touch the input object", () => {
        expect(JSON.stringify(input)).toBe(snapshot);
        expect(input).toEqual(captured.body);
      });

      it("drops model and stream, sets anthropic_version and anthropic_beta", () => {
        expect(input.model).toBeDefined();
        expect(input.stream).toBe(true);
        expect(out).not.toHaveProperty("model");
        expect(out).not.toHaveProperty("stream");
        expect(out.anthropic_version).toBe("bedrock-2023-05-31");
        expect(out.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
      });

      it("keeps only keys Bedrock accepts", () => {
        const allowed = [
          "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "stop_sequences", "temperature",
          "top_p", "top_k", "tools", "tool_choice", "thinking", "metadata", "output_config", "context_management",
        ];
        for (const key of Object.keys(out)) expect(allowed).toContain(key);
        expect(out.max_tokens).toBe(input.max_tokens);
        expect(out.thinking).toEqual(input.thinking);
        expect(out.metadata).toEqual(input.metadata);
      });

      it("removes defer_loading/custom from tools and keeps the rest of each tool", () => {
        expect(out.tools).toHaveLength((input.tools as unknown[]).length);
        expect((input.tools as any[]).some((t) => "defer_loading" in t)).toBe(true);
        for (const tool of out.tools) {
          expect(tool).not.toHaveProperty("defer_loading");
          expect(tool).not.toHaveProperty("custom");
          expect(typeof tool.name).toBe("string");
          expect(tool.input_schema).toBeDefined();
        }
      });

      it("drops the clear_thinking_20251015 edit, and with it context_management", () => {
        expect((input.context_management as any).edits[0].type).toBe("clear_thinking_20251015");
        expect(out).not.toHaveProperty("context_management");
      });

      it("hoists the role:system message into the system blocks, after the existing ones", () => {
        const inputMessages = input.messages as any[];
        const systemMessage = inputMessages.find((m) => m.role === "system");
        expect(systemMessage).toBeDefined();
        expect(out.messages.every((m: any) => m.role === "user" || m.role === "assistant")).toBe(true);
        expect(out.messages.map((m: any) => m.role)).toEqual(
          inputMessages.filter((m) => m.role !== "system").map((m) => m.role),
        );
        const originalSystem = input.system as any[];
        expect(out.system.slice(0, originalSystem.length)).toEqual(originalSystem);
        const appended = out.system.slice(originalSystem.length);
        expect(appended).toHaveLength(1);
        expect(appended[0].type).toBe("text");
        expect(appended[0].text).toBe("<9202 chars of text>");
        expect(out.output_config).toEqual({ effort: "medium" });
      });
    });
  }

  it("strips cache_control.scope everywhere it appears (system, messages, tool_result content, tools)", () => {
    const body = structuredClone(claudeCodeRequest("tool-roundtrip-2.json").body) as any;
    const scoped = { type: "ephemeral", scope: "global" };
    body.system[1].cache_control = { ...scoped };
    body.messages[0].content[1].cache_control = { ...scoped, ttl: "1h" };
    body.messages[3].content[0].cache_control = { ...scoped };
    body.messages[3].content[0].content = [{ type: "text", text: "inner", cache_control: { ...scoped } }];
    body.tools[0].cache_control = { ...scoped };
    body.tools[1].custom = { defer_loading: true };
    deepFreeze(body);
    const before = cacheControls(body).filter((cc) => "scope" in cc).length;
    expect(before).toBe(5);

    const out = toBedrockInvokeBody(body, { betas: [], model: FULL }) as any;
    const after = cacheControls(out);
    expect(after.length).toBe(cacheControls(body).length);
    for (const cc of after) expect(cc).not.toHaveProperty("scope");
    expect(out.messages[0].content[1].cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
    expect(out.messages[2].content[0].content[0]).toEqual({ type: "text", text: "inner", cache_control: { type: "ephemeral" } });
    expect(out.tools[1]).not.toHaveProperty("custom");
    expect(out).not.toHaveProperty("anthropic_beta");
    // Unchanged blocks are shared, not copied.
    expect(out.messages[1]).toBe(body.messages[2]);
  });

  it("drops ttl on models without cache TTL, and output_config on models without it", () => {
    const body = {
      model: "claude-sonnet-4",
      max_tokens: 10,
      system: [{ type: "text", text: "s", cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ role: "user", content: "hi" }],
      output_config: { effort: "low" },
    };
    const out = toBedrockInvokeBody(body, { betas: [], model: OLD }) as any;
    expect(out.system[0].cache_control).toEqual({ type: "ephemeral" });
    expect(out).not.toHaveProperty("output_config");
    expect(body.system[0]!.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
  });

  it("removes cache_control entirely on models without prompt caching", () => {
    const body = structuredClone(claudeCodeRequest("tool-roundtrip-2.json").body);
    expect(cacheControls(body).length).toBeGreaterThan(0);
    const out = toBedrockInvokeBody(body, { betas: [], model: NO_CACHE });
    expect(cacheControls(out)).toEqual([]);
  });

  it("does not lift a system message's output_config when the model cannot take it", () => {
    const body = structuredClone(claudeCodeRequest("tool-roundtrip-2.json").body) as any;
    delete body.output_config;
    const out = toBedrockInvokeBody(body, { betas: [], model: OLD }) as any;
    expect(out).not.toHaveProperty("output_config");
    const lifted = toBedrockInvokeBody(body, { betas: [], model: FULL }) as any;
    expect(lifted.output_config).toEqual({ effort: "medium" });
  });

  it("prefers the top-level output_config over the system message's", () => {
    const body = structuredClone(claudeCodeRequest("tool-roundtrip-2.json").body) as any;
    body.output_config = { effort: "high" };
    expect((toBedrockInvokeBody(body, { betas: [], model: FULL }) as any).output_config).toEqual({ effort: "high" });
  });
});

describe("toBedrockInvokeBody edge cases", () => {
  it("drops unknown top-level keys and never copies the client's anthropic_version or anthropic_beta", () => {
    const out = toBedrockInvokeBody(
      {
        model: "m",
        stream: false,
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
        anthropic_version: "2026-10-21",
        anthropic_beta: ["oauth-2025-04-20"],
        output_format: { type: "json_schema" },
        service_tier: "auto",
        container: "c",
        mcp_servers: [],
        cache_control: { type: "ephemeral" },
        temperature: 0.5,
        top_k: 3,
        top_p: 0.9,
        stop_sequences: ["END"],
        tool_choice: { type: "auto" },
      },
      { betas: ["context-1m-2025-08-07"], model: FULL },
    );
    expect(out).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      anthropic_beta: ["context-1m-2025-08-07"],
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      temperature: 0.5,
      top_k: 3,
      top_p: 0.9,
      stop_sequences: ["END"],
      tool_choice: { type: "auto" },
    });
  });

  it("keeps compact_20260112 edits and drops the others", () => {
    const out = toBedrockInvokeBody(
      {
        max_tokens: 5,
        messages: [],
        context_management: {
          edits: [{ type: "clear_thinking_20251015", keep: "all" }, { type: "compact_20260112", trigger: { value: 1 } }],
        },
      },
      { betas: [], model: FULL },
    ) as any;
    expect(out.context_management).toEqual({ edits: [{ type: "compact_20260112", trigger: { value: 1 } }] });
  });

  it("turns a string system prompt into blocks when a system message is hoisted", () => {
    const out = toBedrockInvokeBody(
      {
        max_tokens: 5,
        system: "You are terse.",
        messages: [
          { role: "system", content: [{ type: "text", text: "Extra rule." }, { type: "text", text: "" }] },
          { role: "user", content: "hi" },
        ],
      },
      { betas: [], model: FULL },
    ) as any;
    expect(out.system).toEqual([
      { type: "text", text: "You are terse." },
      { type: "text", text: "Extra rule." },
    ]);
    expect(out.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("creates system blocks when there was no system prompt, and leaves a plain string system alone otherwise", () => {
    const hoisted = toBedrockInvokeBody(
      { max_tokens: 5, messages: [{ role: "user", content: "a" }, { role: "system", content: "rule" }] },
      { betas: [], model: FULL },
    ) as any;
    expect(hoisted.system).toEqual([{ type: "text", text: "rule" }]);

    const plain = toBedrockInvokeBody(
      { max_tokens: 5, system: "plain", messages: [{ role: "user", content: "a" }] },
      { betas: [], model: FULL },
    ) as any;
    expect(plain.system).toBe("plain");
  });

  it("keeps tool_use input untouched even if it contains cache_control-like keys", () => {
    const input = { cache_control: { scope: "user data" }, defer_loading: true };
    const out = toBedrockInvokeBody(
      { max_tokens: 5, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "n", input }] }] },
      { betas: [], model: NO_CACHE },
    ) as any;
    expect(out.messages[0].content[0].input).toEqual({ cache_control: { scope: "user data" }, defer_loading: true });
  });
});
