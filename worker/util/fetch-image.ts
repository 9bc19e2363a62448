import { GatewayError } from "../edge/errors.ts";

export interface FetchedImage {
  mediaType: string;
  base64: string;
}

export interface ImageFetchLimits {
  maxBytes: number;
  timeoutMs: number;
}

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/**
 * Downloads an image a client referenced by URL (Bedrock accepts only inline bytes), with a size cap enforced while
 * reading, a deadline, no redirects to other schemes, and only image types Bedrock understands. Errors are the
 * caller's (400), naming the URL's host only — never echoing a whole URL that may carry credentials.
 */
export async function fetchImage(url: string, limits: ImageFetchLimits, param: string): Promise<FetchedImage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GatewayError(400, `${param}: not a valid URL.`, "invalid_request_error", undefined, param);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new GatewayError(400, `${param}: only http(s) and data: image URLs are supported.`, "invalid_request_error", undefined, param);
  }
  const host = parsed.hostname;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), limits.timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(parsed.toString(), { signal: ac.signal, redirect: "follow", headers: { accept: [...IMAGE_TYPES].join(", ") } });
    } catch {
      throw new GatewayError(400, `${param}: the image at ${host} could not be downloaded in time.`, "invalid_request_error", undefined, param);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new GatewayError(400, `${param}: downloading the image from ${host} failed with HTTP ${res.status}.`, "invalid_request_error", undefined, param);
    }
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) {
      await res.body.cancel().catch(() => {});
      throw new GatewayError(400, `${param}: ${host} returned ${mediaType || "no content type"}, not a PNG, JPEG, GIF or WebP image.`, "invalid_request_error", undefined, param);
    }
    const declared = Number(res.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await res.body.cancel().catch(() => {});
      throw tooBig(param, host, limits.maxBytes);
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch {
        throw new GatewayError(400, `${param}: the image at ${host} could not be downloaded in time.`, "invalid_request_error", undefined, param);
      }
      if (r.done) break;
      size += r.value.byteLength;
      if (size > limits.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooBig(param, host, limits.maxBytes);
      }
      chunks.push(r.value);
    }
    let binary = "";
    for (const c of chunks) for (let i = 0; i < c.length; i += 0x8000) binary += String.fromCharCode(...c.subarray(i, i + 0x8000));
    return { mediaType, base64: btoa(binary) };
  } finally {
    clearTimeout(timer);
  }
}

function tooBig(param: string, host: string, max: number): GatewayError {
  return new GatewayError(400, `${param}: the image at ${host} is larger than ${(max / 1048576).toFixed(1)} MB.`, "invalid_request_error", undefined, param);
}
