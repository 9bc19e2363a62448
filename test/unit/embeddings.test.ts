// The OpenAI embeddings ⇄ Bedrock (Titan V2, Cohere v3/v4) translator: validation, call planning, assembly in
// input order, usage, and the base64 (little-endian float32) encoding, decoded here independently with Buffer.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GatewayError } from "../../worker/edge/errors.ts";
import {
  assembleEmbeddings, COHERE_BATCH_SIZE, EmbeddingsInputError, EmbeddingsResponseError, planEmbeddings,
  type BedrockEmbeddingResponse, type EmbeddingFamily,
} from "../../worker/protocols/embeddings/openai.ts";
import { float32Base64 } from "../../worker/protocols/embeddings/float32-base64.ts";

/** Decodes OpenAI's base64 embedding the way the OpenAI SDK does: little-endian float32. */
function decodeBase64Floats(b64: string): number[] {
  const buf = Buffer.from(b64, "base64");
  const out: number[] = [];
  for (let i = 0; i < buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}

const vec = (seed: number, n = 4) => Array.from({ length: n }, (_, i) => Math.fround((seed + 1) * 0.01 + i * 0.001));

function inputError(fn: () => unknown): EmbeddingsInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EmbeddingsInputError);
    return err as EmbeddingsInputError;
  }
  throw new Error("expected an EmbeddingsInputError");
}

