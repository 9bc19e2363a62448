/**
 * A video job request, checked against Rockport's rules and turned into what Bedrock's StartAsyncInvoke takes.
 * Shared by the Worker (to price the job before it reaches the origin, and to refuse a bad one without waking it)
 * and the sidecar (which trusts nothing it did not check itself). Pure: no I/O, no clock but the one passed in.
 */
import { DEFAULT_VIDEO_MODEL, videoEndOfLife, videoModel, videoRetired, type VideoLifecycleOptions, type VideoModelRow } from "../models/video-catalog.ts";
import { decodeImage, toBase64, type VideoImage } from "./image.ts";
import { dropOpaqueAlpha } from "./png-alpha.ts";
import { cameraTermInMiddle, negationWord } from "./prompt-rules.ts";

export type VideoMode = "single_shot" | "multi_shot" | "multi_shot_automated";

export interface VideoWarning {
  type: "prompt_quality_warning";
  rule: "camera_position";
  message: string;
  shot: number | null;
}

export interface VideoJobSpec {
  model: VideoModelRow;
  mode: VideoMode;
  /** Seconds of video; what the job is priced by. */
  duration: number;
  /** duration × the model's price per second (for the resolution asked). */
  cost: number;
  /** The prompt stored with the job (for a manual multi-shot job, the shots' prompts joined). */
  prompt: string;
  /** The job's parameters for the jobs table (no image bytes). */
  parameters: Record<string, unknown>;
  /** Bedrock's `modelInput`. */
  modelInput: Record<string, unknown>;
  warnings: VideoWarning[];
}

export interface VideoError {
  status: 400;
  type: "validation_error" | "prompt_validation_error" | "model_retired";
  message: string;
  param: string;
  rule?: string;
  shot?: number | null;
}

export type VideoValidation = { ok: true; spec: VideoJobSpec } | { ok: false; error: VideoError };

const NOVA_IMAGE_MAX = 10 * 1024 * 1024;
const RAY_IMAGE_MAX = 25 * 1024 * 1024;
const SEED_MAX = 2_147_483_646;
const RAY_ASPECTS = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"];
const RAY_RESOLUTIONS = ["540p", "720p"];
const RESIZE_MODES = ["scale", "crop-center", "crop-top", "crop-bottom", "fit"];
const MODES = ["single-shot", "multi-shot", "multi-shot-automated"];

class Invalid extends Error {
  constructor(readonly error: VideoError) {
    super(error.message);
  }
}

const bad = (param: string, message: string, extra: Partial<VideoError> = {}): never => {
  throw new Invalid({ status: 400, type: "validation_error", message, param, ...extra });
};

/** Both the Worker (which prices only JSON submissions) and the sidecar (which takes nothing else) decide by this. */
export function isJsonContentType(value: string | null | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(value ?? "");
}

/** A Nova Reel PNG whose alpha channel still has to be checked (and dropped) before Bedrock gets it. */
interface AlphaCheck {
  param: string;
  shot: number | null;
  image: VideoImage;
  source: { bytes: string };
}

/**
 * The job as Bedrock will take it, or the first rule it breaks. Async only for the PNG transparency check
 * (decompressing an image); everything else is decided synchronously.
 */
export async function validateVideoRequest(body: unknown, lifecycle: VideoLifecycleOptions = {}): Promise<VideoValidation> {
  const alpha: AlphaCheck[] = [];
  const checked = checkVideoRequest(body, lifecycle, alpha);
  if (!checked.ok) return checked;
  for (const a of alpha) {
    const r = await dropOpaqueAlpha(a.image.data);
    if (!r.ok) return { ok: false, error: { status: 400, type: "validation_error", message: `${a.param} ${r.message}.`, param: a.param } };
    if (r.bytes !== a.image.data) a.source.bytes = toBase64(r.bytes);
  }
  return checked;
}

function checkVideoRequest(body: unknown, lifecycle: VideoLifecycleOptions, alpha: AlphaCheck[]): VideoValidation {
  try {
    if (typeof body !== "object" || body === null || Array.isArray(body)) bad("body", "The request body must be a JSON object.");
    const b = body as Record<string, unknown>;
    const name = b.model === undefined ? DEFAULT_VIDEO_MODEL : b.model;
    if (typeof name !== "string") return bad("model", "model must be a string.");
    const model = videoModel(name);
    if (!model) return bad("model", `Unknown video model "${name}". Available: nova-reel, luma-ray2.`);
    if (videoRetired(model, lifecycle)) {
      const eol = videoEndOfLife(model, lifecycle);
      const instead = model.successor ? ` Use "${model.successor}" instead.` : "";
      bad("model", `The video model "${model.name}" reached its end of life on ${eol} and no longer takes jobs.${instead}`, { type: "model_retired" });
    }
    const seed = optionalInt(b.seed, "seed", 0, SEED_MAX);
    const spec = model.name === "luma-ray2" ? ray2(model, b) : novaReel(model, b, seed, alpha);
    return { ok: true, spec };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.error };
    throw e;
  }
}

