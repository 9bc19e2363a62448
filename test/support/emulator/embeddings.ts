// The embedding models on InvokeModel: Amazon Titan Text Embeddings V2 and Cohere Embed v3 / v4, each with its
// native body (AWS docs: model-parameters-titan-embed-text, model-parameters-embed-v3, model-parameters-embed-v4).
// Validation reads like Bedrock's JSON-schema validator ("Malformed input request: #/dimensions: 300 is not a valid
// enum value, …"); the first problem found is reported. Vectors come from embedding-vectors.ts; tokens are
// ceil(code points / 4) per text (the tokens.ts rule, counted per text).
//
// Bedrock-side facts the emulator plays (from the docs; the exact error wording is our best reconstruction):
//   - embedding models are on-demand base ids only: no geo-prefixed inference profile exists for them, so such an id
//     is "The provided model identifier is invalid." (server.ts);
//   - no streaming ("The model is unsupported for streaming.") and no Converse;
//   - Titan: one text, ≤ 50,000 characters and ≤ 8,192 tokens; dimensions 1024 (default) | 512 | 256; normalize
//     defaults to true; embeddingTypes ⊆ {float, binary}, default float. The answer always carries `embedding`
//     (float) and `inputTextTokenCount`, and `embeddingsByType` with the requested types;
//   - Cohere v3: ≤ 96 texts of ≤ 2,048 characters, input_type required, truncate NONE|START|END, 1024 dimensions;
//     Cohere v4: ≤ 96 texts, input_type required, truncate NONE|LEFT|RIGHT, output_dimension 256|512|1024|1536
//     (default 1536), max_tokens (default 128,000) per text. Without embedding_types the answer is
//     `embeddings_floats` (a bare list); with them `embeddings_by_type` (an object). Uncertain for v4: whether it
//     always answers by type. Token usage travels only in the X-Amzn-Bedrock-Input-Token-Count header.
//   Images (Cohere `images`, v4 `inputs`) are not modelled: they are refused with a message saying so.
import { randomUUID } from "node:crypto";
import { jsonType } from "./claude.ts";
import { malformed, validation } from "./errors.ts";
import { embeddingFor, toBinary, toInt8, toTitanBinary, toUbinary, toUint8 } from "./embedding-vectors.ts";
import type { ModelFamily } from "./models.ts";

export type EmbeddingModelFamily = Extract<ModelFamily, "titan-embed-v2" | "cohere-embed-v3" | "cohere-embed-v4">;

export const isEmbeddingFamily = (family: ModelFamily): family is EmbeddingModelFamily =>
  family === "titan-embed-v2" || family === "cohere-embed-v3" || family === "cohere-embed-v4";

export interface EmbeddingAnswer {
  /** The JSON response body. */
  body: Record<string, unknown>;
  /** Sent as X-Amzn-Bedrock-Input-Token-Count (and, for Titan, also in the body). */
  inputTokens: number;
}

const TITAN = {
  keys: ["inputText", "dimensions", "normalize", "embeddingTypes"],
  dimensions: [256, 512, 1024],
  defaultDimensions: 1024,
  maxChars: 50_000,
  maxTokens: 8_192,
  types: ["float", "binary"],
};
const COHERE_TYPES = ["float", "int8", "uint8", "binary", "ubinary"];
const COHERE_INPUT_TYPES = ["search_document", "search_query", "classification", "clustering"];
const COHERE_MAX_TEXTS = 96;
const COHERE = {
  "cohere-embed-v3": {
    keys: ["texts", "images", "input_type", "truncate", "embedding_types"],
    // v3 also accepts "image" (with `images`), which the emulator does not model.
    inputTypes: [...COHERE_INPUT_TYPES, "image"],
    truncate: ["NONE", "START", "END"],
    maxChars: 2_048 as number | null,
  },
  "cohere-embed-v4": {
    keys: ["texts", "images", "inputs", "input_type", "truncate", "embedding_types", "output_dimension", "max_tokens"],
    inputTypes: COHERE_INPUT_TYPES,
    truncate: ["NONE", "LEFT", "RIGHT"],
    maxChars: null as number | null,
  },
} as const;
const COHERE_V4_DIMENSIONS = [256, 512, 1024, 1536];
const COHERE_V4_MAX_TOKENS = 128_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const codePoints = (s: string): number => [...s].length;
export const embeddingTokens = (text: string): number => Math.ceil(codePoints(text) / 4);

/** Validates the body for the model and computes the answer; throws AwsError (400) with Bedrock-like wording. */
export function answerEmbedding(family: EmbeddingModelFamily, body: unknown): EmbeddingAnswer {
  return family === "titan-embed-v2" ? answerTitan(body) : answerCohere(family, body);
}

function checkObjectAndKeys(body: unknown, allowed: readonly string[]): asserts body is Record<string, unknown> {
  if (!isObject(body)) throw malformed(`#: expected type: JSONObject, found: ${jsonType(body)}`);
  const extraneous = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extraneous.length > 0) throw malformed(extraneous.map((k) => `#: extraneous key [${k}] is not permitted`).join(""));
}

function checkEnum(value: unknown, path: string, allowed: readonly unknown[], type: "String" | "Integer"): void {
  const typeOk = type === "String" ? typeof value === "string" : typeof value === "number" && Number.isInteger(value);
  if (!typeOk) throw malformed(`${path}: expected type: ${type}, found: ${jsonType(value)}`);
  if (!allowed.includes(value)) throw malformed(`${path}: ${String(value)} is not a valid enum value`);
}

