import { describe, expect, it } from "vitest";
import { parseVideoEndOfLife, videoModel, videoRetired } from "../../worker/models/video-catalog.ts";
import { decodeImage } from "../../worker/video/image.ts";
import { cameraTermInMiddle, negationWord } from "../../worker/video/prompt-rules.ts";
import { isJsonContentType, price, validateVideoRequest } from "../../worker/video/validate.ts";

const BEFORE_EOL = { now: Date.parse("2026-09-30T23:59:59Z") };

function jpegDataUri(width: number, height: number): string {
  // SOI, an APP0 segment, then SOF0 with the frame size.
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
  const sof0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00];
  return `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]).toString("base64")}`;
}

describe("video prices", () => {
  it("is seconds × the catalog's price per second, by resolution for Ray2", () => {
    expect(price(videoModel("nova-reel")!, 120)).toBe(9.6);
    expect(price(videoModel("luma-ray2")!, 9, "540p")).toBe(6.75);
    expect(price(videoModel("luma-ray2")!, 9, "720p")).toBe(13.5);
    const r = validateVideoRequest({ prompt: "Waves at sunrise", duration: 30 }, BEFORE_EOL);
    expect(r.ok && r.spec.cost).toBe(2.4);
  });
});

describe("Nova Reel's prompt rules", () => {
  it("finds negation words as whole words, apostrophes dropped", () => {
    expect(negationWord("A cat that won't sit")).toBe("wont");
    expect(negationWord("Nothing notable, knots")).toBeNull();
    expect(negationWord("NEVER stop")).toBe("never");
  });
  it("warns only for camera terms between the first and the last separator", () => {
    expect(cameraTermInMiddle("A city, static shot of the square, at night.")).toBe("static shot");
    expect(cameraTermInMiddle("Zoom in: a city, the square, at night")).toBeNull();
    expect(cameraTermInMiddle("A city, the square at night, slow pan")).toBeNull();
    expect(cameraTermInMiddle("A city. Panorama of roofs. Night")).toBeNull();
  });
});

describe("validateVideoRequest", () => {
  it("builds Bedrock's modelInput for each Nova Reel mode", () => {
    const single = validateVideoRequest({ prompt: "Waves", seed: 3 }, BEFORE_EOL);
    expect(single.ok && single.spec.modelInput).toEqual({ taskType: "TEXT_VIDEO", textToVideoParams: { text: "Waves" }, videoGenerationConfig: { fps: 24, dimension: "1280x720", seed: 3, durationSeconds: 6 } });
    const auto = validateVideoRequest({ mode: "multi-shot-automated", prompt: "x".repeat(4000) }, BEFORE_EOL);
    expect(auto.ok && auto.spec).toMatchObject({ mode: "multi_shot_automated", duration: 12 });
    expect(validateVideoRequest({ mode: "multi-shot-automated", prompt: "x".repeat(4001) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "prompt" } });
    const twenty = validateVideoRequest({ shots: Array.from({ length: 20 }, (_, i) => ({ prompt: `shot ${i}` })) }, BEFORE_EOL);
    expect(twenty.ok && twenty.spec.duration).toBe(120);
    expect(validateVideoRequest({ shots: Array.from({ length: 21 }, () => ({ prompt: "s" })) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "shots" } });
    expect(validateVideoRequest({ shots: [{ prompt: "a" }, { prompt: "b" }], duration: 18 }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "duration" } });
  });

  it("reads image sizes from the file, not the media type", () => {
    const jpeg = decodeImage(jpegDataUri(1280, 720), 1024);
    expect(jpeg).toMatchObject({ ok: true, image: { format: "jpeg", width: 1280, height: 720 } });
    expect(decodeImage(jpegDataUri(1280, 720).replace("image/jpeg", "image/png"), 1024)).toMatchObject({ ok: true, image: { format: "jpeg" } });
    expect(decodeImage(`data:image/png;base64,${Buffer.from("not an image").toString("base64")}`, 1024)).toMatchObject({ ok: false });
    expect(decodeImage(jpegDataUri(1280, 720), 10)).toMatchObject({ ok: false, message: expect.stringContaining("larger") });
    const ok = validateVideoRequest({ prompt: "A harbour", image: jpegDataUri(1280, 720) }, BEFORE_EOL);
    expect(ok.ok && (ok.spec.modelInput as any).textToVideoParams.images[0].format).toBe("jpeg");
    expect(validateVideoRequest({ prompt: "A harbour", image: jpegDataUri(1920, 1080) }, BEFORE_EOL)).toMatchObject({ ok: false, error: { param: "image" } });
  });

  it("Ray2: its own durations, resolutions and aspect ratios; no multi-shot", () => {
    const r = validateVideoRequest({ model: "luma-ray2", prompt: "x", aspect_ratio: "9:21", duration: 9 });
    expect(r.ok && r.spec.modelInput).toEqual({ prompt: "x", duration: "9s", aspect_ratio: "9:21", resolution: "720p" });
    expect(validateVideoRequest({ model: "luma-ray2", prompt: "x", mode: "multi-shot-automated" })).toMatchObject({ ok: false, error: { param: "mode" } });
    expect(validateVideoRequest({ model: "luma.ray-v2:0", prompt: "x" }).ok).toBe(true);
  });

  it("retires a model the day after its end of life, with a 400 naming the successor; the date is configurable", () => {
    const after = { now: Date.parse("2026-10-01T00:00:00Z") };
    const r = validateVideoRequest({ prompt: "Waves" }, after);
    expect(r).toMatchObject({ ok: false, error: { status: 400, type: "model_retired", param: "model" } });
    expect(!r.ok && r.error.message).toContain('Use "luma-ray2" instead');
    expect(validateVideoRequest({ prompt: "Waves" }, BEFORE_EOL).ok).toBe(true);
    expect(validateVideoRequest({ prompt: "Waves" }, { ...after, endOfLife: { "nova-reel": null } }).ok).toBe(true);
    expect(videoRetired(videoModel("nova-reel")!, { ...after, endOfLife: { "nova-reel": "2026-09-30" } })).toBe(true);
    expect(() => parseVideoEndOfLife('{"sora":"2027-01-01"}')).toThrow(/unknown video model/);
    expect(() => parseVideoEndOfLife('{"nova-reel":"soon"}')).toThrow(/YYYY-MM-DD/);
  });

  it("accepts JSON content types only", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/jsonp")).toBe(false);
    expect(isJsonContentType("text/plain")).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });
});
