// OpenAI `POST /v1/embeddings` ⇄ Bedrock InvokeModel for the embedding models, each with its native JSON body.
// Pure: no I/O, inputs are never mutated. The route resolves the model, calls planEmbeddings, sends each planned body
// to InvokeModel (in any order, possibly concurrently), then hands the answers, in plan order, to assembleEmbeddings.
//
// Native shapes, as documented by AWS (model-parameters-titan-embed-text, model-parameters-embed-v3/-v4):
//   Titan Text Embeddings V2 (amazon.titan-embed-text-v2:0), ONE text per call:
//     → {"inputText", "dimensions": 1024|512|256, "normalize": bool, "embeddingTypes": ["float"|"binary", …]}
//     ← {"embedding": number[], "inputTextTokenCount": n, "embeddingsByType": {"float": number[], …}}
//     Limits: 8,192 tokens and 50,000 characters per text.
//   Cohere Embed v3 (cohere.embed-english-v3, cohere.embed-multilingual-v3), fixed 1024 dimensions:
//     → {"texts": string[] (≤ 96, each ≤ 2,048 chars), "input_type", "truncate": "NONE"|"START"|"END", "embedding_types"}
//     ← {"id", "embeddings": number[][] | {"float": number[][], …}, "response_type", "texts"}
//     The body carries no token count: Bedrock's X-Amzn-Bedrock-Input-Token-Count header does.
//   Cohere Embed v4 (cohere.embed-v4:0): as v3 plus "output_dimension": 256|512|1024|1536 (default 1536), 128k
//     tokens per input, and truncate "NONE"|"LEFT"|"RIGHT" (not START/END; "NONE", which we send, is valid for both).
//
// Uncertain (not verifiable offline; the assembler reads both possibilities where it matters):
//   - whether Cohere v4 always answers `embeddings_by_type`; we always ask for embedding_types ["float"], so the
//     object form is expected, and the bare-array form is still read;
//   - whether Titan's `embedding` is present when embeddingTypes omits "float"; we always ask for "float".
import { GatewayError } from "../../edge/errors.ts";
import { float32Base64 } from "./float32-base64.ts";

import type { EmbeddingFamily } from "../../models/catalog-data.ts";
import { isRecord as isObject } from "../../util/is-record.ts";
export type { EmbeddingFamily };
export type EmbeddingEncoding = "float" | "base64";
export type CohereInputType = "search_document" | "search_query" | "classification" | "clustering";

export interface EmbeddingCall {
  /** The InvokeModel body, to be sent as JSON. */
  body: Record<string, unknown>;
  /** Positions in the OpenAI `input` list of the texts this call embeds, in the order the call lists them. */
  inputIndexes: number[];
}

export interface EmbeddingsPlan {
  family: EmbeddingFamily;
  calls: EmbeddingCall[];
  encoding: EmbeddingEncoding;
  /** The requested `dimensions`, or null for the model's default. */
  dimensions: number | null;
}

/** One InvokeModel answer: the parsed JSON body and the X-Amzn-Bedrock-Input-Token-Count header (null if absent). */
export interface BedrockEmbeddingResponse {
  json: any;
  inputTokenHeader: number | null;
}

export interface OpenAIEmbedding {
  object: "embedding";
  index: number;
  embedding: number[] | string;
}

export interface OpenAIEmbeddingsBody {
  object: "list";
  data: OpenAIEmbedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** A request the client must fix: 400 invalid_request_error naming the OpenAI parameter at fault. */
export class EmbeddingsInputError extends GatewayError {
  constructor(param: string, message: string) {
    super(400, message, "invalid_request_error", undefined, param);
    this.name = "EmbeddingsInputError";
  }
}

/** Bedrock answered 200 with a body we cannot read: the gateway's upstream failed, not the client (502). */
export class EmbeddingsResponseError extends GatewayError {
  constructor(message: string) {
    super(502, `Bedrock returned an unreadable embeddings response: ${message}`);
    this.name = "EmbeddingsResponseError";
  }
}

/** OpenAI's own cap on the number of inputs in one request. */
export const MAX_INPUTS = 2048;
/** Cohere Embed accepts at most this many texts per InvokeModel call. */
export const COHERE_BATCH_SIZE = 96;
const COHERE_INPUT_TYPES: readonly CohereInputType[] = ["search_document", "search_query", "classification", "clustering"];

interface FamilyRules {
  /** Allowed `dimensions`; empty when the model's size is fixed and the parameter must be refused. */
  dimensions: readonly number[];
  /**
   * Most characters one input may have, checked here so the client gets an OpenAI error naming `input` rather than
   * Bedrock's schema message. Counted in code points, as JSON-schema `maxLength` counts. Null: limit is in tokens
   * only (we cannot count those at the edge; Bedrock refuses with a 400 that is passed on).
   */
  maxChars: number | null;
}

const RULES: Record<EmbeddingFamily, FamilyRules> = {
  "titan-v2": { dimensions: [256, 512, 1024], maxChars: 50_000 },
  "cohere-v3": { dimensions: [], maxChars: 2_048 },
  "cohere-v4": { dimensions: [256, 512, 1024, 1536], maxChars: null },
};

const isTokenId = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v);
const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Validates an OpenAI embeddings request for `family` and plans the Bedrock calls. Throws EmbeddingsInputError for
 * anything the client must fix. `model` is the route's business; `user` and unknown keys are ignored, as OpenAI-
 * compatible servers commonly do.
 */
