import type { AppContext } from "../../context.ts";
import type { ResolvedModel } from "../../models/catalog.ts";
import { filterMessage, readImageAnswer, toOpenAIImages } from "../../protocols/images/answer.ts";
import { ContentFilterError, ImageResponseError } from "../../protocols/images/errors.ts";
import { dearestImage, LARGE_BODY_IMAGE_BYTES, textBytes, type ImageCallPlan } from "../../protocols/images/plan.ts";
import { OPENAI_IMAGES_DIALECT } from "../dialects.ts";
import { NO_USAGE, runCall, type UnitCallPlan } from "../pipeline.ts";

/**
 * Runs a translator's image plan through the one call pipeline: n × the unit price reserved, one InvokeModel call
 * per body, one spend row with the image count priced per image, `x-litellm-response-cost` set.
 */
export function runImages(c: AppContext, route: string, model: ResolvedModel, plan: ImageCallPlan, extra?: (images: string[], cost: number) => Record<string, unknown>): Promise<Response> {
  const spec = model.row.image!;
  const expected = plan.count * plan.unitPrice;
  const priceOf = (count: number) => Math.round(count * plan.unitPrice * 1e10) / 1e10;
  const unitPlan: UnitCallPlan<string> = {
    kind: "units",
    route,
    model,
    bodies: plan.bodies,
    parallel: plan.bodies.length > 1 && textBytes(plan.bodies[0]) > LARGE_BODY_IMAGE_BYTES ? 1 : undefined,
    estimate: { tokens: 0, cost: expected, worst: Math.max(expected, plan.count * dearestImage(spec)) },
    dialect: OPENAI_IMAGES_DIALECT,
    read: (json) => {
      const answer = readImageAnswer(plan.answer, json);
      const refusal = answer.filtered
        ? new ContentFilterError(filterMessage(answer.filtered))
        : answer.failed
          ? new ImageResponseError(answer.failed)
          : undefined;
      return { units: answer.images, ...(refusal ? { refusal } : {}) };
    },
    // Fewer images than asked are still an answer (a content filter blocks some).
    partial: true,
    bill: (images) => ({ usage: NO_USAGE, billed: { cost: priceOf(images.length), units: images.length } }),
    respond: (images) => ({ ...toOpenAIImages(images, Math.floor(Date.now() / 1000)), ...extra?.(images, priceOf(images.length)) }),
  };
  return runCall(c, unitPlan);
}
