import type { Price } from "../models/catalog.ts";
import type { Estimate } from "./key-state.ts";

/**
 * The worst case a request can cost, reserved against the budget before calling Bedrock. Input is bounded by the
 * body's UTF-8 size (byte-level tokenizers never produce more tokens than bytes; images cost far fewer tokens than
 * their base64 size) plus room for the model's own tool/system preamble, priced at the dearest input rate (a
 * 1-hour cache write); output is bounded by max_tokens. The real cost, settled afterwards, is always lower.
 */
export function worstCase(bodyBytes: number, maxTokens: number, price: Price): Estimate {
  const inputTokens = bodyBytes + PREAMBLE_TOKENS;
  const inputPrice = Math.max(price.input, price.cacheWrite ?? 0, price.cacheWrite1h ?? 0);
  return {
    // For tokens-per-minute, a realistic figure (about four bytes a token); corrected when the request settles.
    tokens: Math.ceil(bodyBytes / 4),
    cost: (inputTokens * inputPrice + maxTokens * price.output) / 1e6,
  };
}

const PREAMBLE_TOKENS = 1024;
