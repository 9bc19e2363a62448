import { toAnthropicError, type BedrockError } from "../bedrock/errors.ts";
import { invokeWithFailover } from "../bedrock/invoke.ts";
import { defer, type AppContext } from "../context.ts";
import { GatewayError } from "../edge/errors.ts";
import { rewriteInvokeResponse } from "../protocols/anthropic/response.ts";
import { MessagesRequest } from "../protocols/anthropic/schema.ts";
import { withPings } from "../protocols/anthropic/keepalive.ts";
import { bedrockToAnthropicSSE } from "../protocols/anthropic/stream.ts";
import { emptyUsage, usageFromMessage, type AnthropicUsage } from "../protocols/anthropic/usage.ts";
import { logEvent } from "../util/log.ts";
import { anthropicUpstreamError, invokeBodyFor } from "./bedrock-call.ts";
import { readJsonBody, validate } from "./body.ts";
import { resolveModelForKey } from "./resolve-model.ts";
import { admit, withMeterHeaders } from "./metering.ts";
import { applyContentGuard, keyGuardrail } from "./content-policy.ts";
import { guardrailHeaders } from "../edge/content-guard.ts";
import { recordSpend, withTarget, type CallMeta } from "./spend.ts";
import { estimateRequest } from "../meter/estimate.ts";

/** `POST /v1/messages`: Anthropic Messages → Bedrock InvokeModel (or its streaming twin) → Anthropic response. */
export async function messages(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>;
  const req = validate(MessagesRequest, raw);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api !== "anthropic") {
    throw new GatewayError(400, `model: ${req.model} is not a Claude model; call it through /v1/chat/completions.`, "invalid_request_error");
  }

  const body = invokeBodyFor(c, applyContentGuard(c, raw, "anthropic"), model);
  const guardrail = keyGuardrail(c);
  const stream = req.stream === true;
  const ticket = await admit(c, estimateRequest(raw, { dialect: "anthropic", maxTokens: req.max_tokens, price: model.row.price, caching: model.row.caching }));
  const targets = s.router.targetsFor(model);
  const outcome = await invokeWithFailover({
    targets,
    op: stream ? "invoke-with-response-stream" : "invoke",
    body,
    modelKey: model.baseId,
    memory: s.rejections,
    headers: guardrail ? guardrailHeaders(guardrail) : undefined,
    onRetry: (why) => logEvent("warn", { msg: why, requestId: c.get("requestId"), model: model.requested }),
  });
  const meta: CallMeta = { route: "/v1/messages", model, stream, target: outcome.target?.name ?? null, bedrockModel: outcome.target?.modelId ?? model.invokeId };

  if (!outcome.ok) {
    if (outcome.unreachable) {
      logEvent("error", { msg: "bedrock unreachable", requestId: c.get("requestId"), target: meta.target });
      recordSpend(c, meta, 502, emptyUsage());
      throw new GatewayError(502, "The model service could not be reached. Please retry.", "api_error");
    }
    return withMeterHeaders(c, withTarget(upstreamError(c, meta, outcome.error), meta));
  }

  if (!stream) {
    const json = (await outcome.res.json()) as Record<string, unknown>;
    const cost = recordSpend(c, meta, 200, usageFromMessage(json));
    return withMeterHeaders(c, withTarget(c.json(rewriteInvokeResponse(json, req.model), 200), meta), cost);
  }

  if (!outcome.body) return upstreamError(c, meta, { name: "InternalServerException", message: "Empty stream from the model service.", status: 500 });
  let finished: (usage: AnthropicUsage, status: number) => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = (usage, status) => {
      recordSpend(c, meta, status, usage);
      resolve();
    };
  });
  const sse = outcome.body
    .pipeThrough(
      bedrockToAnthropicSSE({
        requestedModel: req.model,
        // A stream that ended in an error frame or was cut short by the client still bills what was generated.
        onEnd: (r) => finished(r.usage, r.error ? toAnthropicError(r.error).status : r.completed ? 200 : 499),
      }),
    )
    .pipeThrough(withPings(s.config.streamPingMs));
  defer(c, done);
  ticket.streaming = true; // settled by the stream's end, not by the scope
  return withMeterHeaders(
    c,
    withTarget(
      new Response(sse, {
        status: 200,
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": c.get("requestId") },
      }),
      meta,
    ),
  );
}

function upstreamError(c: AppContext, meta: CallMeta, e: BedrockError): Response {
  const mapped = toAnthropicError(e);
  if (mapped.status === 401) logEvent("error", { msg: "Bedrock rejected the gateway's AWS credentials", requestId: c.get("requestId"), bedrockError: e.name });
  recordSpend(c, meta, mapped.status, emptyUsage());
  return anthropicUpstreamError(c, e);
}
