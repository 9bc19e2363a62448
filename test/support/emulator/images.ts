// The image models on InvokeModel (MEDIA_ORIGIN §2): Nova Canvas and Titan Image v2 (taskType bodies, up to five images
// per call) and Stability (SD3.5 / Ultra / Core and the thirteen image services, one image per call). Bodies are
// checked the way Bedrock's validator reads them; answers carry real PNG/JPEG files (image-files.ts).
//
// Content filters are played as Bedrock plays them, which is not always an HTTP error:
//   - a prompt containing [[emu:blocked]] → Nova/Titan: 400 ValidationException ("…blocked by our content filters…");
//     Stability: 200 with finish_reasons ["Filter reason: prompt"] and no image;
//   - [[emu:blocked-output]] → Nova/Titan: 200 {"images": [], "error": "All of the generated images have been blocked…"};
//     Stability: 200 with finish_reasons ["Filter reason: output image"];
//   - [[emu:blocked-some]] → Nova/Titan: 200 with one image fewer than asked and "Some of the generated images…".
// Where the models live: Nova Canvas only in us-east-1, Stability only in us-west-2 (the credential scope's region);
// the Stability image services only through their `us.` inference profiles.
import { validation } from "./errors.ts";
import { colourOf, greyJpeg, solidPng, solidWebp } from "./image-files.ts";
import type { ModelFamily } from "./models.ts";

export type ImageModelFamily = Extract<ModelFamily, "nova-canvas" | "titan-image" | "stability-image">;

export const isImageFamily = (family: ModelFamily): family is ImageModelFamily =>
  family === "nova-canvas" || family === "titan-image" || family === "stability-image";

const SIDE = 64;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const b64 = (buf: Buffer) => buf.toString("base64");

const REGIONS: Record<ImageModelFamily, string[]> = { "nova-canvas": ["us-east-1"], "titan-image": ["us-east-1", "us-west-2"], "stability-image": ["us-west-2"] };

export function checkImageModelPlace(family: ImageModelFamily, baseId: string, isBaseModel: boolean, region: string | undefined): void {
  if (region && !REGIONS[family].includes(region)) throw validation("The provided model identifier is invalid.");
  const service = /^stability\.stable-(?:image-(?:control|style|remove|search|inpaint|erase)|style-transfer|outpaint|creative|fast|conservative)/.test(baseId);
  if (service && isBaseModel) {
    throw validation(`Invocation of model ID ${baseId} with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.`);
  }
}

const BLOCKED_INPUT = "This request has been blocked by our content filters. Please adjust your text prompt to submit a new request.";
const textOf = (body: Record<string, unknown>): string => JSON.stringify(body).slice(0, 20_000);

function checkImage(value: unknown, path: string): void {
  if (typeof value !== "string" || value.length === 0) throw validation(`Malformed input request: ${path}: expected type: String, found: ${typeof value}, please reformat your input and try again.`);
  const head = Buffer.from(value.slice(0, 24), "base64");
  const png = head[0] === 0x89 && head[1] === 0x50;
  const jpeg = head[0] === 0xff && head[1] === 0xd8;
  const webp = head.subarray(0, 4).toString("latin1") === "RIFF";
  if (!png && !jpeg && !webp) throw validation(`Unable to process provided image: ${path} is not a PNG, JPEG or WebP image.`);
}

// ---- Nova Canvas / Titan ---------------------------------------------------------------------------------------

const TASK_PARAMS: Record<string, string> = {
  TEXT_IMAGE: "textToImageParams",
  COLOR_GUIDED_GENERATION: "colorGuidedGenerationParams",
  IMAGE_VARIATION: "imageVariationParams",
  INPAINTING: "inPaintingParams",
  OUTPAINTING: "outPaintingParams",
  BACKGROUND_REMOVAL: "backgroundRemovalParams",
};

