// Stability AI on Bedrock: SD3.5 Large, Stable Image Ultra and Core (text-to-image) and the thirteen image services
// (edit, control, upscale). Each call makes ONE image, so `n` becomes n calls (MEDIA_ORIGIN §1.4); a given seed is
// advanced per call so the n images differ. Field rules: MEDIA_ORIGIN §2.4–2.5. Pure: no I/O.
import type { ImageSpec, StabilityService } from "../../models/catalog-data.ts";
import { ImageInputError } from "./errors.ts";
import { checkResponseFormat, optChoice, optNumber, optString, readN, readSize, refuseUnknown, reqString, type Fields } from "./fields.ts";
import type { ImageCallPlan } from "./plan.ts";
import { inlineImage, type InputImage } from "./sniff.ts";

export const ASPECT_RATIOS = ["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"] as const;
export const STYLE_PRESETS = [
  "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art", "isometric", "line-art", "low-poly",
  "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art", "tile-texture",
] as const;
const SEED_MAX = 4_294_967_294;
const PROMPT_MAX = 10_000;

/**
 * An OpenAI `size` → the nearest Stability aspect ratio. These models choose their own pixel size (about one
 * megapixel), so only the shape can be honoured; a size whose shape is more than ~10 % from every ratio is refused.
 */
export function aspectRatioFor(size: { width: number; height: number }, model: string): string {
  const want = Math.log(size.width / size.height);
  let best: string = ASPECT_RATIOS[0];
  let gap = Infinity;
  for (const r of ASPECT_RATIOS) {
    const [w, h] = r.split(":").map(Number) as [number, number];
    const d = Math.abs(Math.log(w / h) - want);
    if (d < gap) [best, gap] = [r, d];
  }
  if (gap > 0.1) throw new ImageInputError("size", `'size' ${size.width}x${size.height} has no matching aspect ratio on ${model}; it makes ${ASPECT_RATIOS.join(", ")}.`);
  return best;
}

/** One body per image: Stability answers one image per call. */
function perImage(body: Record<string, unknown>, n: number, seed: number | undefined): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ ...body, ...(seed !== undefined ? { seed: (seed + i) % (SEED_MAX + 1) } : {}) }));
}

const GENERATE_FIELDS = new Set([
  "model", "prompt", "n", "size", "quality", "response_format", "seed", "user", "negative_prompt", "aspect_ratio", "output_format", "mode", "image", "strength", "style",
]);

/** `POST /v1/images/generations` for SD3.5 Large, Stable Image Ultra and Core. */
export function stabilityGeneration(req: Fields, spec: ImageSpec, model: string): ImageCallPlan {
  refuseUnknown(req, GENERATE_FIELDS, model);
  checkResponseFormat(req);
  if (req.style !== undefined && req.style !== null) throw new ImageInputError("style", `'style' is not a parameter ${model} accepts.`);
  // `quality` is accepted (OpenAI clients send it) but these models have one quality.
  optChoice(req, "quality", ["standard", "hd", "high", "medium", "low", "auto", "premium"] as const);
  const prompt = reqString(req, "prompt", PROMPT_MAX);
  const n = readN(req, spec.maxN, model);
  const seed = optNumber(req, "seed", 0, SEED_MAX, true);
  const negative = optString(req, "negative_prompt", PROMPT_MAX);
  // SD3.5 has been seen answering JPEG when no format is named: always name one.
  const outputFormat = optChoice(req, "output_format", ["png", "jpeg"] as const) ?? "png";
  const body: Record<string, unknown> = { prompt, output_format: outputFormat, ...(negative ? { negative_prompt: negative } : {}) };
  if (req.image !== undefined && req.image !== null) {
    // Image-to-image: SD3.5 documents it (mode + image + strength); the aspect ratio then follows the image.
    if (!spec.imageToImage) throw new ImageInputError("image", `'image' is not a parameter ${model} accepts (it makes images from text only).`);
    body.mode = "image-to-image";
    body.image = inlineImage(req.image, "image").base64;
    body.strength = optNumber(req, "strength", 0, 1) ?? 0.7;
  } else {
    if (req.strength !== undefined) throw new ImageInputError("strength", "'strength' needs an 'image' (image-to-image).");
    const size = readSize(req);
    const named = optChoice(req, "aspect_ratio", ASPECT_RATIOS);
    body.aspect_ratio = named ?? (size ? aspectRatioFor(size, model) : "1:1");
    if (req.mode !== undefined && req.mode !== "text-to-image") throw new ImageInputError("mode", "'mode' image-to-image needs an 'image'.");
  }
  return { bodies: perImage(body, n, seed), count: n, unitPrice: spec.perImage, answer: "stability" };
}

interface ServiceRule {
  prompt: "required" | "optional" | "none";
  /** Required text fields besides the prompt. */
  required?: string[];
  /** Optional fields: [name, min, max, integer] for numbers, or a string kind. */
  numbers?: [string, number, number, boolean?][];
  strings?: string[];
  mask?: boolean;
  stylePreset?: boolean;
  negative?: boolean;
  seed?: boolean;
  /** Style transfer takes two images: the main one becomes `init_image`, the second `style_image`. */
  twoImages?: boolean;
  aspectRatio?: boolean;
}

