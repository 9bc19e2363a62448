// The request screens (cheap schemas that check each message with one predicate) must accept exactly what the full
// schemas accept: a body the screen lets through is taken without the schema, and one it refuses gets the schema's
// error. Random bodies near the edges of each rule (missing, empty, wrong types, nested wrong types) are checked
// against both; a screen that forgot one rule (a role that may be empty, content that may hold a string block)
// fails here.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CountTokensRequest, CountTokensRequestScreen, MessagesRequest, MessagesRequestScreen } from "../../worker/protocols/anthropic/schema.ts";
import { ChatRequest, ChatRequestScreen } from "../../worker/protocols/openai/schema.ts";
import { validate } from "../../worker/routes/body.ts";

const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.constant(""), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
/** Mostly what is valid, sometimes anything: each rule is broken often enough, and whole bodies still pass often. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: other });
const block = mostly(fc.dictionary(fc.constantFrom("type", "text", "cache_control"), scalar, { maxKeys: 2 }), fc.oneof(scalar, fc.array(scalar, { maxLength: 1 })));
const content = mostly(fc.oneof(fc.string({ maxLength: 5 }), fc.array(block, { maxLength: 3 })), fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 2 }), scalar, { maxKeys: 1 })));
const message = mostly(
  fc.record({ role: mostly(fc.constantFrom("user", "assistant"), fc.oneof(fc.constant(""), scalar)), content, name: scalar }, { requiredKeys: ["role", "content"] }),
  fc.oneof(fc.record({ content }), scalar, fc.array(scalar, { maxLength: 2 })),
);
const body = fc.record(
  {
    model: mostly(fc.constant("claude-sonnet-4-6"), fc.oneof(fc.constant(""), scalar)),
    messages: mostly(fc.array(message, { maxLength: 4 }), fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 2 }), message, { maxKeys: 1 }))),
    max_tokens: mostly(fc.integer({ min: 1, max: 64_000 }), fc.oneof(fc.integer({ min: -2, max: 0 }), fc.double(), scalar)),
    stream: mostly(fc.boolean(), scalar),
    system: mostly(fc.oneof(fc.string({ maxLength: 4 }), fc.array(block, { maxLength: 2 })), scalar),
    temperature: scalar,
  },
  { requiredKeys: [] },
);
const values = mostly(body, fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })));

describe("request screens accept exactly what their schemas accept", () => {
  const pairs = [
    ["Messages", MessagesRequest, MessagesRequestScreen],
    ["CountTokens", CountTokensRequest, CountTokensRequestScreen],
    ["Chat", ChatRequest, ChatRequestScreen],
  ] as const;
  for (const [name, schema, screen] of pairs) {
    it(`${name}: over random bodies`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(values, (v) => {
          const full = schema.safeParse(v);
          expect(screen.safeParse(v).success).toBe(full.success);
          // What a route reads of an accepted body is the same whichever decided.
          if (full.success) expect(validate(schema, v, screen)).toEqual(full.data);
          if (full.success) accepted++;
        }),
        { numRuns: 3000 },
      );
      // Both outcomes were exercised, not only refusals: about one body in ten is accepted (a standard deviation is
      // about 16 bodies), so this bound holds for every seed and still fails for a generator that never gets through.
      expect(accepted).toBeGreaterThan(150);
      expect(accepted).toBeLessThan(2850);
    });
  }

  it("a body the screen refuses still gets the schema's precise error", () => {
    const bad = { model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "hi" }, { content: "no role" }] };
    expect(() => validate(MessagesRequest, bad, MessagesRequestScreen)).toThrow(/messages\.1\.role: is required/);
    const blocks = { model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: ["text"] }] };
    expect(() => validate(MessagesRequest, blocks, MessagesRequestScreen)).toThrow(/messages\.0\.content: must be a string or an array of content blocks/);
  });
});
