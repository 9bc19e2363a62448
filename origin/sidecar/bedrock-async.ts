/**
 * Bedrock's asynchronous invoke (StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes; BEDROCK_WIRE §6), signed
 * with the region that serves the model. Errors come back as BedrockAsyncError with AWS's error type.
 */
import { awsClient, bedrockBase, type CredentialSource } from "./aws.ts";
import type { SidecarConfig } from "./config.ts";

export class BedrockAsyncError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AsyncStatus {
  status: "InProgress" | "Completed" | "Failed";
  failureMessage?: string;
  endTime?: string;
}

export class BedrockAsync {
  constructor(
    private readonly config: SidecarConfig,
    private readonly creds: CredentialSource,
  ) {}

  async start(region: string, input: { modelId: string; modelInput: unknown; s3Uri: string; clientRequestToken: string }): Promise<string> {
    const body = JSON.stringify({
      modelId: input.modelId,
      modelInput: input.modelInput,
      outputDataConfig: { s3OutputDataConfig: { s3Uri: input.s3Uri } },
      clientRequestToken: input.clientRequestToken,
    });
    const doc = (await this.call(region, "POST", "/async-invoke", body)) as { invocationArn?: unknown };
    if (typeof doc.invocationArn !== "string") throw new BedrockAsyncError(502, "InvalidResponse", "StartAsyncInvoke answered without an invocationArn");
    return doc.invocationArn;
  }

  async get(region: string, invocationArn: string): Promise<AsyncStatus> {
    // The whole ARN is one path label (':' and '/' percent-encoded).
    return (await this.call(region, "GET", `/async-invoke/${encodeURIComponent(invocationArn)}`)) as AsyncStatus;
  }

  /** One cheap call that proves the region answers and the role may use it (the health check). */
  async ping(region: string): Promise<void> {
    await this.call(region, "GET", "/async-invoke?maxResults=1");
  }

  private async call(region: string, method: string, path: string, body?: string): Promise<unknown> {
    const aws = await awsClient(this.creds, "bedrock", region);
    const res = await aws.fetch(`${bedrockBase(this.config, region)}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let doc: unknown = null;
    try {
      doc = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    if (!res.ok) {
      const errorType = (res.headers.get("x-amzn-errortype") ?? "").split(":")[0] || `HTTP${res.status}`;
      const d = doc as { message?: string; Message?: string } | null;
      throw new BedrockAsyncError(res.status, errorType, d?.message ?? d?.Message ?? text.slice(0, 300));
    }
    return doc;
  }
}
