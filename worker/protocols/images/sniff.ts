// What an uploaded or inline image really is, from its first bytes: clients send the wrong content type often enough
// (a file picker's guess, `application/octet-stream`) that the bytes, not the label, decide.
import { base64Bytes, base64Head } from "../../util/base64.ts";
import { ImageInputError } from "./errors.ts";

export type ImageFormat = "png" | "jpeg" | "webp";

/** An input image ready for a Bedrock body: base64 without a `data:` prefix. */
export interface InputImage {
  base64: string;
  format: ImageFormat;
  bytes: number;
}

/** Rockport's limit for one input image; Bedrock's whole request must stay under 25,000,000 bytes anyway. */
export const MAX_INPUT_IMAGE_BYTES = 10 * 1024 * 1024;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((v, i) => b[at + i] === v);

export function sniffImage(head: Uint8Array): ImageFormat | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A client's inline image (a `data:` URI or bare base64) checked before Bedrock sees it: decodable, a PNG/JPEG/WebP by
 * its bytes, and within the size limit. Only the first bytes are decoded; the base64 text is passed on as it is.
 */
export function inlineImage(value: unknown, param: string, allowed: readonly ImageFormat[] = ["png", "jpeg", "webp"]): InputImage {
  if (typeof value !== "string" || value === "") throw new ImageInputError(param, `'${param}' must be a base64 image or a data: URI.`);
  let b64 = value;
  const dataUri = /^data:([^;,]*)(;base64)?,/i.exec(value);
  if (dataUri) {
    if (!dataUri[2]) throw new ImageInputError(param, `'${param}' must be a base64 data: URI.`);
    b64 = value.slice(dataUri[0].length);
  }
  // One linear pass (a single character class, nothing to backtrack), cheap even for megabytes.
  if (!BASE64.test(b64)) throw new ImageInputError(param, `'${param}' is not valid base64.`);
  const head = base64Head(b64, 16);
  return checked(head, base64Bytes(b64), b64, param, allowed);
}

/** An uploaded file part (multipart), checked the same way; its bytes become base64 for the Bedrock body. */
export function uploadedImage(bytes: Uint8Array, base64: string, param: string, allowed: readonly ImageFormat[] = ["png", "jpeg", "webp"]): InputImage {
  return checked(bytes.subarray(0, 16), bytes.byteLength, base64, param, allowed);
}

function checked(head: Uint8Array | null, size: number, base64: string, param: string, allowed: readonly ImageFormat[]): InputImage {
  if (size === 0) throw new ImageInputError(param, `'${param}' is empty.`);
  if (size > MAX_INPUT_IMAGE_BYTES) {
    throw new ImageInputError(param, `'${param}' is ${(size / 1048576).toFixed(1)} MB; images of at most ${MAX_INPUT_IMAGE_BYTES / 1048576} MB are accepted.`);
  }
  const format = head ? sniffImage(head) : null;
  if (!format || !allowed.includes(format)) {
    throw new ImageInputError(param, `'${param}' is not a ${allowed.map((f) => f.toUpperCase()).join(", ")} image.`);
  }
  return { base64, format, bytes: size };
}