describe("planEmbeddings", () => {
  it("plans one Titan call per input, normalised float vectors, dimensions only when asked", () => {
    const plan = planEmbeddings({ model: "titan", input: ["a", "b", "c"], dimensions: 512, user: "u-1", extra: true }, "titan-v2");
    expect(plan).toEqual({
      family: "titan-v2",
      encoding: "float",
      dimensions: 512,
      calls: ["a", "b", "c"].map((text, i) => ({
        body: { inputText: text, dimensions: 512, normalize: true, embeddingTypes: ["float"] },
        inputIndexes: [i],
      })),
    });
    const single = planEmbeddings({ input: "hello", encoding_format: "base64" }, "titan-v2");
    expect(single.calls).toEqual([{ body: { inputText: "hello", normalize: true, embeddingTypes: ["float"] }, inputIndexes: [0] }]);
    expect(single).toMatchObject({ encoding: "base64", dimensions: null });
  });

  it("batches Cohere inputs 96 at a time with search_document, truncate NONE and float embeddings", () => {
    const input = Array.from({ length: 200 }, (_, i) => `text ${i}`);
    const plan = planEmbeddings({ input }, "cohere-v3");
    expect(COHERE_BATCH_SIZE).toBe(96);
    expect(plan.calls.map((c) => c.inputIndexes.length)).toEqual([96, 96, 8]);
    expect(plan.calls.flatMap((c) => c.inputIndexes)).toEqual(input.map((_, i) => i));
    expect(plan.calls[2]!.body).toEqual({
      texts: input.slice(192),
      input_type: "search_document",
      truncate: "NONE",
      embedding_types: ["float"],
    });
    expect(plan.calls[1]!.body.texts).toEqual(input.slice(96, 192));
    expect(plan.dimensions).toBeNull();
  });

  it("lets a non-standard input_type override the Cohere default, and maps dimensions to v4's output_dimension", () => {
    const plan = planEmbeddings({ input: "q", input_type: "search_query", dimensions: 256 }, "cohere-v4");
    expect(plan.calls).toEqual([
      { body: { texts: ["q"], input_type: "search_query", truncate: "NONE", embedding_types: ["float"], output_dimension: 256 }, inputIndexes: [0] },
    ]);
    expect(planEmbeddings({ input: "q" }, "cohere-v4").calls[0]!.body).not.toHaveProperty("output_dimension");
    // Titan has no input_type: the field is ignored there like any other unknown key.
    expect(planEmbeddings({ input: "q", input_type: "nonsense" }, "titan-v2").calls[0]!.body).not.toHaveProperty("input_type");
  });

  it("refuses bad requests with an OpenAI-style 400 naming the parameter", () => {
    const cases: Array<[unknown, EmbeddingFamily, string, RegExp]> = [
      [[1, 2], "titan-v2", "input", /JSON object/],
      [{}, "titan-v2", "input", /required/],
      [{ input: null }, "cohere-v3", "input", /required/],
      [{ input: "" }, "titan-v2", "input", /empty string/],
      [{ input: [] }, "cohere-v3", "input", /empty array/],
      [{ input: ["ok", ""] }, "cohere-v4", "input", /'input\[1\]' must not be an empty string/],
      [{ input: [1, 2, 3] }, "titan-v2", "input", /^token arrays are not supported for this model$/],
      [{ input: [[1, 2], [3]] }, "cohere-v3", "input", /^token arrays are not supported for this model$/],
      [{ input: ["a", 1] }, "titan-v2", "input", /'input\[1\]' must be a string/],
      [{ input: { text: "a" } }, "titan-v2", "input", /string or an array/],
      [{ input: Array.from({ length: 2049 }, () => "x") }, "cohere-v3", "input", /at most 2048/],
      [{ input: "x".repeat(50_001) }, "titan-v2", "input", /50001 characters long; this model accepts at most 50000/],
      [{ input: ["ok", "y".repeat(2049)] }, "cohere-v3", "input", /'input\[1\]' is 2049 characters/],
      [{ input: "a", dimensions: 512 }, "cohere-v3", "dimensions", /'dimensions' is not supported for this model/],
      [{ input: "a", dimensions: 300 }, "titan-v2", "dimensions", /one of 256, 512, 1024/],
      [{ input: "a", dimensions: 1536 }, "titan-v2", "dimensions", /one of 256, 512, 1024/],
      [{ input: "a", dimensions: 2048 }, "cohere-v4", "dimensions", /one of 256, 512, 1024, 1536/],
      [{ input: "a", dimensions: "512" }, "cohere-v4", "dimensions", /one of/],
      [{ input: "a", encoding_format: "int8" }, "titan-v2", "encoding_format", /'float' or 'base64'/],
      [{ input: "a", input_type: "image" }, "cohere-v4", "input_type", /search_document, search_query, classification, clustering/],
    ];
    for (const [req, family, param, message] of cases) {
      const err = inputError(() => planEmbeddings(req, family));
      expect(err.param, JSON.stringify(req).slice(0, 80)).toBe(param);
      expect(err.message, JSON.stringify(req).slice(0, 80)).toMatch(message);
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.status).toBe(400);
    }
  });

  it("counts characters as code points, so 2048 emoji fit Cohere v3's 2048-character limit", () => {
    const emoji = "😀".repeat(2048); // 4096 UTF-16 units
    expect(planEmbeddings({ input: emoji }, "cohere-v3").calls).toHaveLength(1);
    expect(inputError(() => planEmbeddings({ input: `${emoji}a` }, "cohere-v3")).message).toMatch(/2049 characters/);
    // v4's limit is in tokens, which only Bedrock can count.
    expect(planEmbeddings({ input: "z".repeat(100_000) }, "cohere-v4").calls).toHaveLength(1);
  });

  it("accepts null dimensions and encoding_format as absent", () => {
    expect(planEmbeddings({ input: "a", dimensions: null, encoding_format: null }, "cohere-v3")).toMatchObject({ encoding: "float", dimensions: null });
  });
});

