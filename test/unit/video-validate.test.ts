import { deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseVideoEndOfLife, videoModel, videoRetired } from "../../worker/models/video-catalog.ts";
import { decodeImage } from "../../worker/video/image.ts";
import { dropOpaqueAlpha } from "../../worker/video/png-alpha.ts";
import { cameraTermInMiddle, negationWord } from "../../worker/video/prompt-rules.ts";
import { isJsonContentType, price, validateVideoRequest } from "../../worker/video/validate.ts";

const BEFORE_EOL = { now: Date.parse("2026-09-30T23:59:59Z") };

function jpegDataUri(width: number, height: number): string {
  // SOI, an APP0 segment, then SOF0 with the frame size.
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
  const sof0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00];
  return `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]).toString("base64")}`;
}

describe("video prices", async () => {
  it("is seconds × the catalog's price per second, by resolution for Ray2", async () => {
    expect(price(videoModel("nova-reel")!, 120)).toBe(9.6);
    expect(price(videoModel("luma-ray2")!, 9, "540p")).toBe(6.75);
    expect(price(videoModel("luma-ray2")!, 9, "720p")).toBe(13.5);
    const r = await validateVideoRequest({ prompt: "Waves at sunrise", duration: 30 }, BEFORE_EOL);
    expect(r.ok && r.spec.cost).toBe(2.4);
  });
});

describe("Nova Reel's prompt rules", async () => {
  it("finds negation words as whole words, apostrophes dropped", async () => {
    expect(negationWord("A cat that won't sit")).toBe("wont");
    expect(negationWord("Nothing notable, knots")).toBeNull();
    expect(negationWord("NEVER stop")).toBe("never");
  });
  it("warns only for camera terms between the first and the last separator", async () => {
    expect(cameraTermInMiddle("A city, static shot of the square, at night.")).toBe("static shot");
    expect(cameraTermInMiddle("Zoom in: a city, the square, at night")).toBeNull();
    expect(cameraTermInMiddle("A city, the square at night, slow pan")).toBeNull();
    expect(cameraTermInMiddle("A city. Panorama of roofs. Night")).toBeNull();
  });
});

describe("validateVideoRequest", async () => {
  it("builds Bedrock's modelInput for each Nova Reel mode", async () => {
    const single = await validateVideoRequest({ prompt: "Waves", seed: 3 }, BEFORE_EOL);
    expect(single.ok && single.spec.modelInput).toEqual({ taskType: "TEXT_VIDEO", textToVideoParams: { text: "Waves" }, videoGenerationConfig: { fps: 24, dimension: "1280x720", seed: 3, durationSeconds: 6 } });
    const auto = await validateVideoRequest({ mode: "multi-shot-automated", prompt: "x".repeat(4000) }, BEFORE_EOL);
    expect(auto.ok && auto.spec).toMatchObject({ mode: "multi_shot_automated", duration: 12 });
    expect(await validateVideoRequest({ mode: "multi-shot-automated", prompt: "x".repeat(4001) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "prompt" } });
    const twenty = await validateVideoRequest({ shots: Array.from({ length: 20 }, (_, i) => ({ prompt: `shot ${i}` })) }, BEFORE_EOL);
    expect(twenty.ok && twenty.spec.duration).toBe(120);
    expect(await validateVideoRequest({ shots: Array.from({ length: 21 }, () => ({ prompt: "s" })) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "shots" } });
    expect(await validateVideoRequest({ shots: [{ prompt: "a" }, { prompt: "b" }], duration: 18 }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "duration" } });
  });

  it("reads image sizes from the file, not the media type", async () => {
    const jpeg = decodeImage(jpegDataUri(1280, 720), 1024);
    expect(jpeg).toMatchObject({ ok: true, image: { format: "jpeg", width: 1280, height: 720 } });
    expect(decodeImage(jpegDataUri(1280, 720).replace("image/jpeg", "image/png"), 1024)).toMatchObject({ ok: true, image: { format: "jpeg" } });
    expect(decodeImage(`data:image/png;base64,${Buffer.from("not an image").toString("base64")}`, 1024)).toMatchObject({ ok: false });
    expect(decodeImage(jpegDataUri(1280, 720), 10)).toMatchObject({ ok: false, message: expect.stringContaining("larger") });
    const ok = await validateVideoRequest({ prompt: "A harbour", image: jpegDataUri(1280, 720) }, BEFORE_EOL);
    expect(ok.ok && (ok.spec.modelInput as any).textToVideoParams.images[0].format).toBe("jpeg");
    expect(await validateVideoRequest({ prompt: "A harbour", image: jpegDataUri(1920, 1080) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "image" } });
  });

  it("Ray2: its own durations, resolutions and aspect ratios; no multi-shot", async () => {
    const r = await validateVideoRequest({ model: "luma-ray2", prompt: "x", aspect_ratio: "9:21", duration: 9 });
    expect(r.ok && r.spec.modelInput).toEqual({ prompt: "x", duration: "9s", aspect_ratio: "9:21", resolution: "720p" });
    expect(await validateVideoRequest({ model: "luma-ray2", prompt: "x", mode: "multi-shot-automated" })).toMatchObject({ ok: false, error: { param: "mode" } });
    expect((await validateVideoRequest({ model: "luma.ray-v2:0", prompt: "x" })).ok).toBe(true);
  });

  it("retires a model the day after its end of life, with a 400 naming the successor; the date is configurable", async () => {
    const after = { now: Date.parse("2026-10-01T00:00:00Z") };
    const r = await validateVideoRequest({ prompt: "Waves" }, after);
    expect(r).toMatchObject({ ok: false, error: { status: 400, type: "model_retired", param: "model" } });
    expect(!r.ok && r.error.message).toContain('Use "luma-ray2" instead');
    expect((await validateVideoRequest({ prompt: "Waves" }, BEFORE_EOL)).ok).toBe(true);
    expect((await validateVideoRequest({ prompt: "Waves" }, { ...after, endOfLife: { "nova-reel": null } })).ok).toBe(true);
    expect(videoRetired(videoModel("nova-reel")!, { ...after, endOfLife: { "nova-reel": "2026-09-30" } })).toBe(true);
    expect(() => parseVideoEndOfLife('{"sora":"2027-01-01"}')).toThrow(/unknown video model/);
    expect(() => parseVideoEndOfLife('{"nova-reel":"soon"}')).toThrow(/YYYY-MM-DD/);
  });

  it("accepts JSON content types only", async () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/jsonp")).toBe(false);
    expect(isJsonContentType("text/plain")).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An 8-bit RGBA PNG, every row with filter `filter` (1 = Sub, 4 = Paeth…) so unfiltering is exercised. */
function rgbaPng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number], filter = 0): Buffer {
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(width * 4);
  for (let y = 0; y < height; y++) {
    const line = Buffer.alloc(width * 4);
    for (let x = 0; x < width; x++) line.set(pixel(x, y), x * 4);
    const out = Buffer.alloc(width * 4);
    for (let i = 0; i < line.length; i++) {
      const a = i >= 4 ? line[i - 4]! : 0;
      const b = prev[i]!;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : 0;
      out[i] = (line[i]! - pred) & 0xff;
    }
    rows.push(Buffer.concat([Buffer.from([filter]), out]));
    prev = line;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(Buffer.concat(rows))), pngChunk("IEND", Buffer.alloc(0))]);
}

