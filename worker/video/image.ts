/**
 * Images sent with a video job: `data:image/png|jpeg;base64,…` URIs, checked for format, size and dimensions by
 * reading the file's own header (PNG IHDR, JPEG SOF marker), never by trusting the declared media type. Pure.
 */
export interface VideoImage {
  format: "png" | "jpeg";
  /** Base64 of the file, as Bedrock takes it. */
  base64: string;
  data: Uint8Array;
  bytes: number;
  width: number;
  height: number;
  /** PNG colour types 4 and 6 carry an alpha channel. */
  hasAlphaChannel: boolean;
}

export type ImageResult = { ok: true; image: VideoImage } | { ok: false; message: string };

const DATA_URI = /^data:image\/(png|jpe?g);base64,([A-Za-z0-9+/=\s]+)$/i;

export function decodeImage(value: unknown, maxBytes: number): ImageResult {
  if (typeof value !== "string") return { ok: false, message: "must be a data URI (data:image/png;base64,… or data:image/jpeg;base64,…)" };
  const m = DATA_URI.exec(value);
  if (!m) return { ok: false, message: "must be a PNG or JPEG data URI (data:image/png;base64,… or data:image/jpeg;base64,…)" };
  const base64 = m[2]!.replace(/\s+/g, "");
  // Size from the base64 length first, so an oversized upload is refused before it is decoded.
  const approx = Math.floor((base64.length * 3) / 4);
  if (approx > maxBytes + 2) return { ok: false, message: `is larger than ${Math.round(maxBytes / 1024 / 1024)} MB` };
  let bytes: Uint8Array;
  try {
    const bin = atob(base64);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  } catch {
    return { ok: false, message: "is not valid base64" };
  }
  if (bytes.length > maxBytes) return { ok: false, message: `is larger than ${Math.round(maxBytes / 1024 / 1024)} MB` };
  const info = pngInfo(bytes) ?? jpegInfo(bytes);
  if (!info) return { ok: false, message: "is not a PNG or JPEG image" };
  return { ok: true, image: { ...info, base64, data: bytes, bytes: bytes.length } };
}

/** Base64 of bytes, in slices (String.fromCharCode on a whole image would overflow the stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function pngInfo(b: Uint8Array): Omit<VideoImage, "base64" | "bytes" | "data"> | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 26 || sig.some((v, i) => b[i] !== v)) return null;
  // IHDR is the first chunk: length(4) "IHDR"(4) width(4) height(4) depth(1) colour type(1).
  if (String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== "IHDR") return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const colourType = b[25]!;
  return { format: "png", width: dv.getUint32(16), height: dv.getUint32(20), hasAlphaChannel: colourType === 4 || colourType === 6 };
}

function jpegInfo(b: Uint8Array): Omit<VideoImage, "base64" | "bytes" | "data"> | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (b[i + 5]! << 8) | b[i + 6]!;
      const width = (b[i + 7]! << 8) | b[i + 8]!;
      return { format: "jpeg", width, height, hasAlphaChannel: false };
    }
    i += 2 + len;
  }
  return null;
}