describe("assembleEmbeddings", () => {
  it("puts Titan vectors back in input order and meters inputTextTokenCount", () => {
    const plan = planEmbeddings({ input: ["a", "bb", "ccc"] }, "titan-v2");
    const responses: BedrockEmbeddingResponse[] = [0, 1, 2].map((i) => ({
      json: { embedding: vec(i), inputTextTokenCount: i + 1, embeddingsByType: { float: vec(i) } },
      inputTokenHeader: 99, // the body's count wins for Titan
    }));
    const { body, inputTokens } = assembleEmbeddings(plan, responses, { requestedModel: "titan-embed-text-v2" });
    expect(body).toEqual({
      object: "list",
      data: [0, 1, 2].map((i) => ({ object: "embedding", index: i, embedding: vec(i) })),
      model: "titan-embed-text-v2",
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    expect(inputTokens).toBe(6);
  });

  it("reads Titan's embeddingsByType.float and the header when the body lacks them", () => {
    const plan = planEmbeddings({ input: "a" }, "titan-v2");
    const { body, inputTokens } = assembleEmbeddings(plan, [{ json: { embeddingsByType: { float: vec(7) } }, inputTokenHeader: 3 }], {
      requestedModel: "m",
    });
    expect(body.data[0]!.embedding).toEqual(vec(7));
    expect(inputTokens).toBe(3);
  });

  it("maps Cohere batches back by inputIndexes, reads both response shapes, and sums the header token counts", () => {
    const input = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const plan = planEmbeddings({ input }, "cohere-v3");
    const responses: BedrockEmbeddingResponse[] = [
      {
        json: { id: "1", response_type: "embeddings_by_type", embeddings: { float: input.slice(0, 96).map((_, i) => vec(i)) }, texts: input.slice(0, 96) },
        inputTokenHeader: 200,
      },
      {
        json: { id: "2", response_type: "embeddings_floats", embeddings: input.slice(96).map((_, i) => vec(96 + i)), texts: input.slice(96) },
        inputTokenHeader: 8,
      },
    ];
    const { body, inputTokens } = assembleEmbeddings(plan, responses, { requestedModel: "cohere-embed-english" });
    expect(body.data).toHaveLength(100);
    body.data.forEach((d, i) => expect(d).toEqual({ object: "embedding", index: i, embedding: vec(i) }));
    expect(body.usage).toEqual({ prompt_tokens: 208, total_tokens: 208 });
    expect(inputTokens).toBe(208);
    expect(body.model).toBe("cohere-embed-english");
  });

  it("estimates Cohere tokens at 4 characters each when the header is missing, rather than metering nothing", () => {
    const plan = planEmbeddings({ input: ["12345", "1234"] }, "cohere-v4");
    const { inputTokens } = assembleEmbeddings(plan, [{ json: { embeddings: { float: [vec(0), vec(1)] } }, inputTokenHeader: null }], { requestedModel: "m" });
    expect(inputTokens).toBe(2 + 1);
  });

  it("encodes base64 as little-endian float32 that decodes back to the same floats", () => {
    const floats = [1, -2.5, 0.1, 3.4028234663852886e38, -0, 1e-7];
    const plan = planEmbeddings({ input: ["x", "y"], encoding_format: "base64" }, "cohere-v4");
    const { body } = assembleEmbeddings(plan, [{ json: { embeddings: { float: [floats, vec(1)] } }, inputTokenHeader: 2 }], { requestedModel: "m" });
    const first = body.data[0]!.embedding;
    expect(typeof first).toBe("string");
    expect(decodeBase64Floats(first as string)).toEqual(floats.map(Math.fround));
    expect(decodeBase64Floats(body.data[1]!.embedding as string)).toEqual(vec(1));
    expect(float32Base64([1])).toBe("AACAPw=="); // 0x3f800000, least significant byte first
  });

  it("round-trips any float32 vector through base64 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 3000 }), (values) => {
        expect(decodeBase64Floats(float32Base64(values))).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses answers that do not fit the plan with a 502 EmbeddingsResponseError", () => {
    const titan = planEmbeddings({ input: ["a", "b"] }, "titan-v2");
    const cohere = planEmbeddings({ input: ["a", "b"] }, "cohere-v3");
    const bad: Array<[() => unknown, RegExp]> = [
      [() => assembleEmbeddings(titan, [{ json: { embedding: vec(0) }, inputTokenHeader: 1 }], { requestedModel: "m" }), /expected 2 answers, got 1/],
      [() => assembleEmbeddings(cohere, [{ json: { embeddings: { float: [vec(0)] } }, inputTokenHeader: 1 }], { requestedModel: "m" }), /embedded 2 texts but returned 1/],
      [() => assembleEmbeddings(cohere, [{ json: { embeddings: { int8: [[1], [2]] } }, inputTokenHeader: 1 }], { requestedModel: "m" }), /no float embeddings/],
      [
        () => assembleEmbeddings(titan, [{ json: { embedding: ["x"] }, inputTokenHeader: 1 }, { json: { embedding: vec(1) }, inputTokenHeader: 1 }], { requestedModel: "m" }),
        /Titan embedding is not a list of numbers/,
      ],
      [() => assembleEmbeddings(titan, [{ json: null, inputTokenHeader: 1 }, { json: {}, inputTokenHeader: 1 }], { requestedModel: "m" }), /not a JSON object/],
    ];
    for (const [fn, message] of bad) {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(EmbeddingsResponseError);
      expect((caught as EmbeddingsResponseError).status).toBe(502);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
