// Reading an image request's fields, each failure a 400 naming the parameter. Multipart forms carry every value as a
// string, so numbers and booleans are read from strings too (as LiteLLM coerces them).
import { ImageInputError } from "./errors.ts";
import { isRecord } from "../../util/is-record.ts";

export type Fields = Record<string, unknown>;

/** Refuses any field the model does not take, rather than dropping it silently. */
export function refuseUnknown(req: Fields, allowed: ReadonlySet<string>, model: string): void {
  for (const key of Object.keys(req)) {
    if (!allowed.has(key)) throw new ImageInputError(key, `'${key}' is not a parameter ${model} accepts.`);
  }
}

export function optString(req: Fields, name: string, maxChars?: number): string | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ImageInputError(name, `'${name}' must be a string.`);
  if (maxChars !== undefined && v.length > maxChars) throw new ImageInputError(name, `'${name}' is ${v.length} characters; at most ${maxChars} are accepted.`);
  return v;
}

export function reqString(req: Fields, name: string, maxChars?: number): string {
  const v = optString(req, name, maxChars);
  if (v === undefined || v.trim() === "") throw new ImageInputError(name, `'${name}' is required.`);
  return v;
}

function asNumber(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function optNumber(req: Fields, name: string, min: number, max: number, integer = false): number | undefined {
  const raw = req[name];
  if (raw === undefined || raw === null || raw === "") return undefined;
  const v = asNumber(raw);
  if (v === null || (integer && !Number.isInteger(v))) throw new ImageInputError(name, `'${name}' must be ${integer ? "an integer" : "a number"}.`);
  if (v < min || v > max) throw new ImageInputError(name, `'${name}' must be between ${min} and ${max}.`);
  return v;
}

export function optChoice<T extends string>(req: Fields, name: string, choices: readonly T[]): T | undefined {
  const v = req[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new ImageInputError(name, `'${name}' must be one of ${choices.join(", ")}.`);
  }
  return v as T;
}

/** `n`: how many images, 1 to the model's maximum. */
export function readN(req: Fields, maxN: number, model: string): number {
  const raw = req.n;
  if (raw === undefined || raw === null || raw === "") return 1;
  const v = asNumber(raw);
  if (v === null || !Number.isInteger(v) || v < 1) throw new ImageInputError("n", "'n' must be a positive integer.");
  if (v > maxN) throw new ImageInputError("n", `'n' is ${v}; ${model} makes at most ${maxN} images per request.`);
  return v;
}

/** Only base64 answers: Bedrock returns image bytes, and the gateway keeps no storage to serve URLs from. */
export function checkResponseFormat(req: Fields): void {
  const v = req.response_format;
  if (v === undefined || v === null || v === "" || v === "b64_json") return;
  throw new ImageInputError("response_format", "'response_format' must be b64_json: this gateway returns images inline, not as URLs.");
}

/** "WxH" → numbers, or null when no size was asked for. */
export function readSize(req: Fields): { width: number; height: number } | null {
  const v = req.size;
  if (v === undefined || v === null || v === "" || v === "auto") return null;
  const m = typeof v === "string" ? /^(\d{2,5})x(\d{2,5})$/.exec(v) : null;
  if (!m) throw new ImageInputError("size", "'size' must look like 1024x1024 (width x height in pixels).");
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** OpenAI's quality names → Bedrock's two tiers. */
export function readQuality(req: Fields): "standard" | "premium" | undefined {
  const v = optChoice(req, "quality", ["standard", "premium", "hd", "high", "medium", "low", "auto"] as const);
  if (v === undefined || v === "auto") return undefined;
  return v === "hd" || v === "high" || v === "premium" ? "premium" : "standard";
}

export function optObject(req: Fields, name: string): Record<string, unknown> | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new ImageInputError(name, `'${name}' must be a JSON object.`);
  return v;
}
