// Real, small image files for the image models' answers: PNGs and lossless WebPs of a solid colour (PNG: zlib from
// node, CRC-checked chunks) and a baseline JPEG of mid-grey. Any decoder opens them; they are a few hundred bytes, so n × images stays cheap.
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A width × height RGBA PNG of one colour (alpha 0 makes a "removed background"). */
export function solidPng(width: number, height: number, rgba: [number, number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const row = Buffer.alloc(1 + width * 4);
  for (let x = 0; x < width; x++) row.set(rgba, 1 + x * 4);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/**
 * An 8 × 8 mid-grey baseline JPEG: one 8-bit component, a quantisation table of ones, and Huffman tables with one
 * code each (DC difference category 0, AC end-of-block), so the single block is the two bits "00".
 */
export function greyJpeg(): Buffer {
  const seg = (marker: number, data: number[]) => [0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data];
  const dht = (tableClass: number, symbol: number) => [(tableClass << 4) | 0, 1, ...Array(15).fill(0), symbol];
  return Buffer.from([
    0xff, 0xd8,
    ...seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // JFIF
    ...seg(0xdb, [0x00, ...Array(64).fill(1)]),
    ...seg(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...seg(0xc4, dht(0, 0x00)),
    ...seg(0xc4, dht(1, 0x00)),
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]),
    0x3f, // "00" then padding ones
    0xff, 0xd9,
  ]);
}

/**
 * A width × height lossless WebP (VP8L) of one colour: no transforms, no colour cache, and five prefix codes of one
 * symbol each (green, red, blue, alpha, distance), so every pixel costs zero bits after the header.
 */
export function solidWebp(width: number, height: number, [r, g, b, a]: [number, number, number, number]): Buffer {
  const bits: number[] = [];
  const put = (value: number, count: number) => {
    for (let i = 0; i < count; i++) bits.push((value >> i) & 1); // VP8L packs least significant bit first
  };
  put(width - 1, 14);
  put(height - 1, 14);
  put(a < 255 ? 1 : 0, 1); // alpha used
  put(0, 3); // version
  put(0, 1); // no transform
  put(0, 1); // no colour cache
  put(0, 1); // no meta prefix codes
  for (const symbol of [g, r, b, a]) {
    put(1, 1); // simple code
    put(0, 1); // one symbol
    put(1, 1); // of 8 bits
    put(symbol, 8);
  }
  put(1, 1), put(0, 1), put(0, 1), put(0, 1); // distance: one 1-bit symbol, 0
  const data = Buffer.alloc(1 + Math.ceil(bits.length / 8));
  data[0] = 0x2f; // VP8L signature
  bits.forEach((bit, i) => (data[1 + (i >> 3)]! |= bit << (i & 7)));
  const padded = data.length % 2 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
  const u32 = (n: number) => {
    const x = Buffer.alloc(4);
    x.writeUInt32LE(n);
    return x;
  };
  return Buffer.concat([Buffer.from("RIFF"), u32(4 + 8 + padded.length), Buffer.from("WEBP"), Buffer.from("VP8L"), u32(data.length), padded]);
}

/** A colour from a string (the prompt), so different prompts visibly give different images. */
export function colourOf(text: string, alpha = 255): [number, number, number, number] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return [h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, alpha];
}