export function answerNova(family: "nova-canvas" | "titan-image", body: unknown): { status: number; body: Record<string, unknown> } {
  if (!isObject(body)) throw validation("Malformed input request: expected a JSON object, please reformat your input and try again.");
  const task = body.taskType;
  const paramsKey = typeof task === "string" ? TASK_PARAMS[task] : undefined;
  if (!paramsKey) throw validation(`Malformed input request: #/taskType: ${String(task)} is not a valid enum value, please reformat your input and try again.`);
  for (const k of Object.keys(body)) {
    if (k !== "taskType" && k !== paramsKey && k !== "imageGenerationConfig") throw validation(`Malformed input request: extraneous key [${k}] is not permitted, please reformat your input and try again.`);
  }
  const params = body[paramsKey];
  if (!isObject(params)) throw validation(`Malformed input request: #/${paramsKey}: required key missing, please reformat your input and try again.`);
  const config = body.imageGenerationConfig;
  if (task === "BACKGROUND_REMOVAL") {
    if (config !== undefined) throw validation("Malformed input request: extraneous key [imageGenerationConfig] is not permitted, please reformat your input and try again.");
    checkImage(params.image, "backgroundRemovalParams.image");
    return { status: 200, body: { images: [b64(solidPng(SIDE, SIDE, [0, 0, 0, 0]))] } };
  }
  const text = params.text;
  const maxText = family === "titan-image" ? 512 : 1024;
  if (task !== "IMAGE_VARIATION" && (typeof text !== "string" || text.length < 1 || text.length > maxText)) {
    throw validation(`Malformed input request: #/${paramsKey}/text: expected minLength: 1, maxLength: ${maxText}, please reformat your input and try again.`);
  }
  if (task === "INPAINTING" || task === "OUTPAINTING") {
    checkImage(params.image, `${paramsKey}.image`);
    if ((params.maskPrompt === undefined) === (params.maskImage === undefined)) throw validation(`Exactly one of maskPrompt or maskImage must be provided in ${paramsKey}.`);
    if (params.maskImage !== undefined) checkImage(params.maskImage, `${paramsKey}.maskImage`);
  }
  if (task === "IMAGE_VARIATION") {
    if (!Array.isArray(params.images) || params.images.length < 1 || params.images.length > 5) throw validation("Malformed input request: #/imageVariationParams/images: expected minItems: 1, maxItems: 5, please reformat your input and try again.");
    params.images.forEach((img, i) => checkImage(img, `imageVariationParams.images[${i}]`));
  }
  const cfg = isObject(config) ? config : {};
  const n = cfg.numberOfImages ?? 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 5) throw validation("Malformed input request: #/imageGenerationConfig/numberOfImages: must be between 1 and 5, please reformat your input and try again.");
  if (cfg.width !== undefined || cfg.height !== undefined) {
    const w = Number(cfg.width), h = Number(cfg.height);
    const ok = family === "titan-image" ? w >= 256 && h >= 256 && w <= 1408 && h <= 1408 : w >= 320 && h >= 320 && w <= 4096 && h <= 4096 && w % 16 === 0 && h % 16 === 0 && w * h < 4_194_304;
    if (!ok) throw validation(`The provided image dimensions of ${cfg.width}x${cfg.height} are not supported.`);
  }
  if (cfg.quality !== undefined && cfg.quality !== "standard" && cfg.quality !== "premium") throw validation(`Malformed input request: #/imageGenerationConfig/quality: ${String(cfg.quality)} is not a valid enum value, please reformat your input and try again.`);
  const all = textOf(body);
  if (all.includes("[[emu:blocked]]")) throw validation(BLOCKED_INPUT);
  const colour = colourOf(String(text ?? task));
  const images = Array.from({ length: n }, () => b64(solidPng(SIDE, SIDE, colour)));
  if (all.includes("[[emu:blocked-output]]")) return { status: 200, body: { images: [], error: "All of the generated images have been blocked by our content filters." } };
  if (all.includes("[[emu:blocked-some]]") && n > 1) return { status: 200, body: { images: images.slice(1), error: "Some of the generated images have been blocked by our content filters." } };
  return { status: 200, body: { images } };
}

// ---- Stability -------------------------------------------------------------------------------------------------

