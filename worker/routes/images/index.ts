// The image routes: OpenAI's `/v1/images/generations` (JSON) and `/v1/images/edits` (multipart), and Rockport's
// Nova Canvas operations (`/v1/images/variations`, `/background-removal`, `/outpaint`, JSON with data: URIs). Each
// parses, picks the model family's pure translator (worker/protocols/images/) and hands the plan to the pipeline.
import type { AppContext } from "../../context.ts";
import { bodyLimitFor } from "../../edge/firewall.ts";
import type { ResolvedModel } from "../../models/catalog.ts";
import { ImageInputError } from "../../protocols/images/errors.ts";
import type { Fields } from "../../protocols/images/fields.ts";
import { novaBackgroundRemoval, novaEdit, novaGeneration, novaOutpaint, novaVariation } from "../../protocols/images/nova.ts";
import { stabilityMaskFrom } from "../../protocols/images/mask.ts";
import { uploadedImage } from "../../protocols/images/sniff.ts";
import { stabilityEdit, stabilityGeneration } from "../../protocols/images/stability.ts";
import { bytesToBase64 } from "../../util/base64.ts";
import { readJsonBody } from "../body.ts";
import { wrongRoute } from "../model-route.ts";
import { resolveModelForKey } from "../resolve-model.ts";
import { readEditForm } from "./form.ts";
import { runImages } from "./run.ts";

function imageModel(c: AppContext, fields: Fields, fallback?: string): ResolvedModel {
  const name = fields.model ?? fallback;
  if (typeof name !== "string" || name === "") throw new ImageInputError("model", "'model' is required.");
  const model = resolveModelForKey(c, name);
  if (model.row.api !== "image" || !model.row.image) throw wrongRoute(name, model.row);
  return model;
}

export async function imageGenerations(c: AppContext): Promise<Response> {
  const req = (await readJsonBody(c.req.raw, c.get("services").config.maxBodyBytes)) as Fields;
  const model = imageModel(c, req);
  const spec = model.row.image!;
  if (spec.edit) throw wrongRoute(model.requested, model.row);
  const plan = spec.family === "stability-generate" ? stabilityGeneration(req, spec, model.requested) : novaGeneration(req, spec, model.requested);
  return runImages(c, "/v1/images/generations", model, plan);
}

export async function imageEdits(c: AppContext): Promise<Response> {
  const maxBytes = bodyLimitFor("/v1/images/edits", c.get("services").config.maxBodyBytes);
  const form = await readEditForm(c.req.raw, maxBytes);
  const model = imageModel(c, form.fields);
  const spec = model.row.image!;
  if (spec.family === "stability-edit") {
    // An OpenAI-style mask (transparent = change) becomes Stability's (white = change); an opaque one is kept.
    const converted = form.maskBytes ? await stabilityMaskFrom(form.maskBytes) : null;
    const mask = converted ? uploadedImage(converted, bytesToBase64(converted), "mask") : form.mask;
    return runImages(c, "/v1/images/edits", model, stabilityEdit(form.fields, form.images, mask, spec, model.requested));
  }
  if (spec.family === "nova-canvas") return runImages(c, "/v1/images/edits", model, novaEdit(form.fields, form.images, form.mask, spec, model.requested));
  throw new ImageInputError("model", `model: ${model.requested} makes images from text only; call it through /v1/images/generations.`);
}

/** Rockport's Nova Canvas operations: the model defaults to nova-canvas, and the answer carries `model` and `cost`. */
function novaOperation(route: string, translate: typeof novaVariation) {
  return async (c: AppContext): Promise<Response> => {
    const req = (await readJsonBody(c.req.raw, c.get("services").config.maxBodyBytes)) as Fields;
    const model = imageModel(c, req, "nova-canvas");
    if (model.row.image!.family !== "nova-canvas") throw new ImageInputError("model", `${route} is a Nova Canvas operation; model: ${model.requested} cannot do it.`);
    const plan = translate(req, model.row.image!, model.requested);
    return runImages(c, route, model, plan, (_images, cost) => ({ model: model.requested, cost }));
  };
}

export const imageVariations = novaOperation("/v1/images/variations", novaVariation);
export const imageBackgroundRemoval = novaOperation("/v1/images/background-removal", novaBackgroundRemoval);
export const imageOutpaint = novaOperation("/v1/images/outpaint", novaOutpaint);