function checkTypeList(value: unknown, path: string, allowed: readonly string[]): string[] {
  if (!Array.isArray(value)) throw malformed(`${path}: expected type: JSONArray, found: ${jsonType(value)}`);
  if (value.length === 0) throw malformed(`${path}: expected minimum item count: 1, found: 0`);
  value.forEach((t: unknown, i) => checkEnum(t, `${path}/${i}`, allowed, "String"));
  return [...new Set(value as string[])];
}

function answerTitan(body: unknown): EmbeddingAnswer {
  checkObjectAndKeys(body, TITAN.keys);
  if (!("inputText" in body)) throw malformed("#: required key [inputText] not found");
  const text = body.inputText;
  if (typeof text !== "string") throw malformed(`#/inputText: expected type: String, found: ${jsonType(text)}`);
  const chars = codePoints(text);
  if (chars < 1) throw malformed("#/inputText: expected minLength: 1, actual: 0");
  if (chars > TITAN.maxChars) throw malformed(`#/inputText: expected maxLength: ${TITAN.maxChars}, actual: ${chars}`);
  if (body.dimensions !== undefined) checkEnum(body.dimensions, "#/dimensions", TITAN.dimensions, "Integer");
  if (body.normalize !== undefined && typeof body.normalize !== "boolean") {
    throw malformed(`#/normalize: expected type: Boolean, found: ${jsonType(body.normalize)}`);
  }
  const types = body.embeddingTypes === undefined ? ["float"] : checkTypeList(body.embeddingTypes, "#/embeddingTypes", TITAN.types);
  const inputTokens = embeddingTokens(text);
  if (inputTokens > TITAN.maxTokens) {
    // Titan's own wording for this case (reported by users; not in the docs).
    throw validation(`400 Bad Request: Too many input tokens. Max input tokens: ${TITAN.maxTokens}, request input token count: ${inputTokens}`);
  }

  const vector = embeddingFor(text, (body.dimensions as number | undefined) ?? TITAN.defaultDimensions, body.normalize !== false);
  const byType: Record<string, number[]> = {};
  if (types.includes("float")) byType.float = vector;
  if (types.includes("binary")) byType.binary = toTitanBinary(vector);
  return { body: { embedding: vector, embeddingsByType: byType, inputTextTokenCount: inputTokens }, inputTokens };
}

function answerCohere(family: "cohere-embed-v3" | "cohere-embed-v4", body: unknown): EmbeddingAnswer {
  const rules = COHERE[family];
  checkObjectAndKeys(body, rules.keys);
  if ("images" in body || "inputs" in body) {
    throw validation("Malformed input request: the Bedrock emulator models only text embeddings (texts), please reformat your input and try again.");
  }
  for (const key of ["texts", "input_type"]) if (!(key in body)) throw malformed(`#: required key [${key}] not found`);
  const texts = body.texts;
  if (!Array.isArray(texts)) throw malformed(`#/texts: expected type: JSONArray, found: ${jsonType(texts)}`);
  if (texts.length > COHERE_MAX_TEXTS) throw malformed(`#/texts: expected maximum item count: ${COHERE_MAX_TEXTS}, found: ${texts.length}`);
  texts.forEach((t: unknown, i) => {
    if (typeof t !== "string") throw malformed(`#/texts/${i}: expected type: String, found: ${jsonType(t)}`);
    if (rules.maxChars !== null && codePoints(t) > rules.maxChars) {
      throw malformed(`#/texts/${i}: expected maxLength: ${rules.maxChars}, actual: ${codePoints(t)}`);
    }
  });
  checkEnum(body.input_type, "#/input_type", rules.inputTypes, "String");
  if (body.truncate !== undefined) checkEnum(body.truncate, "#/truncate", rules.truncate, "String");
  const types = body.embedding_types === undefined ? null : checkTypeList(body.embedding_types, "#/embedding_types", COHERE_TYPES);

  let dimensions = 1024;
  if (family === "cohere-embed-v4") {
    if (body.output_dimension !== undefined) checkEnum(body.output_dimension, "#/output_dimension", COHERE_V4_DIMENSIONS, "Integer");
    dimensions = (body.output_dimension as number | undefined) ?? 1536;
    const maxTokens = body.max_tokens ?? COHERE_V4_MAX_TOKENS;
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens)) {
      throw malformed(`#/max_tokens: expected type: Integer, found: ${jsonType(maxTokens)}`);
    }
    if (maxTokens < 1) throw malformed(`#/max_tokens: ${maxTokens} is not greater or equal to 1`);
    // With truncation the model cuts the text; with NONE (the default) an over-long text is refused.
    if ((body.truncate ?? "NONE") === "NONE" && (texts as string[]).some((t) => embeddingTokens(t) > maxTokens)) {
      throw validation("Input is too long for requested model.");
    }
  }

  const floats = (texts as string[]).map((t) => embeddingFor(t, dimensions));
  const inputTokens = (texts as string[]).reduce((n, t) => n + embeddingTokens(t), 0);
  const common = { id: randomUUID(), texts };
  if (types === null) return { body: { ...common, embeddings: floats, response_type: "embeddings_floats" }, inputTokens };
  const convert: Record<string, (v: number[]) => number[]> = { float: (v) => v, int8: toInt8, uint8: toUint8, binary: toBinary, ubinary: toUbinary };
  const byType = Object.fromEntries(types.map((t) => [t, floats.map((v) => (convert[t] as (v: number[]) => number[])(v))]));
  return { body: { ...common, embeddings: byType, response_type: "embeddings_by_type" }, inputTokens };
}
