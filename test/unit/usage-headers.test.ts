import { describe, expect, it } from "vitest";
import { usageFromHeaders } from "../../worker/bedrock/usage-headers.ts";

describe("usageFromHeaders", () => {
  it("reads InvokeModel's token counts, with the cache counts where present", () => {
    const h = new Headers({
      "X-Amzn-Bedrock-Input-Token-Count": "12",
      "X-Amzn-Bedrock-Output-Token-Count": "34",
      "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": "100000",
      "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": "5",
    });
    expect(usageFromHeaders(h)).toEqual({ input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 100000, cache_creation_input_tokens: 5 });
    expect(usageFromHeaders(new Headers({ "x-amzn-bedrock-input-token-count": "7", "x-amzn-bedrock-output-token-count": "0" }))).toEqual({
      input_tokens: 7,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it("is null without both counts, and ignores counts that are not whole non-negative numbers", () => {
    expect(usageFromHeaders(new Headers())).toBeNull();
    expect(usageFromHeaders(new Headers({ "x-amzn-bedrock-input-token-count": "7" }))).toBeNull();
    expect(usageFromHeaders(new Headers({ "x-amzn-bedrock-input-token-count": "", "x-amzn-bedrock-output-token-count": "3" }))).toBeNull();
    expect(usageFromHeaders(new Headers({ "x-amzn-bedrock-input-token-count": "-1", "x-amzn-bedrock-output-token-count": "3" }))).toBeNull();
    expect(usageFromHeaders(new Headers({ "x-amzn-bedrock-input-token-count": "1.5", "x-amzn-bedrock-output-token-count": "3" }))).toBeNull();
    const h = new Headers({ "x-amzn-bedrock-input-token-count": "1", "x-amzn-bedrock-output-token-count": "3", "x-amzn-bedrock-cache-read-input-token-count": "lots" });
    expect(usageFromHeaders(h)?.cache_read_input_tokens).toBe(0);
  });
});
