import { AwsV4Signer } from "aws4fetch";

const UTF8 = new TextEncoder();

export type BedrockOperation = "invoke" | "invoke-with-response-stream" | "converse" | "converse-stream" | "count-tokens";

export interface BedrockClientOptions {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** Base URL, e.g. https://bedrock-runtime.us-east-1.amazonaws.com or the emulator's URL. */
  endpoint: string;
}

/**
 * SigV4-signed calls to Bedrock Runtime. Knows nothing about keys, models or dialects: it turns (model id, operation,
 * body) into one signed HTTP request.
 *
 * It drives aws4fetch's signer directly rather than through `AwsClient.fetch`: that path copies the options into a
 * `Request` only for `fetch` to copy them again, and carries a retry loop we switch off (our own failover policy
 * decides about retries). The derived signing key is cached per day in `signingKeys`, shared by every call.
 */
export class BedrockClient {
  private readonly signingKeys = new LatestSigningKey();

  constructor(private readonly opts: BedrockClientOptions) {}

  /** The URL is built once and the same string is signed and sent, so the canonical path always matches the wire. */
  url(modelId: string, op: BedrockOperation): string {
    return `${this.opts.endpoint}/model/${encodeURIComponent(modelId)}/${op}`;
  }

  async call(modelId: string, op: BedrockOperation, body: string, extraHeaders?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { ...extraHeaders, "content-type": "application/json" };
    headers[op.endsWith("stream") ? "x-amzn-bedrock-accept" : "accept"] = "application/json";
    // Encoded once: the signer hashes these bytes and fetch sends them. Given the string, each would encode it
    // again (a Claude Code request is ~350 KB).
    const bytes = UTF8.encode(body);
    const signed = await new AwsV4Signer({
      method: "POST",
      url: this.url(modelId, op),
      headers,
      body: bytes,
      accessKeyId: this.opts.accessKeyId,
      secretAccessKey: this.opts.secretAccessKey,
      sessionToken: this.opts.sessionToken,
      // The signing name is "bedrock"; aws4fetch would guess "bedrock-runtime" from the host and be refused.
      service: "bedrock",
      region: this.opts.region,
      cache: this.signingKeys,
    }).sign();
    return fetch(signed.url, { method: "POST", headers: signed.headers, body: bytes });
  }
}

/**
 * aws4fetch's signing-key cache, holding only the key it derived last. The signer looks keys up by (secret, day,
 * region, service) and never evicts: a plain Map in a long-lived isolate would keep one key per day forever. Each
 * client signs for one region and service, so the last key is the one every call of the day asks for; around
 * midnight two days may alternate for a moment, which costs a derivation, never a wrong signature.
 */
export class LatestSigningKey extends Map<string, ArrayBuffer> {
  override set(key: string, value: ArrayBuffer): this {
    this.clear();
    return super.set(key, value);
  }
}
