// OpenAI-style masks (transparent = change) become Stability's (white = change); opaque masks are left alone.
import { deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { stabilityMaskFrom } from "../../worker/protocols/images/mask.ts";
import { greyJpeg, solidPng } from "../support/emulator/image-files.ts";

/** An RGBA PNG whose rows use each of PNG's five filters in turn, so decoding must undo all of them. */
function rgbaPng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const bpp = 4;
  const rows: number[][] = Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => pixel(x, y)).flat());
  const raw: number[] = [];
  rows.forEach((row, y) => {
    const filter = y % 5;
    const prev = y > 0 ? rows[y - 1]! : row.map(() => 0);
    raw.push(filter);
    row.forEach((v, i) => {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw.push((v - predictor) & 0xff);
    });
  });
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, Buffer.from(type), body, Buffer.alloc(4)]); // the converter does not check CRCs
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.from(raw))), chunk("IEND", Buffer.alloc(0))]);
}

function decodeGray(png: Uint8Array): { width: number; height: number; colorType: number; rows: number[][] } {
  const b = Buffer.from(png);
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const idatLen = b.readUInt32BE(33);
  expect(b.subarray(37, 41).toString()).toBe("IDAT");
  const raw = inflateSync(b.subarray(41, 41 + idatLen));
  const rows = Array.from({ length: height }, (_, y) => {
    expect(raw[y * (width + 1)]).toBe(0);
    return [...raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1))];
  });
  return { width, height, colorType: b[25]!, rows };
}

describe("OpenAI mask → Stability mask", () => {
  it("transparent pixels become white (change), opaque ones black (keep), through every PNG filter", async () => {
    const mask = rgbaPng(6, 10, (x, y) => [x * 40, y * 20, (x + y) * 9, x < 3 ? 0 : 255]);
    const out = await stabilityMaskFrom(new Uint8Array(mask));
    expect(out).not.toBeNull();
    const gray = decodeGray(out!);
    expect(gray).toMatchObject({ width: 6, height: 10, colorType: 0 });
    for (const row of gray.rows) expect(row).toEqual([255, 255, 255, 0, 0, 0]);
  });

  it("leaves opaque masks, JPEGs and broken files as they are", async () => {
    expect(await stabilityMaskFrom(new Uint8Array(solidPng(4, 4, [255, 255, 255, 255])))).toBeNull();
    expect(await stabilityMaskFrom(new Uint8Array(greyJpeg()))).toBeNull();
    const broken = Buffer.from(rgbaPng(4, 4, () => [0, 0, 0, 0]));
    broken.fill(7, 41, 50); // corrupt the compressed data
    expect(await stabilityMaskFrom(new Uint8Array(broken))).toBeNull();
  });

  it("does not inflate more than the header's size allows, nor masks over the pixel cap", async () => {
    const small = rgbaPng(2, 2, () => [0, 0, 0, 0]);
    // Same 2×2 header, but a compressed stream that inflates to 8 MB.
    const idat = deflateSync(Buffer.alloc(8 * 1024 * 1024));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(idat.length);
    const bomb = Buffer.concat([small.subarray(0, 33), len, Buffer.from("IDAT"), idat, Buffer.alloc(4), Buffer.from([0, 0, 0, 0]), Buffer.from("IEND"), Buffer.alloc(4)]);
    expect(await stabilityMaskFrom(new Uint8Array(bomb))).toBeNull();
    const huge = Buffer.from(small);
    huge.writeUInt32BE(5000, 16);
    huge.writeUInt32BE(5000, 20);
    expect(await stabilityMaskFrom(new Uint8Array(huge))).toBeNull();
  });
});
