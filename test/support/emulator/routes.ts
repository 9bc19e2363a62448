// Turns a raw request path into an operation and a model id (BEDROCK_WIRE §1.2, §1.3). The path is split on raw '/'
// BEFORE percent-decoding: an application-inference-profile ARN travels as one label with its '/' encoded as %2F.
import type { Operation } from "./types.ts";

const SUFFIX_TO_OPERATION: Record<string, Operation> = {
  invoke: "InvokeModel",
  "invoke-with-response-stream": "InvokeModelWithResponseStream",
  converse: "Converse",
  "converse-stream": "ConverseStream",
  "count-tokens": "CountTokens",
};

export const STREAMING_OPERATIONS: ReadonlySet<Operation> = new Set(["InvokeModelWithResponseStream", "ConverseStream"]);

export interface Route {
  operation: Operation;
  modelId: string;
}

/** Returns null for anything that is not `POST /model/{label}/{operation}`. */
export function parseRoute(method: string, rawUrl: string): Route | null {
  const rawPath = rawUrl.split("?")[0] ?? "";
  const segments = rawPath.split("/");
  // ["", "model", "{label}", "{suffix}"]
  if (segments.length !== 4 || segments[0] !== "" || segments[1] !== "model") return null;
  const operation = SUFFIX_TO_OPERATION[segments[3] ?? ""];
  const label = segments[2] ?? "";
  if (!operation || method !== "POST" || label === "") return null;
  let modelId: string;
  try {
    modelId = decodeURIComponent(label);
  } catch {
    return null; // malformed percent-encoding cannot name a model
  }
  return { operation, modelId };
}

/** Best-effort model id for recording requests whose route did not parse. */
export function modelIdFromPath(rawUrl: string): string | null {
  const segments = (rawUrl.split("?")[0] ?? "").split("/");
  if (segments[1] !== "model" || !segments[2]) return null;
  try {
    return decodeURIComponent(segments[2]);
  } catch {
    return segments[2];
  }
}

/** Accepts an AWS operation name or its path suffix, so scenarios can say either. */
export function normaliseOperationName(name: string): Operation | null {
  if (name in SUFFIX_TO_OPERATION) return SUFFIX_TO_OPERATION[name] ?? null;
  return (Object.values(SUFFIX_TO_OPERATION) as string[]).includes(name) ? (name as Operation) : null;
}
