import type { ImageSpec } from "../../models/catalog-data.ts";

/** What a translator decided for one image request: the Bedrock bodies (one call each) and what an image costs. */
export interface ImageCallPlan {
  bodies: Record<string, unknown>[];
  /** Images asked for in total: what the meter reserves for. */
  count: number;
  /** USD per image at the quality and size asked for. */
  unitPrice: number;
  /** Which answer shape to read: Nova/Titan (`images`, `error`) or Stability (`images`, `finish_reasons`). */
  answer: "nova" | "stability";
}

/** Above this much inline image data per body, the bodies of one request are sent one at a time (memory, not speed). */
export const LARGE_BODY_IMAGE_BYTES = 4 * 1024 * 1024;

/** The characters of text a body carries (its base64 images, essentially), without serialising it. */
export function textBytes(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textBytes(v), 0);
  if (typeof value === "object" && value !== null) return Object.values(value).reduce((n: number, v) => n + textBytes(v), 0);
  return 0;
}

/** Nova Canvas and Titan price premium quality and images over 1024 px on a side higher; others one flat price. */
export function unitPrice(spec: ImageSpec, quality: "standard" | "premium", size: { width: number; height: number } | null): number {
  if (!spec.tiers) return spec.perImage;
  const large = size !== null && (size.width > 1024 || size.height > 1024);
  if (large) return quality === "premium" ? spec.tiers.largePremium : spec.tiers.large;
  return quality === "premium" ? spec.tiers.premium : spec.perImage;
}

/** The most one image can cost with this model (for the worst-case reservation of a strict budget). */
export function dearestImage(spec: ImageSpec): number {
  return Math.max(spec.perImage, ...(spec.tiers ? Object.values(spec.tiers) : []));
}
