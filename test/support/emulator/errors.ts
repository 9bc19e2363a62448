// AWS-shaped HTTP errors (BEDROCK_WIRE §7.2). The SDK identifies an error by the part of `x-amzn-ErrorType` before
// the first ':' and reads the text from `message` (or `Message`) in the JSON body, so both must look like AWS's.
import type { ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

/** Errors thrown by Bedrock's own model layer carry this namespace. */
export const BEDROCK_NS = "http://internal.amazon.com/coral/com.amazon.bedrock/";
/** Errors raised by AWS's front door (auth, routing) carry the generic Coral namespace. */
export const CORAL_NS = "http://internal.amazon.com/coral/com.amazon.coral.service/";

export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    readonly namespace: string = BEDROCK_NS,
    /** Name of the message field in the body; AWS's IAM-style denials use "Message". */
    readonly messageField: "message" | "Message" = "message",
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const validation = (message: string): AwsError => new AwsError(400, "ValidationException", message);

/** The wording Bedrock uses when the Claude request body fails its JSON-schema check. */
export const malformed = (detail: string): AwsError =>
  validation(`Malformed input request: ${detail}, please reformat your input and try again.`);

export function writeAwsError(res: ServerResponse, err: AwsError, requestId: string = randomUUID()): void {
  if (res.destroyed) return; // the client has gone; nobody to tell
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ [err.messageField]: err.message });
  res.writeHead(err.status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    "x-amzn-RequestId": requestId,
    "x-amzn-ErrorType": `${err.errorType}:${err.namespace}`,
    ...err.extraHeaders,
  });
  res.end(body);
}