export function planEmbeddings(req: unknown, family: EmbeddingFamily): EmbeddingsPlan {
  if (!isObject(req)) throw new EmbeddingsInputError("input", "The request body must be a JSON object.");
  const rules = RULES[family];
  const texts = readInput(req.input, rules);
  const dimensions = readDimensions(req.dimensions, family, rules);
  const encoding = readEncoding(req.encoding_format);

  if (family === "titan-v2") {
    const calls = texts.map((text, i) => ({
      body: {
        inputText: text,
        ...(dimensions !== null ? { dimensions } : {}),
        // OpenAI's vectors have unit length, and clients compute cosine similarity with a bare dot product.
        normalize: true,
        embeddingTypes: ["float"],
      },
      inputIndexes: [i],
    }));
    return { family, calls, encoding, dimensions };
  }

  const inputType = readInputType(req.input_type);
  const calls: EmbeddingCall[] = [];
  for (let start = 0; start < texts.length; start += COHERE_BATCH_SIZE) {
    const batch = texts.slice(start, start + COHERE_BATCH_SIZE);
    calls.push({
      body: {
        texts: batch,
        input_type: inputType,
        // OpenAI refuses over-long input rather than silently embedding part of it; "NONE" makes Cohere do the same.
        truncate: "NONE",
        embedding_types: ["float"],
        ...(family === "cohere-v4" && dimensions !== null ? { output_dimension: dimensions } : {}),
      },
      inputIndexes: batch.map((_, j) => start + j),
    });
  }
  return { family, calls, encoding, dimensions };
}

function readInput(input: unknown, rules: FamilyRules): string[] {
  if (input === undefined || input === null) throw new EmbeddingsInputError("input", "'input' is a required property.");
  let texts: string[];
  if (typeof input === "string") {
    texts = [input];
  } else if (Array.isArray(input)) {
    if (input.length === 0) throw new EmbeddingsInputError("input", "'input' must not be an empty array.");
    // number[] is one tokenised input, number[][] several: OpenAI's tiktoken ids mean nothing to Titan or Cohere.
    if (input.every(isTokenId) || input.every((item) => Array.isArray(item) && item.every(isTokenId))) {
      throw new EmbeddingsInputError("input", "token arrays are not supported for this model");
    }
    input.forEach((item, i) => {
      if (typeof item !== "string") throw new EmbeddingsInputError("input", `'input[${i}]' must be a string.`);
    });
    texts = input as string[];
  } else {
    throw new EmbeddingsInputError("input", "'input' must be a string or an array of strings.");
  }
  if (texts.length > MAX_INPUTS) {
    throw new EmbeddingsInputError("input", `'input' has ${texts.length} items; at most ${MAX_INPUTS} are allowed.`);
  }
  texts.forEach((text, i) => {
    const where = typeof input === "string" ? "'input'" : `'input[${i}]'`;
    if (text === "") throw new EmbeddingsInputError("input", `${where} must not be an empty string.`);
    if (rules.maxChars !== null && text.length > rules.maxChars) {
      // UTF-16 length is an upper bound on code points: count exactly only when it could matter.
      const chars = codePoints(text);
      if (chars > rules.maxChars) {
        throw new EmbeddingsInputError("input", `${where} is ${chars} characters long; this model accepts at most ${rules.maxChars}.`);
      }
    }
  });
  return texts;
}

function readDimensions(value: unknown, family: EmbeddingFamily, rules: FamilyRules): number | null {
  if (value === undefined || value === null) return null;
  if (rules.dimensions.length === 0) {
    throw new EmbeddingsInputError("dimensions", `'dimensions' is not supported for this model (${family} embeddings have a fixed size).`);
  }
  if (typeof value !== "number" || !rules.dimensions.includes(value)) {
    throw new EmbeddingsInputError("dimensions", `'dimensions' must be one of ${rules.dimensions.join(", ")} for this model.`);
  }
  return value;
}

function readEncoding(value: unknown): EmbeddingEncoding {
  if (value === undefined || value === null) return "float";
  if (value === "float" || value === "base64") return value;
  throw new EmbeddingsInputError("encoding_format", "'encoding_format' must be 'float' or 'base64'.");
}

