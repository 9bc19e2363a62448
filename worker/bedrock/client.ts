import { AwsClient } from "aws4fetch";

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
 */
export class BedrockClient {
  private readonly aws: AwsClient;

  constructor(private readonly opts: BedrockClientOptions) {
    this.aws = new AwsClient({
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      sessionToken: opts.sessionToken,
      // The signing name is "bedrock"; aws4fetch would guess "bedrock-runtime" from the host and be refused.
      service: "bedrock",
      region: opts.region,
      // Our own failover policy decides about retries; aws4fetch would retry 429/5xx ten times.
      retries: 0,
    });
  }

  /** The URL is built once and the same string is signed and sent, so the canonical path always matches the wire. */
  url(modelId: string, op: BedrockOperation): string {
    return `${this.opts.endpoint}/model/${encodeURIComponent(modelId)}/${op}`;
  }

  call(modelId: string, op: BedrockOperation, body: string, extraHeaders?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { ...extraHeaders, "content-type": "application/json" };
    headers[op.endsWith("stream") ? "x-amzn-bedrock-accept" : "accept"] = "application/json";
    return this.aws.fetch(this.url(modelId, op), { method: "POST", headers, body });
  }
}
