import type { Price } from "../models/catalog.ts";
import type { Estimate } from "./key-state.ts";
import { shapeOf, type Dialect, type PrefixMark, type RequestShape } from "./request-shape.ts";

/**
 * What the meter reserves for a chat request, priced the way the bill will be: text tokens from the parsed body,
 * cached prefixes at the cache-read price when this key wrote them recently, output from the key's recent answers.
 * Built by `estimateRequest` (pure, from the body) and priced by `priceEstimate` with what the isolate remembers of
 * the key (worker/meter/usage-memory.ts).
 */
export interface RequestEstimate {
  kind: "request";
  shape: RequestShape;
  maxTokens: number;
  price: Price;
  /** The model bills cache reads and writes (Claude); otherwise every input token is plain input. */
  caching: boolean;
}

export interface EstimateOptions {
  dialect: Dialect;
  maxTokens: number;
  price: Price;
  caching?: boolean;
}

export function estimateRequest(body: Record<string, unknown>, opts: EstimateOptions): RequestEstimate {
  return { kind: "request", shape: shapeOf(body, opts.dialect), maxTokens: Math.max(0, opts.maxTokens), price: opts.price, caching: opts.caching ?? false };
}

/** What the isolate knows about the key that sent the request (empty for a key it has not seen). */
export interface KeyRecall {
  /** The prefix was written or read by this key and is still within its cache TTL. */
  cached(fp: string): boolean;
  /** The output tokens to expect, from the key's recent answers; null without history. */
  typicalOutput(): number | null;
}

export const NO_RECALL: KeyRecall = { cached: () => false, typicalOutput: () => null };

/**
 * Characters per token. Claude's tokenizer averages 3.5–4 characters a token on English prose and code; the lower
 * figure errs towards reserving a little more than the bill.
 */
export const CHARS_PER_TOKEN = 3.5;
/** Tokens the model adds around tool definitions (its tool-use system prompt). */
const TOOLS_PREAMBLE_TOKENS = 400;
/** The most Claude charges for one image (resized to ~1.15 megapixels); screenshots come close to it. */
const TOKENS_PER_IMAGE = 1600;
/** Output to expect from a key with no history yet. */
export const FIRST_OUTPUT_TOKENS = 4096;

const tokensOf = (chars: number, images: number) => Math.ceil(chars / CHARS_PER_TOKEN) + images * TOKENS_PER_IMAGE;

/** The estimate split by how each token will be billed. */
export interface EstimateParts {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
}

/**
 * Splits the input as Anthropic's cache does: the longest marked prefix the key has cached is read, the rest up to
 * the last breakpoint is written (its 1-hour share up to the last 1-hour breakpoint), everything after is input.
 */
export function estimateParts(e: RequestEstimate, recall: KeyRecall): EstimateParts {
  const preamble = e.shape.hasTools ? TOOLS_PREAMBLE_TOKENS : 0;
  const total = tokensOf(e.shape.chars, e.shape.images) + preamble;
  const typical = recall.typicalOutput();
  const output = Math.min(e.maxTokens, typical ?? FIRST_OUTPUT_TOKENS);
  const marks = e.caching ? e.shape.prefixes : [];
  const last = marks.at(-1);
  if (!last) return { input: total, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output };
  const at = (m: PrefixMark | undefined) => (m ? Math.min(total, tokensOf(m.chars, m.images) + preamble) : 0);
  const hit = findLast(marks, (m) => recall.cached(m.fp));
  const prefix = at(last);
  const read = at(hit);
  const write = Math.max(0, prefix - read);
  const oneHourEnd = at(findLast(marks, (m) => m.ttl === "1h"));
  const write1h = Math.max(0, Math.min(write, oneHourEnd - read));
  return { input: total - prefix, cacheRead: read, cacheWrite5m: write - write1h, cacheWrite1h: write1h, output };
}

/** The reservation for a request: expected tokens and cost, and the worst case (for strict budgets). */
export function priceEstimate(e: RequestEstimate, recall: KeyRecall, worst: number): Estimate {
  const p = estimateParts(e, recall);
  const price = e.price;
  const cost =
    (p.input * price.input +
      p.cacheRead * (price.cacheRead ?? price.input) +
      p.cacheWrite5m * (price.cacheWrite ?? price.input) +
      p.cacheWrite1h * (price.cacheWrite1h ?? price.cacheWrite ?? price.input) +
      p.output * price.output) /
    1e6;
  // The worst case bounds the estimate too: an estimate above it would only refuse what strict mode admits.
  return { tokens: p.input + p.cacheRead + p.cacheWrite5m + p.cacheWrite1h + p.output, cost: Math.min(cost, worst), worst };
}

function findLast<T>(xs: T[], pred: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return xs[i];
  return undefined;
}

/**
 * The worst case a request can cost, reserved against a strict budget before calling Bedrock. Input is bounded by
 * the body's UTF-8 size (byte-level tokenizers never produce more tokens than bytes; images cost far fewer tokens
 * than their base64 size) plus room for the model's own tool/system preamble, priced at the dearest input rate (a
 * 1-hour cache write); output is bounded by max_tokens. The real cost, settled afterwards, is always lower.
 */
export function worstCase(bodyBytes: number, maxTokens: number, price: Price, images = 0): Estimate {
  // A small, well-compressed image can cost more tokens than its bytes: allow the most Claude charges for one.
  const inputTokens = bodyBytes + PREAMBLE_TOKENS + images * TOKENS_PER_IMAGE;
  const inputPrice = Math.max(price.input, price.cacheWrite ?? 0, price.cacheWrite1h ?? 0);
  const cost = (inputTokens * inputPrice + maxTokens * price.output) / 1e6;
  // For tokens-per-minute, a realistic figure (about four bytes a token); corrected when the request settles.
  return { tokens: Math.ceil(bodyBytes / 4), cost, worst: cost };
}

const PREAMBLE_TOKENS = 1024;

/**
 * Image blocks in a chat request (Anthropic `image`, OpenAI `image_url`), including those inside tool results.
 * A cheap walk over the message structure; nothing is decoded.
 */
export function countImages(body: Record<string, unknown>): number {
  let n = 0;
  const visit = (blocks: unknown): void => {
    if (!Array.isArray(blocks)) return;
    for (const b of blocks) {
      if (!b || typeof b !== "object") continue;
      const type = (b as { type?: unknown }).type;
      if (type === "image" || type === "image_url") n++;
      else if (type === "tool_result") visit((b as { content?: unknown }).content);
    }
  };
  const messages = body.messages;
  if (Array.isArray(messages)) for (const m of messages) if (m && typeof m === "object") visit((m as { content?: unknown }).content);
  return n;
}