/** Non-standard, Cohere only: queries embed differently from documents, and OpenAI's API has no way to say which. */
function readInputType(value: unknown): CohereInputType {
  if (value === undefined || value === null) return "search_document";
  if (typeof value === "string" && (COHERE_INPUT_TYPES as readonly string[]).includes(value)) return value as CohereInputType;
  throw new EmbeddingsInputError("input_type", `'input_type' must be one of ${COHERE_INPUT_TYPES.join(", ")}.`);
}

/**
 * Maps the Bedrock answers (`responses[i]` answers `plan.calls[i]`) back to one OpenAI embeddings body in input
 * order. `inputTokens` is what to meter: Titan's inputTextTokenCount, else the input-token header.
 */
export function assembleEmbeddings(
  plan: EmbeddingsPlan,
  responses: readonly BedrockEmbeddingResponse[],
  opts: { requestedModel: string },
): { body: OpenAIEmbeddingsBody; inputTokens: number } {
  if (responses.length !== plan.calls.length) {
    throw new EmbeddingsResponseError(`expected ${plan.calls.length} answers, got ${responses.length}`);
  }
  const vectors: number[][] = [];
  let inputTokens = 0;
  plan.calls.forEach((call, i) => {
    const response = responses[i] as BedrockEmbeddingResponse;
    const found = plan.family === "titan-v2" ? [titanVector(response.json)] : cohereVectors(response.json);
    if (found.length !== call.inputIndexes.length) {
      throw new EmbeddingsResponseError(`call ${i} embedded ${call.inputIndexes.length} texts but returned ${found.length} vectors`);
    }
    call.inputIndexes.forEach((inputIndex, j) => {
      vectors[inputIndex] = found[j] as number[];
    });
    inputTokens += tokensFor(plan.family, call, response);
  });

  const data: OpenAIEmbedding[] = [];
  for (let index = 0; index < vectors.length; index++) {
    const vector = vectors[index];
    if (!vector) throw new EmbeddingsResponseError(`no call embedded input ${index}`);
    data.push({ object: "embedding", index, embedding: plan.encoding === "base64" ? float32Base64(vector) : vector });
  }
  return {
    body: { object: "list", data, model: opts.requestedModel, usage: { prompt_tokens: inputTokens, total_tokens: inputTokens } },
    inputTokens,
  };
}

function checkVector(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new EmbeddingsResponseError(`${what} is not a list of numbers`);
  }
  return value as number[];
}

function titanVector(json: unknown): number[] {
  if (!isObject(json)) throw new EmbeddingsResponseError("Titan answer is not a JSON object");
  // `embedding` is documented as always float; embeddingsByType.float is the same vector, read if the first is absent.
  const byType = isObject(json.embeddingsByType) ? json.embeddingsByType.float : undefined;
  return checkVector(json.embedding ?? byType, "Titan embedding");
}

function cohereVectors(json: unknown): number[][] {
  if (!isObject(json)) throw new EmbeddingsResponseError("Cohere answer is not a JSON object");
  // response_type "embeddings_floats": a bare list; "embeddings_by_type": an object keyed by embedding type.
  const list = Array.isArray(json.embeddings) ? json.embeddings : isObject(json.embeddings) ? json.embeddings.float : undefined;
  if (!Array.isArray(list)) throw new EmbeddingsResponseError("Cohere answer has no float embeddings");
  return list.map((v, i) => checkVector(v, `Cohere embedding ${i}`));
}

/** The input tokens call `index` of the plan is billed for, from its answer (see tokensFor). */
export function callInputTokens(plan: EmbeddingsPlan, index: number, response: BedrockEmbeddingResponse): number {
  const call = plan.calls[index];
  if (!call) throw new RangeError(`the plan has no call ${index}`);
  return tokensFor(plan.family, call, response);
}

function tokensFor(family: EmbeddingFamily, call: EmbeddingCall, response: BedrockEmbeddingResponse): number {
  const counted = family === "titan-v2" && isObject(response.json) ? response.json.inputTextTokenCount : undefined;
  if (typeof counted === "number" && Number.isFinite(counted) && counted >= 0) return counted;
  if (response.inputTokenHeader !== null && Number.isFinite(response.inputTokenHeader) && response.inputTokenHeader >= 0) {
    return response.inputTokenHeader;
  }
  // Neither count arrived (not expected from Bedrock). Metering nothing would make the call free, so estimate with the
  // common 4-characters-per-token rule instead.
  const texts = family === "titan-v2" ? [call.body.inputText] : (call.body.texts as unknown[]);
  return texts.reduce<number>((n, t) => n + Math.ceil(String(t).length / 4), 0);
}
