import { invokeWithFailover, type InvokeOutcome } from "../bedrock/invoke.ts";
import type { AppContext } from "../context.ts";
import { errorResponse } from "../edge/errors.ts";
import { assembleEmbeddings, planEmbeddings, type BedrockEmbeddingResponse } from "../protocols/embeddings/openai.ts";
import { toOpenAIError } from "../protocols/openai/errors.ts";
import { EmbeddingsRequest } from "../protocols/openai/schema.ts";
import { logEvent } from "../util/log.ts";
import { readJsonBody, validate } from "./body.ts";
import { wrongRoute } from "./model-route.ts";
import { resolveModelForKey } from "./resolve-model.ts";
import { admit, requestBytes, withMeterHeaders } from "./metering.ts";
import { recordSpend, withTarget, type CallMeta } from "./spend.ts";
import { worstCase } from "../meter/estimate.ts";

/** Workers allow six simultaneous outgoing connections per request; more would only queue. */
const PARALLEL_CALLS = 6;

/**
 * `POST /v1/embeddings` for the embedding models in the catalog. Titan embeds one text per call, Cohere up to 96:
 * the translator plans the calls, they run a few at a time, and the answers are put back in input order.
 */
export async function embeddings(c: AppContext): Promise<Response> {
  const s = c.get("services");
  const raw = (await readJsonBody(c.req.raw, s.config.maxBodyBytes)) as Record<string, unknown>;
  const req = validate(EmbeddingsRequest, raw);
  const model = resolveModelForKey(c, req.model);
  if (model.row.api !== "embedding" || !model.row.embedding) {
    throw wrongRoute(req.model, model.row);
  }
  const plan = planEmbeddings(raw, model.row.embedding);
  await admit(c, worstCase(requestBytes(c, raw), 0, model.row.price));
  const targets = s.router.targetsFor(model);

  const outcomes: InvokeOutcome[] = new Array(plan.calls.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.calls.length) {
      const i = next++;
      outcomes[i] = await invokeWithFailover({ targets, op: "invoke", body: plan.calls[i]!.body, modelKey: model.baseId, memory: s.rejections });
      if (!outcomes[i]!.ok) next = plan.calls.length; // one failure decides the answer: stop starting new calls
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, plan.calls.length) }, worker));

  const first = outcomes.find((o) => o !== undefined);
  const meta: CallMeta = { route: "/v1/embeddings", model, stream: false, target: first?.target?.name ?? null, bedrockModel: first?.target?.modelId ?? model.invokeId };
  const failure = outcomes.find((o): o is Extract<InvokeOutcome, { ok: false }> => o !== undefined && !o.ok);
  if (failure) {
    const e = toOpenAIError(failure.error);
    // Calls that did succeed were still billed by Bedrock.
    const done = await readAll(outcomes.filter((o): o is Extract<InvokeOutcome, { ok: true }> => o?.ok === true));
    recordSpend(c, meta, e.status, { input_tokens: headerTokens(done), output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    logEvent("warn", { msg: "embedding call failed", requestId: c.get("requestId"), error: failure.error.name });
    return withMeterHeaders(c, withTarget(errorResponse("openai", e.status, failure.unreachable ? "The model service could not be reached. Please retry." : e.message, { type: e.type }), meta));
  }
  const responses = await readAll(outcomes as Extract<InvokeOutcome, { ok: true }>[]);
  let assembled: ReturnType<typeof assembleEmbeddings>;
  try {
    assembled = assembleEmbeddings(plan, responses, { requestedModel: req.model });
  } catch (e) {
    // An answer that cannot be read (a 502): Bedrock did the work all the same, billed by its token-count headers.
    recordSpend(c, meta, 502, { input_tokens: headerTokens(responses), output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    throw e;
  }
  const { body, inputTokens } = assembled;
  const cost = recordSpend(c, meta, 200, { input_tokens: inputTokens, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  return withMeterHeaders(c, withTarget(c.json(body, 200), meta), cost);
}

async function readAll(ok: Extract<InvokeOutcome, { ok: true }>[]): Promise<BedrockEmbeddingResponse[]> {
  return Promise.all(
    ok.map(async (o) => {
      const header = Number(o.res.headers.get("x-amzn-bedrock-input-token-count"));
      // An unreadable body is left to assembleEmbeddings, which refuses it as the upstream's failure (502).
      const json: unknown = await o.res.json().catch(() => null);
      return { json, inputTokenHeader: Number.isFinite(header) && header >= 0 ? header : null };
    }),
  );
}

/** The input tokens Bedrock's headers count over these answers. */
function headerTokens(responses: readonly BedrockEmbeddingResponse[]): number {
  return responses.reduce((n, r) => n + (r.inputTokenHeader ?? 0), 0);
}
