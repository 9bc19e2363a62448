import type { Price } from "../models/catalog.ts";
import type { Estimate } from "./key-state.ts";

/**
 * The worst case a request can cost, reserved against the budget before calling Bedrock. Input is bounded by the
 * body's UTF-8 size (byte-level tokenizers never produce more tokens than bytes; images cost far fewer tokens than
 * their base64 size) plus room for the model's own tool/system preamble, priced at the dearest input rate (a
 * 1-hour cache write); output is bounded by max_tokens. The real cost, settled afterwards, is always lower.
 */
export function worstCase(bodyBytes: number, maxTokens: number, price: Price, images = 0): Estimate {
  // A small, well-compressed image can cost more tokens than its bytes: allow the most Claude charges for one.
  const inputTokens = bodyBytes + PREAMBLE_TOKENS + images * TOKENS_PER_IMAGE;
  const inputPrice = Math.max(price.input, price.cacheWrite ?? 0, price.cacheWrite1h ?? 0);
  return {
    // For tokens-per-minute, a realistic figure (about four bytes a token); corrected when the request settles.
    tokens: Math.ceil(bodyBytes / 4),
    cost: (inputTokens * inputPrice + maxTokens * price.output) / 1e6,
  };
}

const PREAMBLE_TOKENS = 1024;
/** Claude resizes images to at most ~1.15 megapixels, about 1,600 tokens; other models charge less. */
const TOKENS_PER_IMAGE = 1600;

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
