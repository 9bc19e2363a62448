/**
 * Nova Reel takes no transparency. As Rockport did: a PNG whose alpha channel is fully opaque has the channel
 * removed (the image is re-encoded as RGB or grey), and one with any pixel less than opaque is refused. Web-standard
 * only (DecompressionStream / CompressionStream, whose "deflate" is the zlib format PNG uses).
 */
export type AlphaResult = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunks(b: Uint8Array): Chunk[] | null {
  const out: Chunk[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 8; i + 12 <= b.length; ) {
    const len = dv.getUint32(i);
    if (i + 12 + len > b.length) return null;
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    out.push({ type, data: b.subarray(i + 8, i + 8 + len) });
    i += 12 + len;
    if (type === "IEND") break;
  }
  return out;
}

async function through(data: Uint8Array, stream: DecompressionStream | CompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => {});
  return new Uint8Array(await new Response(stream.readable as ReadableStream<Uint8Array<ArrayBuffer>>).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Removes an opaque alpha channel; refuses transparency. PNGs without alpha come back as they are. */
export async function dropOpaqueAlpha(png: Uint8Array): Promise<AlphaResult> {
  if (png.length < 8 || SIGNATURE.some((v, i) => png[i] !== v)) return { ok: true, bytes: png };
  const list = chunks(png);
  const ihdr = list?.[0];
  if (!list || !ihdr || ihdr.type !== "IHDR" || ihdr.data.length < 13) return { ok: false, message: "is not a readable PNG" };
  const dv = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const width = dv.getUint32(0);
  const height = dv.getUint32(4);
  const depth = ihdr.data[8]!;
  const colour = ihdr.data[9]!;
  const interlaced = ihdr.data[12] !== 0;
  if (list.some((c) => c.type === "tRNS")) return { ok: false, message: "has transparency (Nova Reel takes opaque images only)" };
  if (colour !== 4 && colour !== 6) return { ok: true, bytes: png };
  if (interlaced) return { ok: false, message: "is an interlaced PNG with an alpha channel: save it without interlacing or without alpha" };
  const channels = colour === 6 ? 4 : 2;
  const bytesPerSample = depth / 8;
  const bpp = channels * bytesPerSample;
  const stride = width * bpp;
  let raw: Uint8Array;
  try {
    const idat = list.filter((c) => c.type === "IDAT");
    const joined = new Uint8Array(idat.reduce((n, c) => n + c.data.length, 0));
    let at = 0;
    for (const c of idat) {
      joined.set(c.data, at);
      at += c.data.length;
    }
    raw = await through(joined, new DecompressionStream("deflate"));
  } catch {
    return { ok: false, message: "is not a readable PNG" };
  }
  if (raw.length < height * (stride + 1)) return { ok: false, message: "is not a readable PNG" };
  const outStride = (channels - 1) * bytesPerSample * width;
  const out = new Uint8Array(height * (outStride + 1));
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.slice(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      const add = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : 0;
      line[x] = (line[x]! + add) & 0xff;
    }
    // Every alpha sample must be fully opaque (all its bytes 0xff); the colour samples are kept.
    let o = y * (outStride + 1) + 1;
    for (let px = 0; px < width; px++) {
      const base = px * bpp;
      for (let k = 0; k < bytesPerSample; k++) if (line[base + (channels - 1) * bytesPerSample + k] !== 0xff) return { ok: false, message: "has transparent pixels (Nova Reel takes opaque images only)" };
      for (let k = 0; k < (channels - 1) * bytesPerSample; k++) out[o++] = line[base + k]!;
    }
    prev = line;
  }
  const compressed = await through(out, new CompressionStream("deflate"));
  const header = new Uint8Array(13);
  header.set(ihdr.data.subarray(0, 13));
  header[9] = colour === 6 ? 2 : 0;
  header[12] = 0;
  return { ok: true, bytes: concat([new Uint8Array(SIGNATURE), chunk("IHDR", header), chunk("IDAT", compressed), chunk("IEND", new Uint8Array())]) };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const byte of p) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  const typeBytes = new TextEncoder().encode(type);
  out.set(typeBytes, 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32([typeBytes, data]));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
