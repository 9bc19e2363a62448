// Amazon Nova Canvas and Titan Image Generator v2: one InvokeModel call makes up to five images (`numberOfImages`).
// Shapes: MEDIA_ORIGIN §2.2–2.3 (taskType + <task>Params + imageGenerationConfig). Pure: no I/O.
import type { ImageSpec } from "../../models/catalog-data.ts";
import { ImageInputError } from "./errors.ts";
import {
  checkResponseFormat, optChoice, optNumber, optObject, optString, readN, readQuality, readSize, refuseUnknown, reqString, type Fields,
} from "./fields.ts";
import { unitPrice, type ImageCallPlan } from "./plan.ts";
import { inlineImage, type InputImage } from "./sniff.ts";

export const NOVA_STYLES = [
  "3D_ANIMATED_FAMILY_FILM", "DESIGN_SKETCH", "FLAT_VECTOR_ILLUSTRATION", "GRAPHIC_NOVEL_ILLUSTRATION", "MAXIMALISM", "MIDCENTURY_RETRO",
  "PHOTOREALISM", "SOFT_DIGITAL_PAINTING",
] as const;

interface Limits {
  prompt: number;
  seedMax: number;
  cfgDefault: number;
}
// Seed: the AWS examples' bound for Nova (MEDIA_ORIGIN §2.2 leaves the larger figure unconfirmed); Titan's documented one.
const NOVA: Limits = { prompt: 1024, seedMax: 858_993_459, cfgDefault: 6.5 };
const TITAN: Limits = { prompt: 512, seedMax: 2_147_483_646, cfgDefault: 8 };

const COMMON = ["model", "prompt", "n", "size", "quality", "response_format", "seed", "user", "negative_prompt", "negativeText", "cfg_scale", "cfgScale", "taskType", "imageGenerationConfig"];
const GENERATE_FIELDS = {
  nova: new Set([...COMMON, "style", "textToImageParams", "colorGuidedGenerationParams"]),
  titan: new Set([...COMMON, "textToImageParams", "colorGuidedGenerationParams"]),
};

/** Nova: 320–4096 px, multiples of 16, aspect 1:4 to 4:1, under 4.19 MP; Titan: its preset sizes. */
export function checkNovaSize(size: { width: number; height: number }, spec: ImageSpec, model: string): void {
  const { width: w, height: h } = size;
  if (spec.sizes) {
    if (!spec.sizes.includes(`${w}x${h}`)) throw new ImageInputError("size", `'size' ${w}x${h} is not offered by ${model}; choose one of ${spec.sizes.join(", ")}.`);
    return;
  }
  const ok = w >= 320 && h >= 320 && w <= 4096 && h <= 4096 && w % 16 === 0 && h % 16 === 0 && w / h <= 4 && h / w <= 4 && w * h < 4_194_304;
  if (!ok) {
    throw new ImageInputError("size", `'size' ${w}x${h} is not offered by ${model}: width and height 320–4096 px in multiples of 16, aspect ratio between 1:4 and 4:1, under 4,194,304 pixels.`);
  }
}

function negativeText(req: Fields, limits: Limits): string | undefined {
  return optString(req, "negative_prompt", limits.prompt) ?? optString(req, "negativeText", limits.prompt) ?? optString(req, "negative_text", limits.prompt);
}

