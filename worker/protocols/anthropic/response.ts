// Non-streaming InvokeModel responses are already Anthropic Messages (BEDROCK_WIRE.md §2.2); the only change is
// to report the model name the client asked for rather than the one Bedrock's backend chose.

export function rewriteInvokeResponse(body: any, requestedModel: string): any {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  return { ...body, model: requestedModel };
}
