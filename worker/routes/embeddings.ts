import { bedrockTokenCount } from "../bedrock/usage-headers.ts";
import type { AppContext } from "../context.ts";
import { worstCase } from "../meter/estimate.ts";
import { assembleEmbeddings, callInputTokens, planEmbeddings, type BedrockEmbeddingResponse } from "../protocols/embeddings/openai.ts";
import { EmbeddingsRequest } from "../protocols/openai/schema.ts";
import { readJsonBody, validate } from "./body.ts";
import { OPENAI_DIALECT } from "./dialects.ts";
import { requestBytes } from "./metering.ts";
import { wrongRoute } from "./model-route.ts";
import { runCall, type UnitCallPlan } from "./pipeline.ts";
import { resolveModelForKey } from "./resolve-model.ts";

/** Workers allow six simultaneous outgoing connections per request; more would only queue. */
const PARALLEL_CALLS = 6;

/** One call's answer, with its place in the plan (answers are put back in input order). */
interface CallAnswer {
  call: number;
  response: BedrockEmbeddingResponse;
}

/**
 * `POST /v1/embeddings` for the embedding models in the catalog. Titan embeds one text per call, Cohere up to 96:
 * the translator plans the calls, the call pipeline runs them a few at a time, and the answers are put back in
 * input order. Billed by the input tokens each answer reports; one failed call fails the request (every input needs
 * its vector), still billed for the calls that were answered.
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
  const unitPlan: UnitCallPlan<CallAnswer> = {
    kind: "units",
    route: "/v1/embeddings",
    model,
    bodies: plan.calls.map((call) => call.body),
    parallel: PARALLEL_CALLS,
    estimate: worstCase(requestBytes(c, raw), 0, model.row.price),
    dialect: OPENAI_DIALECT,
    // An unreadable body (null) is kept: assembleEmbeddings refuses it as the upstream's failure (502), and the call
    // is still billed by its token-count header.
    read: (json, answer) => ({ units: [{ call: answer.call, response: { json, inputTokenHeader: bedrockTokenCount(answer.headers, "input") } }] }),
    partial: false,
    bill: (answers) => ({
      usage: { input_tokens: answers.reduce((n, a) => n + callInputTokens(plan, a.call, a.response), 0), output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    }),
    respond: (answers) =>
      assembleEmbeddings(
        plan,
        [...answers].sort((a, b) => a.call - b.call).map((a) => a.response),
        { requestedModel: req.model },
      ).body,
  };
  return runCall(c, unitPlan);
}
