// OpenAI's edit masks mark the area to change with transparency; Stability's are opaque, white where the picture
// changes (MEDIA_ORIGIN §1.7). A mask that has transparent pixels is therefore an OpenAI mask, and is turned into a
// Stability one: transparent → white, opaque → black. An opaque mask (already Stability's kind) is sent as it is.
// Only 8-bit, non-interlaced PNGs with an alpha channel are converted; anything else goes through unchanged.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Masks larger than this are sent unconverted: decoding one costs 4 bytes a pixel of the isolate's memory. */
export const MAX_MASK_PIXELS = 2048 * 2048;

/** Runs bytes through a (de)compression stream, giving up (null) past `maxBytes` of output: no inflation bombs. */
async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, maxBytes: number): Promise<Uint8Array | null> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(parts);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
}

interface Png {
  width: number;
  height: number;
  colorType: number;
  data: Uint8Array;
}

function readPng(file: Uint8Array): Png | null {
  if (!PNG_SIGNATURE.every((b, i) => file[i] === b)) return null;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 8;
  let header: { width: number; height: number; depth: number; colorType: number; interlace: number } | null = null;
  const idat: Uint8Array[] = [];
  while (at + 8 <= file.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...file.subarray(at + 4, at + 8));
    const body = file.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") header = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: body[8]!, colorType: body[9]!, interlace: body[12]! };
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  if (!header || header.depth !== 8 || header.interlace !== 0 || (header.colorType !== 6 && header.colorType !== 4)) return null;
  return { width: header.width, height: header.height, colorType: header.colorType, data: concat(idat) };
}

/** Reverses PNG's per-row filters in place over the inflated scanlines; returns the pixel rows without filter bytes. */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array | null {
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) return null;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp]! : 0;
      const b = prev ? prev[x]! : 0;
      const c = prev && x >= bpp ? prev[x - bpp]! : 0;
      let v = row[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) return null;
      cur[x] = v & 0xff;
    }
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** A Stability mask from an OpenAI one, or null when the mask has no transparency (or is a PNG we do not convert). */
export async function stabilityMaskFrom(file: Uint8Array): Promise<Uint8Array | null> {
  const png = readPng(file);
  if (!png) return null;
  if (png.width * png.height > MAX_MASK_PIXELS) return null;
  const bpp = png.colorType === 6 ? 4 : 2;
  let raw: Uint8Array | null;
  try {
    raw = await through(png.data, new DecompressionStream("deflate"), png.height * (png.width * bpp + 1));
  } catch {
    return null;
  }
  if (!raw) return null;
  const pixels = unfilter(raw, png.width, png.height, bpp);
  if (!pixels) return null;
  const gray = new Uint8Array(png.height * (png.width + 1));
  let transparent = false;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const alpha = pixels[(y * png.width + x) * bpp + bpp - 1]!;
      if (alpha < 255) transparent = true;
      // Row y starts with its filter byte (0, none).
      gray[y * (png.width + 1) + 1 + x] = alpha < 128 ? 255 : 0;
    }
  }
  if (!transparent) return null;
  const ihdr = new Uint8Array(13);
  const h = new DataView(ihdr.buffer);
  h.setUint32(0, png.width);
  h.setUint32(4, png.height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const idat = await through(gray, new CompressionStream("deflate"), Infinity);
  if (!idat) return null;
  return concat([new Uint8Array(PNG_SIGNATURE), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