describe("PNG transparency (Nova Reel)", () => {
  const colour = (x: number, y: number): [number, number, number, number] => [x % 256, y % 256, (x + y) % 256, 255];

  it("drops a fully opaque alpha channel and keeps every colour", async () => {
    for (const filter of [0, 1, 2, 3]) {
      const r = await dropOpaqueAlpha(rgbaPng(40, 30, colour, filter));
      expect(r.ok).toBe(true);
      const out = Buffer.from((r as { bytes: Uint8Array }).bytes);
      expect(out[25]).toBe(2); // RGB now
      const idat = out.subarray(41, out.length - 4 - 12);
      const raw = inflateSync(idat);
      expect(raw.length).toBe(30 * (40 * 3 + 1));
      expect([...raw.subarray(1 + 7 * 3, 1 + 8 * 3)]).toEqual([7, 0, 7]);
      expect([...raw.subarray(29 * 121 + 1 + 39 * 3, 29 * 121 + 1 + 40 * 3)]).toEqual([39, 29, 68]);
    }
  });

  it("refuses a PNG with any pixel less than opaque, as a 400 naming the field", async () => {
    const see = rgbaPng(40, 30, (x, y) => (x === 20 && y === 10 ? [1, 2, 3, 254] : colour(x, y)), 1);
    expect(await dropOpaqueAlpha(see)).toMatchObject({ ok: false, message: expect.stringContaining("transparent") });
    const big = rgbaPng(1280, 720, (x, y) => (x === 1279 && y === 719 ? [0, 0, 0, 0] : [10, 20, 30, 255]), 2);
    const r = await validateVideoRequest({ prompt: "A harbour", image: `data:image/png;base64,${big.toString("base64")}` }, BEFORE_EOL);
    expect(r).toMatchObject({ ok: false, error: { status: 400, param: "image" } });
    const opaque = rgbaPng(1280, 720, () => [10, 20, 30, 255], 2);
    const ok = await validateVideoRequest({ shots: [{ prompt: "a" }, { prompt: "b", image: `data:image/png;base64,${opaque.toString("base64")}` }] }, BEFORE_EOL);
    expect(ok.ok).toBe(true);
    const sent = Buffer.from((ok as any).spec.modelInput.multiShotManualParams.shots[1].image.source.bytes, "base64");
    expect(sent[25]).toBe(2);
  });
});