function novaReel(model: VideoModelRow, b: Record<string, unknown>, seed: number | undefined, alpha: AlphaCheck[]): VideoJobSpec {
  const hasShots = b.shots !== undefined && b.shots !== null;
  if (hasShots && b.prompt !== undefined && b.prompt !== null) bad("shots", "Send either prompt or shots, not both.");
  const modeName = b.mode === undefined || b.mode === null ? (hasShots ? "multi-shot" : "single-shot") : b.mode;
  if (typeof modeName !== "string" || !MODES.includes(modeName)) bad("mode", `mode must be one of ${MODES.join(", ")}.`);
  if (b.resize_mode !== undefined && (typeof b.resize_mode !== "string" || !RESIZE_MODES.includes(b.resize_mode))) bad("resize_mode", `resize_mode must be one of ${RESIZE_MODES.join(", ")}.`);
  if (b.pad_color !== undefined && b.pad_color !== "black" && b.pad_color !== "white") bad("pad_color", "pad_color must be black or white.");
  const config: Record<string, unknown> = { fps: 24, dimension: "1280x720", ...(seed !== undefined ? { seed } : {}) };
  const warnings: VideoWarning[] = [];
  const params = { seed: seed ?? null };

  if (modeName === "multi-shot") {
    if (!Array.isArray(b.shots)) return bad("shots", "A multi-shot job needs shots: a list of 2 to 20 {prompt, image?}.");
    if (b.shots.length < 2 || b.shots.length > 20) bad("shots", `A multi-shot job takes 2 to 20 shots (got ${b.shots.length}).`);
    const duration = b.shots.length * 6;
    if (b.duration !== undefined && b.duration !== duration) bad("duration", `A manual multi-shot job lasts 6 seconds per shot (${duration} for ${b.shots.length} shots).`);
    const shots = b.shots.map((s: unknown, i: number) => {
      if (typeof s !== "object" || s === null) return bad(`shots[${i}]`, `shots[${i}] must be an object with a prompt.`);
      const shot = s as Record<string, unknown>;
      const text = novaPrompt(shot.prompt, `shots[${i}].prompt`, 512, i, warnings);
      const out: Record<string, unknown> = { text };
      if (shot.image !== undefined && shot.image !== null) out.image = novaImageInput(shot.image, `shots[${i}].image`, alpha, i + 1);
      return out;
    });
    return {
      model, mode: "multi_shot", duration, cost: price(model, duration), warnings,
      prompt: shots.map((s) => s.text as string).join(" | "),
      parameters: { ...params, shots: shots.length, images: shots.filter((s) => s.image).length },
      modelInput: { taskType: "MULTI_SHOT_MANUAL", multiShotManualParams: { shots }, videoGenerationConfig: config },
    };
  }
  if (modeName === "multi-shot-automated") {
    const text = novaPrompt(b.prompt, "prompt", 4000, null, warnings);
    const duration = optionalInt(b.duration, "duration", 12, 120) ?? 12;
    if (duration % 6 !== 0) bad("duration", "An automated multi-shot duration must be a multiple of 6 from 12 to 120 seconds.");
    if (b.image !== undefined && b.image !== null) bad("image", "An automated multi-shot job takes no image.");
    return {
      model, mode: "multi_shot_automated", duration, cost: price(model, duration), warnings, prompt: text,
      parameters: params,
      modelInput: { taskType: "MULTI_SHOT_AUTOMATED", multiShotAutomatedParams: { text }, videoGenerationConfig: { ...config, durationSeconds: duration } },
    };
  }
  const text = novaPrompt(b.prompt, "prompt", 512, null, warnings);
  const duration = optionalInt(b.duration, "duration", 6, 120) ?? 6;
  if (duration % 6 !== 0) bad("duration", "duration must be a multiple of 6 from 6 to 120 seconds.");
  const textToVideoParams: Record<string, unknown> = { text };
  if (b.image !== undefined && b.image !== null) {
    if (duration !== 6) bad("image", "Image-to-video with Nova Reel makes 6-second videos only: set duration to 6.");
    textToVideoParams.images = [novaImageInput(b.image, "image", alpha, null)];
  }
  return {
    model, mode: "single_shot", duration, cost: price(model, duration), warnings, prompt: text,
    parameters: { ...params, image: textToVideoParams.images !== undefined },
    modelInput: { taskType: "TEXT_VIDEO", textToVideoParams, videoGenerationConfig: { ...config, durationSeconds: duration } },
  };
}

