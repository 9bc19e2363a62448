import { describe, expect, it } from "vitest";
import { parseRejections, RejectionMemory, withoutRejected } from "../../worker/bedrock/rejections.ts";

describe("reading Bedrock's validation messages", () => {
  it("finds a named beta flag", () => {
    expect(parseRejections("invalid beta flag: effort-2025-11-24")).toEqual([{ kind: "beta", flag: "effort-2025-11-24" }]);
    expect(parseRejections("invalid beta flag")).toEqual([]); // unnamed: nothing safe to drop
  });
  it("finds extraneous top-level keys but never model/stream (those are our bug, not the client's)", () => {
    const msg = "Malformed input request: #: extraneous key [stream] is not permitted#: extraneous key [output_config] is not permitted#: extraneous key [speed] is not permitted, please reformat your input and try again.";
    expect(parseRejections(msg)).toEqual([
      { kind: "field", path: "output_config" },
      { kind: "field", path: "speed" },
    ]);
  });
  it("finds refused tool keys and nested fields, never message content", () => {
    expect(parseRejections("tools.11.custom.defer_loading: Extra inputs are not permitted")).toEqual([{ kind: "toolField", key: "defer_loading" }]);
    expect(parseRejections("tools.2.eager_input_streaming: Extra inputs are not permitted")).toEqual([{ kind: "toolField", key: "eager_input_streaming" }]);
    expect(parseRejections("output_config.task_budget: Extra inputs are not permitted")).toEqual([{ kind: "field", path: "output_config.task_budget" }]);
    expect(parseRejections("messages.0.content.1.citations: Extra inputs are not permitted")).toEqual([]);
    expect(parseRejections("The model returned an error.")).toEqual([]);
  });
});

describe("removing what was refused", () => {
  const body = {
    anthropic_beta: ["a", "b"],
    output_config: { effort: "high", task_budget: 5 },
    speed: "fast",
    tools: [{ name: "x", defer_loading: true }, { name: "y", custom: { defer_loading: true } }, { name: "z" }],
    messages: [],
  };

  it("drops betas, fields, nested fields and tool keys without touching the input", () => {
    const frozen = JSON.parse(JSON.stringify(body));
    const r = withoutRejected(body, [
      { kind: "beta", flag: "a" },
      { kind: "field", path: "speed" },
      { kind: "field", path: "output_config.task_budget" },
      { kind: "toolField", key: "defer_loading" },
    ]);
    expect(r.changed).toBe(true);
    expect(r.body).toEqual({ anthropic_beta: ["b"], output_config: { effort: "high" }, tools: [{ name: "x" }, { name: "y" }, { name: "z" }], messages: [] });
    expect(body).toEqual(frozen);
  });

  it("removes an emptied beta list or parent object entirely", () => {
    const r = withoutRejected({ anthropic_beta: ["a"], output_config: { effort: "x" } }, [{ kind: "beta", flag: "a" }, { kind: "field", path: "output_config.effort" }]);
    expect(r.body).toEqual({});
  });

  it("reports no change when nothing named is present (so no pointless retry)", () => {
    expect(withoutRejected(body, [{ kind: "beta", flag: "zzz" }, { kind: "field", path: "nope" }, { kind: "toolField", key: "strict" }]).changed).toBe(false);
  });
});

describe("rejection memory", () => {
  it("remembers per model, without duplicates, bounded", () => {
    const m = new RejectionMemory(2);
    m.remember("opus", [{ kind: "beta", flag: "a" }, { kind: "beta", flag: "a" }]);
    m.remember("opus", [{ kind: "field", path: "x" }, { kind: "field", path: "y" }]);
    expect(m.known("opus")).toEqual([{ kind: "beta", flag: "a" }, { kind: "field", path: "x" }]);
    expect(m.known("haiku")).toEqual([]);
  });
});