function generationConfig(req: Fields, limits: Limits, n: number, size: { width: number; height: number } | null, quality: "standard" | "premium") {
  const seed = optNumber(req, "seed", 0, limits.seedMax, true);
  const cfg = optNumber(req, "cfg_scale", 1.1, 10) ?? optNumber(req, "cfgScale", 1.1, 10);
  return {
    numberOfImages: n,
    quality,
    ...(size ? { width: size.width, height: size.height } : {}),
    ...(cfg !== undefined ? { cfgScale: cfg } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** `POST /v1/images/generations` for Nova Canvas and Titan: TEXT_IMAGE, or COLOR_GUIDED_GENERATION when asked. */
export function novaGeneration(req: Fields, spec: ImageSpec, model: string): ImageCallPlan {
  const titan = spec.family === "titan-image";
  const limits = titan ? TITAN : NOVA;
  refuseUnknown(req, titan ? GENERATE_FIELDS.titan : GENERATE_FIELDS.nova, model);
  checkResponseFormat(req);
  const prompt = reqString(req, "prompt", limits.prompt);
  const extraConfig = optObject(req, "imageGenerationConfig") ?? {};
  const quality = readQuality(req) ?? (extraConfig.quality === "premium" ? "premium" : "standard");
  const n = readN({ n: extraConfig.numberOfImages ?? req.n }, spec.maxN, model);
  const size = readSize(req) ?? (typeof extraConfig.width === "number" && typeof extraConfig.height === "number" ? { width: extraConfig.width, height: extraConfig.height } : { width: 1024, height: 1024 });
  checkNovaSize(size, spec, model);
  const taskType = optChoice(req, "taskType", ["TEXT_IMAGE", "COLOR_GUIDED_GENERATION"] as const) ?? "TEXT_IMAGE";
  const negative = negativeText(req, limits);
  let style: string | undefined;
  if (!titan && req.style !== undefined && req.style !== null) {
    const named = String(req.style).toUpperCase().replace(/[\s-]+/g, "_");
    if (!(NOVA_STYLES as readonly string[]).includes(named)) throw new ImageInputError("style", `'style' must be one of ${NOVA_STYLES.join(", ")}.`);
    style = named;
  }
  const text = { text: prompt, ...(negative ? { negativeText: negative } : {}) };
  let params: Record<string, unknown>;
  if (taskType === "TEXT_IMAGE") {
    // conditionImage / controlMode / controlStrength (image conditioning) pass through from textToImageParams.
    const extra = optObject(req, "textToImageParams") ?? {};
    if (extra.conditionImage !== undefined) inlineImage(extra.conditionImage, "textToImageParams.conditionImage", ["png", "jpeg"]);
    params = { textToImageParams: { ...extra, ...text, ...(style ? { style } : {}) } };
  } else {
    const extra = optObject(req, "colorGuidedGenerationParams");
    if (!extra || !Array.isArray(extra.colors) || extra.colors.length === 0) {
      throw new ImageInputError("colorGuidedGenerationParams.colors", "COLOR_GUIDED_GENERATION needs colorGuidedGenerationParams.colors: 1–10 \"#RRGGBB\" values.");
    }
    params = { colorGuidedGenerationParams: { ...extra, ...text } };
  }
  const config = { ...extraConfig, ...generationConfig(req, limits, n, size, quality) };
  return { bodies: [{ taskType, ...params, imageGenerationConfig: config }], count: n, unitPrice: unitPrice(spec, quality, size), answer: "nova" };
}

/**
 * `POST /v1/images/edits` with Nova Canvas: INPAINTING with a mask image or a mask prompt (the default), or
 * OUTPAINTING when `taskType` says so. Exactly one of mask / mask prompt, as Bedrock requires.
 */
export function novaEdit(req: Fields, images: InputImage[], mask: InputImage | null, spec: ImageSpec, model: string): ImageCallPlan {
  refuseUnknown(req, new Set(["model", "prompt", "n", "size", "quality", "response_format", "seed", "user", "negative_prompt", "negativeText", "cfg_scale", "cfgScale", "taskType", "mask_prompt", "maskPrompt", "outpainting_mode", "outPaintingMode"]), model);
  checkResponseFormat(req);
  const image = images[0];
  if (!image) throw new ImageInputError("image", "'image' is required: the picture to edit.");
  if (images.length > 1) throw new ImageInputError("image", `${model} edits one image; ${images.length} were sent.`);
  // Nova Canvas reads PNG and JPEG only.
  for (const [what, img] of [["image", image], ["mask", mask]] as const) {
    if (img && img.format === "webp") throw new ImageInputError(what, `'${what}' is a WebP image; ${model} takes PNG or JPEG.`);
  }
  const prompt = reqString(req, "prompt", NOVA.prompt);
  const maskPrompt = optString(req, "mask_prompt", NOVA.prompt) ?? optString(req, "maskPrompt", NOVA.prompt);
  if (!mask && !maskPrompt) throw new ImageInputError("mask", "Nova Canvas edits need a 'mask' image or a 'mask_prompt' naming what to change.");
  if (mask && maskPrompt) throw new ImageInputError("mask_prompt", "Send either 'mask' or 'mask_prompt', not both.");
  const taskType = optChoice(req, "taskType", ["INPAINTING", "OUTPAINTING"] as const) ?? "INPAINTING";
  const quality = readQuality(req) ?? "standard";
  const n = readN(req, spec.maxN, model);
  const negative = negativeText(req, NOVA);
  const maskField = mask ? { maskImage: mask.base64 } : { maskPrompt };
  const common = { image: image.base64, ...maskField, text: prompt, ...(negative ? { negativeText: negative } : {}) };
  const mode = optChoice(req, "outpainting_mode", ["DEFAULT", "PRECISE"] as const) ?? optChoice(req, "outPaintingMode", ["DEFAULT", "PRECISE"] as const);
  const params = taskType === "INPAINTING" ? { inPaintingParams: common } : { outPaintingParams: { ...common, outPaintingMode: mode ?? "DEFAULT" } };
  // The output has the input's size; `size` is accepted (OpenAI clients send it) but only prices the call.
  const size = readSize(req);
  return { bodies: [{ taskType, ...params, imageGenerationConfig: generationConfig(req, NOVA, n, null, quality) }], count: n, unitPrice: unitPrice(spec, quality, size), answer: "nova" };
}

/** Rockport's `POST /v1/images/variations`: IMAGE_VARIATION from 1–5 images (data URIs) and a prompt. */
export function novaVariation(req: Fields, spec: ImageSpec, model: string): ImageCallPlan {
  refuseUnknown(req, new Set(["model", "images", "prompt", "similarity_strength", "negative_text", "negative_prompt", "seed", "cfg_scale", "n", "width", "height", "quality", "response_format", "user"]), model);
  checkResponseFormat(req);
  if (!Array.isArray(req.images) || req.images.length < 1 || req.images.length > 5) throw new ImageInputError("images", "'images' must be a list of 1 to 5 images (data: URIs).");
  const images = req.images.map((v, i) => inlineImage(v, `images[${i}]`, ["png", "jpeg"]).base64);
  const prompt = reqString(req, "prompt", NOVA.prompt);
  const similarity = optNumber(req, "similarity_strength", 0.2, 1) ?? 0.7;
  const quality = optChoice(req, "quality", ["standard", "premium"] as const) ?? "standard";
  const n = readN(req, spec.maxN, model);
  const size = { width: optNumber(req, "width", 320, 4096, true) ?? 1024, height: optNumber(req, "height", 320, 4096, true) ?? 1024 };
  checkNovaSize(size, spec, model);
  const negative = negativeText(req, NOVA);
  // Rockport accepted seeds up to 2,147,483,646 here; kept so its callers' requests still pass.
  const seed = optNumber(req, "seed", 0, 2_147_483_646, true);
  const cfg = optNumber(req, "cfg_scale", 1.1, 10) ?? NOVA.cfgDefault;
  const body = {
    taskType: "IMAGE_VARIATION",
    imageVariationParams: { images, similarityStrength: similarity, text: prompt, ...(negative ? { negativeText: negative } : {}) },
    imageGenerationConfig: { numberOfImages: n, quality, width: size.width, height: size.height, cfgScale: cfg, ...(seed !== undefined ? { seed } : {}) },
  };
  return { bodies: [body], count: n, unitPrice: unitPrice(spec, quality, size), answer: "nova" };
}

/** Rockport's `POST /v1/images/background-removal`: one image in, one with a transparent background out. */
export function novaBackgroundRemoval(req: Fields, spec: ImageSpec, model: string): ImageCallPlan {
  refuseUnknown(req, new Set(["model", "image", "response_format", "user"]), model);
  checkResponseFormat(req);
  if (req.image === undefined) throw new ImageInputError("image", "'image' is required.");
  const image = inlineImage(req.image, "image", ["png", "jpeg"]);
  // AWS refuses imageGenerationConfig on this task.
  return { bodies: [{ taskType: "BACKGROUND_REMOVAL", backgroundRemovalParams: { image: image.base64 } }], count: 1, unitPrice: spec.perImage, answer: "nova" };
}

/** Rockport's `POST /v1/images/outpaint`: OUTPAINTING with exactly one of `mask_prompt` / `mask_image`. */
export function novaOutpaint(req: Fields, spec: ImageSpec, model: string): ImageCallPlan {
  refuseUnknown(req, new Set(["model", "image", "prompt", "mask_prompt", "mask_image", "negative_text", "negative_prompt", "outpainting_mode", "seed", "cfg_scale", "n", "quality", "response_format", "user"]), model);
  checkResponseFormat(req);
  if (req.image === undefined) throw new ImageInputError("image", "'image' is required.");
  const image = inlineImage(req.image, "image", ["png", "jpeg"]);
  const prompt = reqString(req, "prompt", NOVA.prompt);
  const maskPrompt = optString(req, "mask_prompt", NOVA.prompt);
  const maskImage = req.mask_image !== undefined && req.mask_image !== null ? inlineImage(req.mask_image, "mask_image", ["png", "jpeg"]) : undefined;
  if ((maskPrompt === undefined) === (maskImage === undefined)) throw new ImageInputError("mask_prompt", "Send exactly one of 'mask_prompt' and 'mask_image'.");
  const mode = optChoice(req, "outpainting_mode", ["DEFAULT", "PRECISE"] as const) ?? "PRECISE";
  const quality = optChoice(req, "quality", ["standard", "premium"] as const) ?? "standard";
  const n = readN(req, spec.maxN, model);
  const negative = negativeText(req, NOVA);
  const seed = optNumber(req, "seed", 0, 2_147_483_646, true);
  const cfg = optNumber(req, "cfg_scale", 1.1, 10) ?? 7;
  const body = {
    taskType: "OUTPAINTING",
    outPaintingParams: { image: image.base64, ...(maskImage ? { maskImage: maskImage.base64 } : { maskPrompt }), outPaintingMode: mode, text: prompt, ...(negative ? { negativeText: negative } : {}) },
    imageGenerationConfig: { numberOfImages: n, quality, cfgScale: cfg, ...(seed !== undefined ? { seed } : {}) },
  };
  // Rockport priced outpainting at the small-image tier whatever the input's size.
  return { bodies: [body], count: n, unitPrice: unitPrice(spec, quality, null), answer: "nova" };
}