function ray2(model: VideoModelRow, b: Record<string, unknown>): VideoJobSpec {
  if (b.shots !== undefined && b.shots !== null) bad("shots", "luma-ray2 makes single-shot videos only.");
  if (b.mode !== undefined && b.mode !== null && b.mode !== "single-shot") bad("mode", "luma-ray2 makes single-shot videos only.");
  // Rockport leaves Ray2's prompts to Luma (no negation or camera rules); only the length is checked.
  if (typeof b.prompt !== "string" || b.prompt.trim() === "") return bad("prompt", "prompt is required.");
  if (b.prompt.length > 5000) bad("prompt", `prompt is too long for luma-ray2 (${b.prompt.length} characters; at most 5000).`);
  const duration = b.duration === undefined || b.duration === null ? 5 : b.duration;
  if (duration !== 5 && duration !== 9) bad("duration", "luma-ray2 makes 5- or 9-second videos: duration must be 5 or 9.");
  const resolution = b.resolution ?? "720p";
  if (typeof resolution !== "string" || !RAY_RESOLUTIONS.includes(resolution)) bad("resolution", "resolution must be 540p or 720p.");
  const aspect = b.aspect_ratio ?? "16:9";
  if (typeof aspect !== "string" || !RAY_ASPECTS.includes(aspect)) bad("aspect_ratio", `aspect_ratio must be one of ${RAY_ASPECTS.join(", ")}.`);
  if (b.loop !== undefined && typeof b.loop !== "boolean") bad("loop", "loop must be true or false.");
  const modelInput: Record<string, unknown> = { prompt: b.prompt, duration: `${duration}s`, aspect_ratio: aspect, resolution };
  if (b.loop === true) modelInput.loop = true;
  const keyframes: Record<string, unknown> = {};
  if (b.image !== undefined && b.image !== null) keyframes.frame0 = rayKeyframe(b.image, "image");
  if (b.end_image !== undefined && b.end_image !== null) keyframes.frame1 = rayKeyframe(b.end_image, "end_image");
  if (Object.keys(keyframes).length) modelInput.keyframes = keyframes;
  const d = duration as number;
  return {
    model, mode: "single_shot", duration: d, cost: price(model, d, resolution as string), warnings: [], prompt: b.prompt,
    parameters: { resolution, aspect_ratio: aspect, loop: b.loop === true, image: "frame0" in keyframes, end_image: "frame1" in keyframes },
    modelInput,
  };
}

function novaPrompt(value: unknown, param: string, max: number, shot: number | null, warnings: VideoWarning[]): string {
  if (typeof value !== "string" || value.trim() === "") return bad(param, `${param} is required.`);
  if (value.length > max) bad(param, `${param} is too long for nova-reel (${value.length} characters; at most ${max}).`);
  const word = negationWord(value);
  if (word) {
    throw new Invalid({
      status: 400, type: "prompt_validation_error", rule: "negation", param, shot: shot === null ? null : shot + 1,
      message: `Nova Reel prompt contains negation word '${word}'. Nova Reel renders what the prompt names, so describe what should appear instead.`,
    });
  }
  const term = cameraTermInMiddle(value);
  if (term) {
    warnings.push({
      type: "prompt_quality_warning", rule: "camera_position", shot: shot === null ? null : shot + 1,
      message: `Camera term '${term}' is in the middle of the prompt; Nova Reel follows camera direction best at the start or the end.`,
    });
  }
  return value;
}

function novaImageInput(value: unknown, param: string, alpha: AlphaCheck[], shot: number | null): Record<string, unknown> {
  const r = decodeImage(value, NOVA_IMAGE_MAX);
  if (!r.ok) return bad(param, `${param} ${r.message}.`);
  const img: VideoImage = r.image;
  // Rockport resized other sizes; this gateway asks for the size Nova Reel takes rather than resample on the origin.
  if (img.width !== 1280 || img.height !== 720) bad(param, `${param} must be 1280x720 for nova-reel (got ${img.width}x${img.height}).`);
  const source = { bytes: img.base64 };
  if (img.hasAlphaChannel || img.format === "png") alpha.push({ param, shot, image: img, source });
  return { format: img.format, source };
}

function rayKeyframe(value: unknown, param: string): Record<string, unknown> {
  const r = decodeImage(value, RAY_IMAGE_MAX);
  if (!r.ok) return bad(param, `${param} ${r.message}.`);
  const { width, height, format, base64 } = r.image;
  if (width < 512 || height < 512 || width > 4096 || height > 4096) bad(param, `${param} must be from 512x512 to 4096x4096 (got ${width}x${height}).`);
  return { type: "image", source: { type: "base64", media_type: `image/${format}`, data: base64 } };
}

function optionalInt(value: unknown, param: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) bad(param, `${param} must be a whole number from ${min} to ${max}.`);
  return value as number;
}

/** Seconds × the catalog's price per second, rounded to a millionth of a dollar. */
export function price(model: VideoModelRow, seconds: number, resolution = "720p"): number {
  const rate = typeof model.pricePerSecond === "number" ? model.pricePerSecond : (model.pricePerSecond[resolution] ?? Math.max(...Object.values(model.pricePerSecond)));
  return Math.round(seconds * rate * 1e6) / 1e6;
}
