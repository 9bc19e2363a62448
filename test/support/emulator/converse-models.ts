// What each non-Claude model family does differently on Converse, as Bedrock shows it to a client: which take images,
// which reason (and when), and that only Claude signs its reasoning. Keeps server.ts free of per-family rules.
import { validation } from "./errors.ts";
import type { ModelInfo } from "./models.ts";
import type { AnswerPlan } from "./plan.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Families (and single models) that read text only. */
function textOnly(model: ModelInfo): boolean {
  if (["deepseek", "qwen", "kimi", "gpt-oss"].includes(model.family)) return true;
  return model.baseId?.startsWith("amazon.nova-micro") ?? false;
}

/** Families that reason when asked to through `additionalModelRequestFields.reasoning_effort`. */
const REASONING_FAMILIES = new Set(["gpt-oss", "deepseek", "kimi"]);

function hasImage(blocks: unknown): boolean {
  if (!Array.isArray(blocks)) return false;
  return blocks.some((b) => isObject(b) && ("image" in b || (isObject(b.toolResult) && hasImage(b.toolResult.content))));
}

/** Refuses what a model cannot read, with the kind of ValidationException Bedrock answers. */
export function checkConverseModelInput(model: ModelInfo, body: { messages: Array<{ content: unknown }> }): void {
  if (model.family === "claude" || !textOnly(model)) return;
  if (body.messages.some((m) => hasImage(m.content))) {
    throw validation("This model doesn't support the image content block that you provided. Try again with a supported content block.");
  }
}

/**
 * The answer as this family gives it: a reasoning model asked to reason thinks first (unless a scenario already
 * planned thinking), and reasoning from anything but Claude carries no signature.
 */
export function shapeConversePlan(model: ModelInfo, body: Json, plan: AnswerPlan): AnswerPlan {
  let blocks = plan.blocks;
  const effort = isObject(body.additionalModelRequestFields) ? body.additionalModelRequestFields.reasoning_effort : undefined;
  if (REASONING_FAMILIES.has(model.family) && typeof effort === "string" && !blocks.some((b) => b.type === "thinking")) {
    blocks = [{ type: "thinking", text: `Reasoning (${effort} effort) about the request before answering.`, signature: "" }, ...blocks];
  }
  if (model.family !== "claude") blocks = blocks.map((b) => (b.type === "thinking" ? { ...b, signature: "" } : b));
  const added = blocks.length - plan.blocks.length;
  return added ? { ...plan, blocks, outputTokens: plan.outputTokens + 10 } : { ...plan, blocks };
}
