// Names that come from outside and are looked up in the gateway's tables: a client's beta flags, media types and
// reasoning effort, an upstream's error names, a key's model list. Named after Object.prototype's members
// (`toString`, `constructor`, `__proto__`, …) they must find nothing. Found by the header fuzzing of
// test/integration/edge-security.test.ts: `anthropic-beta: toString` made the beta table hand back a function and the
// request a 500.
import { describe, expect, it } from "vitest";
import { toAnthropicError } from "../../worker/bedrock/errors.ts";
import { Catalog } from "../../worker/models/catalog.ts";
import { MODELS } from "../../worker/models/catalog-data.ts";
import { bedrockBetas } from "../../worker/models/betas.ts";
import { anthropicToConverse, converseCapabilitiesOf } from "../../worker/protocols/converse/from-anthropic.ts";
import { openAIToConverse } from "../../worker/protocols/converse/from-openai.ts";
import { toOpenAIError, TranslationError } from "../../worker/protocols/openai/errors.ts";
import { openAIToAnthropic } from "../../worker/protocols/openai/to-anthropic.ts";
import { own } from "../../worker/util/own.ts";

const NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf"];
const sonnet = MODELS.find((m) => m.name === "claude-sonnet-4-6")!;
const nova = MODELS.find((m) => m.name === "nova-pro")!;

describe("names from outside that are Object.prototype's members", () => {
  it("own() finds only a record's own entries", () => {
    const table: Record<string, number> = { a: 1 };
    expect(own(table, "a")).toBe(1);
    for (const n of NAMES) expect(own(table, n)).toBeUndefined();
  });

  it("are not beta flags Bedrock accepts: dropped like any unknown flag", () => {
    expect(bedrockBetas([...NAMES, "context-1m-2025-08-07"], sonnet)).toEqual(["context-1m-2025-08-07"]);
  });

  it("are not image or document media types (a 400 naming the field), in Anthropic's and OpenAI's requests", () => {
    for (const n of NAMES.map((x) => x.toLowerCase())) {
      const image = { role: "user", content: [{ type: "image", source: { type: "base64", media_type: n, data: "AAAA" } }] };
      expect(() => anthropicToConverse({ model: "nova-pro", max_tokens: 10, messages: [image] }, { capabilities: converseCapabilitiesOf(nova), maxOutput: 10_000 })).toThrow(
        /media_type must be image\/png/,
      );
      const doc = { role: "user", content: [{ type: "document", source: { type: "base64", media_type: n, data: "AAAA" } }] };
      expect(() => anthropicToConverse({ model: "nova-pro", max_tokens: 10, messages: [doc] }, { capabilities: converseCapabilitiesOf(nova), maxOutput: 10_000 })).toThrow(
        /is not supported/,
      );
      const part = { type: "image_url", image_url: { url: `data:${n};base64,AAAA` } };
      expect(() => openAIToConverse({ model: "nova-pro", messages: [{ role: "user", content: [part] }] }, { maxTokensDefault: 100, capabilities: converseCapabilitiesOf(nova) })).toThrow(
        TranslationError,
      );
    }
  });

  it("are not reasoning efforts", () => {
    for (const n of NAMES) {
      expect(() => openAIToAnthropic({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }], reasoning_effort: n } as never, { model: "claude-sonnet-4-6", maxTokensDefault: 1000, supportsThinking: true })).toThrow(
        /reasoning_effort: must be one of/,
      );
    }
  });

  it("are not Bedrock error names we know: mapped like any unknown error", () => {
    for (const name of NAMES) {
      expect(toAnthropicError({ name, message: "m", status: 400 })).toEqual(toAnthropicError({ name: "SomeNewException", message: "m", status: 400 }));
      expect(toOpenAIError({ name, message: "m", status: 400 })).toEqual(toOpenAIError({ name: "SomeNewException", message: "m", status: 400 }));
    }
  });

  it("are not model groups: a key's model list naming one allows that name only", () => {
    const catalog = new Catalog({ geoPrefix: "us" });
    expect([...catalog.allowedNames(NAMES)!].sort()).toEqual([...NAMES].sort());
  });
});

describe("names from Bedrock's refusals that are Object.prototype's members", () => {
  it("change nothing in the body (so the call is not retried for nothing)", async () => {
    const { withoutRejected } = await import("../../worker/bedrock/rejections.ts");
    const body = { messages: [], output_config: { effort: "high" }, tools: [{ name: "t", custom: { a: 1 } }] };
    for (const n of NAMES) {
      const r = withoutRejected(body, [{ kind: "field", path: n }, { kind: "field", path: `output_config.${n}` }, { kind: "toolField", key: n }]);
      expect(r).toEqual({ body, changed: false });
    }
  });
});