const RATIOS = ["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"];
/** Keys each Stability model takes (by its id's distinctive part); anything else is refused as Bedrock does. */
const STABILITY_KEYS: Array<[RegExp, string[], string[]]> = [
  [/sd3-5-large/, ["prompt"], ["negative_prompt", "aspect_ratio", "output_format", "seed", "mode", "image", "strength"]],
  [/stable-image-(?:ultra|core)/, ["prompt"], ["negative_prompt", "aspect_ratio", "output_format", "seed"]],
  [/inpaint/, ["image", "prompt"], ["mask", "grow_mask", "negative_prompt", "style_preset", "seed", "output_format"]],
  [/erase-object/, ["image"], ["mask", "grow_mask", "seed", "output_format"]],
  [/outpaint/, ["image"], ["left", "right", "up", "down", "prompt", "creativity", "style_preset", "seed", "output_format"]],
  [/search-replace/, ["image", "prompt", "search_prompt"], ["negative_prompt", "grow_mask", "style_preset", "seed", "output_format"]],
  [/search-recolor/, ["image", "prompt", "select_prompt"], ["negative_prompt", "grow_mask", "style_preset", "seed", "output_format"]],
  [/remove-background/, ["image"], ["output_format"]],
  [/control-(?:sketch|structure)/, ["image", "prompt"], ["control_strength", "negative_prompt", "style_preset", "seed", "output_format"]],
  [/style-guide/, ["image", "prompt"], ["fidelity", "aspect_ratio", "negative_prompt", "style_preset", "seed", "output_format"]],
  [/style-transfer/, ["init_image", "style_image"], ["prompt", "negative_prompt", "composition_fidelity", "style_strength", "change_strength", "seed", "output_format"]],
  [/creative-upscale/, ["image", "prompt"], ["creativity", "negative_prompt", "style_preset", "seed", "output_format"]],
  [/conservative-upscale/, ["image", "prompt"], ["creativity", "negative_prompt", "seed", "output_format"]],
  [/fast-upscale/, ["image"], ["output_format"]],
];

export function answerStability(baseId: string, body: unknown): { status: number; body: Record<string, unknown> } {
  if (!isObject(body)) throw validation("Malformed input request: expected a JSON object, please reformat your input and try again.");
  const rule = STABILITY_KEYS.find(([re]) => re.test(baseId));
  if (!rule) throw validation("The provided model identifier is invalid.");
  const [, required, optional] = rule;
  for (const k of required) if (body[k] === undefined || body[k] === "") throw validation(`Malformed input request: #: required key [${k}] not found, please reformat your input and try again.`);
  for (const k of Object.keys(body)) {
    if (!required.includes(k) && !optional.includes(k)) throw validation(`Malformed input request: #: extraneous key [${k}] is not permitted, please reformat your input and try again.`);
  }
  for (const k of ["image", "init_image", "style_image", "mask"]) if (body[k] !== undefined) checkImage(body[k], k);
  if (body.aspect_ratio !== undefined && !RATIOS.includes(String(body.aspect_ratio))) throw validation(`Malformed input request: #/aspect_ratio: ${String(body.aspect_ratio)} is not a valid enum value, please reformat your input and try again.`);
  const formats = /sd3|stable-image-(?:ultra|core)/.test(baseId) ? ["png", "jpeg"] : ["png", "jpeg", "webp"];
  if (body.output_format !== undefined && !formats.includes(String(body.output_format))) throw validation(`Malformed input request: #/output_format: ${String(body.output_format)} is not a valid enum value, please reformat your input and try again.`);
  if (body.mode === "image-to-image" && (body.image === undefined || body.strength === undefined)) throw validation("Malformed input request: image-to-image needs image and strength, please reformat your input and try again.");
  const seed = typeof body.seed === "number" ? body.seed : 0;
  const all = textOf(body);
  if (all.includes("[[emu:blocked]]")) return { status: 200, body: { seeds: [seed], finish_reasons: ["Filter reason: prompt"], images: [] } };
  if (all.includes("[[emu:blocked-output]]")) return { status: 200, body: { seeds: [seed], finish_reasons: ["Filter reason: output image"], images: [] } };
  // SD3.5 answers JPEG unless told otherwise (Rockport's observation).
  const format = body.output_format ?? (/sd3/.test(baseId) ? "jpeg" : "png");
  const colour = colourOf(String(body.prompt ?? baseId) + seed);
  const file = format === "jpeg" ? greyJpeg() : format === "webp" ? solidWebp(SIDE, SIDE, colour) : solidPng(SIDE, SIDE, colour);
  return { status: 200, body: { seeds: [seed], finish_reasons: [null], images: [b64(file)] } };
}