const SERVICES: Record<StabilityService, ServiceRule> = {
  inpaint: { prompt: "required", mask: true, numbers: [["grow_mask", 0, 20, true]], stylePreset: true, negative: true, seed: true },
  erase: { prompt: "none", mask: true, numbers: [["grow_mask", 0, 20, true]], seed: true },
  outpaint: { prompt: "optional", numbers: [["left", 0, 2000, true], ["right", 0, 2000, true], ["up", 0, 2000, true], ["down", 0, 2000, true], ["creativity", 0.1, 1]], stylePreset: true, seed: true },
  "search-replace": { prompt: "required", required: ["search_prompt"], numbers: [["grow_mask", 0, 20, true]], stylePreset: true, negative: true, seed: true },
  "search-recolor": { prompt: "required", required: ["select_prompt"], numbers: [["grow_mask", 0, 20, true]], stylePreset: true, negative: true, seed: true },
  "remove-background": { prompt: "none" },
  structure: { prompt: "required", numbers: [["control_strength", 0, 1]], stylePreset: true, negative: true, seed: true },
  sketch: { prompt: "required", numbers: [["control_strength", 0, 1]], stylePreset: true, negative: true, seed: true },
  "style-guide": { prompt: "required", numbers: [["fidelity", 0, 1]], stylePreset: true, negative: true, seed: true, aspectRatio: true },
  "style-transfer": { prompt: "optional", twoImages: true, numbers: [["composition_fidelity", 0, 1], ["style_strength", 0, 1], ["change_strength", 0.1, 1]], negative: true, seed: true },
  "creative-upscale": { prompt: "required", numbers: [["creativity", 0.1, 0.5]], stylePreset: true, negative: true, seed: true },
  "conservative-upscale": { prompt: "required", numbers: [["creativity", 0.2, 0.5]], negative: true, seed: true },
  "fast-upscale": { prompt: "none" },
};

/** `POST /v1/images/edits` for one of the thirteen Stability image services. */
export function stabilityEdit(req: Fields, images: InputImage[], mask: InputImage | null, spec: ImageSpec, model: string): ImageCallPlan {
  const rule = SERVICES[spec.service!];
  const allowed = new Set(["model", "n", "size", "response_format", "user", "output_format", "quality"]);
  if (rule.prompt !== "none") allowed.add("prompt");
  for (const f of rule.required ?? []) allowed.add(f);
  for (const [f] of rule.numbers ?? []) allowed.add(f);
  if (rule.stylePreset) allowed.add("style_preset");
  if (rule.negative) allowed.add("negative_prompt");
  if (rule.seed) allowed.add("seed");
  if (rule.aspectRatio) allowed.add("aspect_ratio");
  refuseUnknown(req, allowed, model);
  checkResponseFormat(req);
  if (mask && !rule.mask) throw new ImageInputError("mask", `'mask' is not a parameter ${model} accepts.`);

  const main = images[0];
  if (!main) throw new ImageInputError("image", `'image' is required: the picture ${model} works on.`);
  const body: Record<string, unknown> = {};
  if (rule.twoImages) {
    const style = images[1];
    if (!style) throw new ImageInputError("image", `${model} needs two images: the picture, then the style image (a second 'image' part, or 'style_image').`);
    body.init_image = main.base64;
    body.style_image = style.base64;
  } else {
    if (images.length > 1) throw new ImageInputError("image", `${model} takes one image; ${images.length} were sent.`);
    body.image = main.base64;
  }
  // Stability's masks are white where the picture changes (OpenAI's are transparent there): sent as uploaded.
  if (mask) body.mask = mask.base64;
  if (rule.prompt === "required") body.prompt = reqString(req, "prompt", PROMPT_MAX);
  else if (rule.prompt === "optional") {
    const p = optString(req, "prompt", PROMPT_MAX);
    if (p) body.prompt = p;
  }
  for (const f of rule.required ?? []) body[f] = reqString(req, f, PROMPT_MAX);
  for (const [f, min, max, integer] of rule.numbers ?? []) {
    const v = optNumber(req, f, min, max, integer ?? false);
    if (v !== undefined) body[f] = v;
  }
  if (spec.service === "outpaint" && !["left", "right", "up", "down"].some((d) => body[d] !== undefined && body[d] !== 0)) {
    throw new ImageInputError("left", "Outpainting needs at least one of 'left', 'right', 'up', 'down' (pixels to add, up to 2000).");
  }
  if (rule.stylePreset) {
    const p = optChoice(req, "style_preset", STYLE_PRESETS);
    if (p) body.style_preset = p;
  }
  if (rule.negative) {
    const neg = optString(req, "negative_prompt", PROMPT_MAX);
    if (neg) body.negative_prompt = neg;
  }
  if (rule.aspectRatio) {
    const size = readSize(req);
    const ratio = optChoice(req, "aspect_ratio", ASPECT_RATIOS) ?? (size ? aspectRatioFor(size, model) : undefined);
    if (ratio) body.aspect_ratio = ratio;
  }
  body.output_format = optChoice(req, "output_format", ["png", "jpeg", "webp"] as const) ?? "png";
  const seed = rule.seed ? optNumber(req, "seed", 0, SEED_MAX, true) : undefined;
  // Fast upscale is deterministic (no seed): n copies would be n identical images at n times the price.
  const n = spec.service === "fast-upscale" || spec.service === "remove-background" ? readN(req, 1, model) : readN(req, spec.maxN, model);
  return { bodies: perImage(body, n, seed), count: n, unitPrice: spec.perImage, answer: "stability" };
}
