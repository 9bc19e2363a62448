import type { Hashing } from "../util/sha256.ts";
import { RequestSigner } from "./signer.ts";

const UTF8 = new TextEncoder();
// Frozen, so the signer prepares each set once (signer.ts RequestSigner.prepared).
const JSON_HEADERS: Record<string, string> = Object.freeze({ "content-type": "application/json", accept: "application/json" });
const STREAM_HEADERS: Record<string, string> = Object.freeze({ "content-type": "application/json", "x-amzn-bedrock-accept": "application/json" });

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
 * body) into one signed HTTP request. Our own failover policy decides about retries, so there is no retry loop here.
 */
export class BedrockClient {
  private readonly signer: RequestSigner;

  constructor(
    private readonly opts: BedrockClientOptions,
    hashing?: Hashing,
  ) {
    // The signing name is "bedrock"; a signer guessing from the host would say "bedrock-runtime" and be refused.
    this.signer = new RequestSigner({ ...opts, service: "bedrock" }, hashing);
  }

  /** The URL is built once and the same string is signed and sent, so the canonical path always matches the wire. */
  url(modelId: string, op: BedrockOperation): string {
    return `${this.opts.endpoint}/model/${encodeURIComponent(modelId)}/${op}`;
  }

  async call(modelId: string, op: BedrockOperation, body: string, extraHeaders?: Record<string, string>): Promise<Response> {
    const streamed = op.endsWith("stream");
    let headers = streamed ? STREAM_HEADERS : JSON_HEADERS;
    if (extraHeaders) headers = { ...extraHeaders, ...headers };
    // Encoded once: the signer hashes these bytes and fetch sends them. Given the string, each would encode it
    // again (a Claude Code request is ~350 KB).
    const bytes = UTF8.encode(body);
    const url = this.url(modelId, op);
    return fetch(url, { method: "POST", headers: await this.signer.sign(url, headers, bytes), body: bytes });
  }
}
