// Bedrock's image answers → OpenAI's `{created, data: [{b64_json}]}`. Content filters do not always arrive as HTTP
// errors (MEDIA_ORIGIN §2.6): Nova answers 200 with an `error` string when it blocked generated images (all of them,
// or some: then `images` holds the rest); Stability answers 200 with `finish_reasons[i]` set. Pure: no I/O.
import { ImageResponseError } from "./errors.ts";
import { isRecord } from "../../util/is-record.ts";

/** One call's answer: the images it made, and why it made fewer than asked, when it says. */
export interface ImageAnswer {
  images: string[];
  /** A refusal carried in a 200 (content filter). */
  filtered?: string;
  /** Stability's "Inference error": the model failed, not the request. */
  failed?: string;
}

export function readImageAnswer(kind: "nova" | "stability", json: unknown): ImageAnswer {
  if (!isRecord(json)) throw new ImageResponseError("not a JSON object");
  const images = json.images === undefined ? [] : json.images;
  if (!Array.isArray(images) || !images.every((i) => typeof i === "string" && i !== "")) throw new ImageResponseError("'images' is not a list of base64 strings");
  if (kind === "nova") {
    const error = typeof json.error === "string" && json.error ? json.error : undefined;
    if (images.length === 0 && !error) throw new ImageResponseError("no images and no reason");
    return { images, ...(error ? { filtered: error } : {}) };
  }
  const reasons = Array.isArray(json.finish_reasons) ? json.finish_reasons : [];
  const kept: string[] = [];
  let filtered: string | undefined;
  let failed: string | undefined;
  images.forEach((img, i) => {
    const reason = reasons[i];
    if (reason === null || reason === undefined) kept.push(img);
    else if (String(reason).startsWith("Filter reason")) filtered ??= String(reason);
    else failed ??= String(reason);
  });
  // A filtered answer may carry no image at all, only the reason.
  for (const reason of reasons.slice(images.length)) {
    if (reason === null || reason === undefined) continue;
    if (String(reason).startsWith("Filter reason")) filtered ??= String(reason);
    else failed ??= String(reason);
  }
  if (kept.length === 0 && !filtered && !failed) throw new ImageResponseError("no images and no reason");
  return { images: kept, ...(filtered ? { filtered } : {}), ...(failed ? { failed } : {}) };
}

/** The message a client sees when every image was refused by the content filter. */
export function filterMessage(reason: string): string {
  if (reason.startsWith("Filter reason")) {
    const what = reason.replace(/^Filter reason:\s*/, "");
    return `The request was blocked by the model's content filter (${what}). Adjust the ${what === "input image" ? "input image" : "prompt"} and try again.`;
  }
  return reason;
}

export interface OpenAIImagesBody {
  created: number;
  data: { b64_json: string }[];
}

export function toOpenAIImages(images: readonly string[], created: number): OpenAIImagesBody {
  return { created, data: images.map((b64_json) => ({ b64_json })) };
}
