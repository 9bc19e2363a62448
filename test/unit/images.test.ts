// The pure image translators (worker/protocols/images/): request → Bedrock bodies per family, answers → OpenAI's
// shape with Bedrock's 200-status content filters, byte sniffing; and the catalog's image rows and lifecycle.
import { describe, expect, it } from "vitest";
import { Catalog } from "../../worker/models/catalog.ts";
import { MODELS, type ImageSpec } from "../../worker/models/catalog-data.ts";
import { filterMessage, readImageAnswer, toOpenAIImages } from "../../worker/protocols/images/answer.ts";
import { novaBackgroundRemoval, novaEdit, novaGeneration, novaOutpaint, novaVariation } from "../../worker/protocols/images/nova.ts";
import { dearestImage, unitPrice } from "../../worker/protocols/images/plan.ts";
import { inlineImage, sniffImage, uploadedImage } from "../../worker/protocols/images/sniff.ts";
import { aspectRatioFor, stabilityEdit, stabilityGeneration } from "../../worker/protocols/images/stability.ts";
import { greyJpeg, solidPng } from "../support/emulator/image-files.ts";

const spec = (name: string): ImageSpec => MODELS.find((m) => m.name === name)!.image!;
const PNG = solidPng(8, 8, [1, 2, 3, 255]);
const PNG_B64 = PNG.toString("base64");
const img = (b: Buffer = PNG) => uploadedImage(new Uint8Array(b), b.toString("base64"), "image");
const param = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { param?: string }).param;
  }
  return "no error";
};

describe("sniffing", () => {
  it("knows PNG, JPEG and WebP by their bytes, whatever the label", () => {
    expect(sniffImage(new Uint8Array(PNG.subarray(0, 16)))).toBe("png");
    expect(sniffImage(new Uint8Array(greyJpeg().subarray(0, 16)))).toBe("jpeg");
    expect(sniffImage(new Uint8Array(Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1")))).toBe("webp");
    expect(sniffImage(new Uint8Array(Buffer.from("GIF89a.........")))).toBeNull();
  });

  it("reads data: URIs and bare base64, refusing text, broken base64 and images over 10 MB", () => {
    expect(inlineImage(`data:image/png;base64,${PNG_B64}`, "image")).toMatchObject({ base64: PNG_B64, format: "png", bytes: PNG.length });
    expect(inlineImage(PNG_B64, "image").format).toBe("png");
    expect(() => inlineImage(Buffer.from("plain text here").toString("base64"), "image")).toThrow(/not a PNG, JPEG, WEBP image/);
    expect(() => inlineImage("!!not base64!!", "image")).toThrow(/not valid base64/);
    expect(() => inlineImage("data:image/png,rawbytes", "image")).toThrow(/base64 data: URI/);
    expect(() => inlineImage(PNG_B64 + "A".repeat(14 * 1024 * 1024), "images[0]")).toThrow(/at most 10 MB/);
    expect(() => inlineImage(greyJpeg().toString("base64"), "x", ["png"])).toThrow(/not a PNG image/);
  });
});

describe("Nova Canvas and Titan", () => {
  it("TEXT_IMAGE with OpenAI's fields mapped", () => {
    const plan = novaGeneration({ model: "nova-canvas", prompt: "a quay", n: 3, size: "2048x1024", quality: "hd", seed: 5, cfg_scale: 8 }, spec("nova-canvas"), "nova-canvas");
    expect(plan.bodies).toEqual([
      { taskType: "TEXT_IMAGE", textToImageParams: { text: "a quay" }, imageGenerationConfig: { numberOfImages: 3, quality: "premium", width: 2048, height: 1024, cfgScale: 8, seed: 5 } },
    ]);
    expect(plan.count).toBe(3);
    expect(plan.unitPrice).toBe(0.08); // premium, over 1024 px
    expect(plan.answer).toBe("nova");
  });

  it("imageGenerationConfig passes through; its size, count and quality are checked and priced like OpenAI's", () => {
    const plan = novaGeneration({ prompt: "x", imageGenerationConfig: { width: 1280, height: 1280, numberOfImages: 2, quality: "premium", cfgScale: 3 } }, spec("nova-canvas"), "nova-canvas");
    expect(plan.bodies[0]).toMatchObject({ imageGenerationConfig: { width: 1280, height: 1280, numberOfImages: 2, quality: "premium", cfgScale: 3 } });
    expect([plan.count, plan.unitPrice]).toEqual([2, 0.08]);
    expect(param(() => novaGeneration({ prompt: "x", imageGenerationConfig: { numberOfImages: 9 } }, spec("nova-canvas"), "nova-canvas"))).toBe("n");
  });

  it("size rules: Nova's divisibility and ratio, Titan's presets", () => {
    const nova = spec("nova-canvas");
    expect(param(() => novaGeneration({ prompt: "x", size: "1000x1000" }, nova, "nova-canvas"))).toBe("size");
    expect(param(() => novaGeneration({ prompt: "x", size: "4096x320" }, nova, "nova-canvas"))).toBe("size"); // 12.8:1
    expect(param(() => novaGeneration({ prompt: "x", size: "2048x2048" }, nova, "nova-canvas"))).toBe("size"); // = 4,194,304 px
    expect(novaGeneration({ prompt: "x", size: "1280x720" }, nova, "nova-canvas").bodies[0]).toMatchObject({ imageGenerationConfig: { width: 1280, height: 720 } });
    const titan = spec("titan-image-v2");
    expect(param(() => novaGeneration({ prompt: "x", size: "1280x720" }, titan, "titan-image-v2"))).toBe("size");
    expect(param(() => novaGeneration({ prompt: "x".repeat(513) }, titan, "titan-image-v2"))).toBe("prompt");
    expect(param(() => novaGeneration({ prompt: "x", style: "PHOTOREALISM" }, titan, "titan-image-v2"))).toBe("style");
  });

  it("n, unknown fields, URL answers and styles are refused naming the parameter", () => {
    const nova = spec("nova-canvas");
    expect(param(() => novaGeneration({ prompt: "x", n: 6 }, nova, "nova-canvas"))).toBe("n");
    expect(param(() => novaGeneration({ prompt: "x", n: 0 }, nova, "nova-canvas"))).toBe("n");
    expect(param(() => novaGeneration({ prompt: "x", aspect_ratio: "1:1" }, nova, "nova-canvas"))).toBe("aspect_ratio");
    expect(param(() => novaGeneration({ prompt: "x", response_format: "url" }, nova, "nova-canvas"))).toBe("response_format");
    expect(param(() => novaGeneration({ prompt: "x", style: "vivid" }, nova, "nova-canvas"))).toBe("style");
    expect(param(() => novaGeneration({ prompt: "x", seed: 900_000_000 }, nova, "nova-canvas"))).toBe("seed");
    expect(novaGeneration({ prompt: "x", style: "soft digital painting" }, nova, "nova-canvas").bodies[0]).toMatchObject({ textToImageParams: { style: "SOFT_DIGITAL_PAINTING" } });
  });

  it("edits: inpainting with a mask or a mask prompt, never both or neither", () => {
    const nova = spec("nova-canvas");
    const mask = img(solidPng(8, 8, [255, 255, 255, 255]));
    expect(novaEdit({ prompt: "a sofa" }, [img()], mask, nova, "nova-canvas").bodies[0]).toMatchObject({ taskType: "INPAINTING", inPaintingParams: { image: PNG_B64, maskImage: mask.base64, text: "a sofa" } });
    expect(novaEdit({ prompt: "a sofa", mask_prompt: "the chair" }, [img()], null, nova, "nova-canvas").bodies[0]).toMatchObject({ inPaintingParams: { maskPrompt: "the chair" } });
    expect(param(() => novaEdit({ prompt: "a sofa" }, [img()], null, nova, "nova-canvas"))).toBe("mask");
    expect(param(() => novaEdit({ prompt: "a sofa", mask_prompt: "x" }, [img()], mask, nova, "nova-canvas"))).toBe("mask_prompt");
    expect(param(() => novaEdit({ prompt: "a sofa", mask_prompt: "x" }, [], null, nova, "nova-canvas"))).toBe("image");
    const webp = uploadedImage(new Uint8Array(Buffer.from("RIFF\0\0\0\0WEBPVP8L", "latin1")), "UklGRg==", "image");
    expect(param(() => novaEdit({ prompt: "a sofa", mask_prompt: "x" }, [webp], null, nova, "nova-canvas"))).toBe("image");
    expect(param(() => novaEdit({ prompt: "a sofa", mask_prompt: "x" }, [img(), img()], null, nova, "nova-canvas"))).toBe("image");
  });

  it("Rockport's operations build IMAGE_VARIATION, BACKGROUND_REMOVAL (no config) and OUTPAINTING bodies", () => {
    const nova = spec("nova-canvas");
    const v = novaVariation({ images: [PNG_B64, `data:image/png;base64,${PNG_B64}`], prompt: "softer", n: 2, quality: "premium", width: 1280, height: 768 }, nova, "nova-canvas");
    expect(v.bodies[0]).toMatchObject({ taskType: "IMAGE_VARIATION", imageVariationParams: { images: [PNG_B64, PNG_B64], similarityStrength: 0.7 } });
    expect(v.unitPrice).toBe(0.08);
    expect(param(() => novaVariation({ images: Array(6).fill(PNG_B64), prompt: "x" }, nova, "nova-canvas"))).toBe("images");
    expect(param(() => novaVariation({ images: [PNG_B64], prompt: "x", similarity_strength: 0.1 }, nova, "nova-canvas"))).toBe("similarity_strength");
    expect(novaBackgroundRemoval({ image: PNG_B64 }, nova, "nova-canvas").bodies[0]).toEqual({ taskType: "BACKGROUND_REMOVAL", backgroundRemovalParams: { image: PNG_B64 } });
    expect(param(() => novaBackgroundRemoval({}, nova, "nova-canvas"))).toBe("image");
    expect(novaOutpaint({ image: PNG_B64, prompt: "more", mask_image: PNG_B64, outpainting_mode: "DEFAULT" }, nova, "nova-canvas").bodies[0]).toMatchObject({
      outPaintingParams: { maskImage: PNG_B64, outPaintingMode: "DEFAULT" },
    });
    expect(param(() => novaOutpaint({ image: PNG_B64, prompt: "more" }, nova, "nova-canvas"))).toBe("mask_prompt");
  });
});

describe("Stability", () => {
  it("n images are n bodies (one image per call); a seed advances per body", () => {
    const plan = stabilityGeneration({ prompt: "a pier", n: 3, seed: 4_294_967_294, size: "1024x1536" }, spec("sd3.5-large"), "sd3.5-large");
    expect(plan.bodies.map((b) => b.seed)).toEqual([4_294_967_294, 0, 1]);
    expect(plan.bodies[0]).toEqual({ prompt: "a pier", output_format: "png", aspect_ratio: "2:3", seed: 4_294_967_294 });
    expect(plan.unitPrice).toBe(0.08);
    expect(plan.answer).toBe("stability");
  });

  it("sizes map to the nearest aspect ratio, within reason", () => {
    expect(aspectRatioFor({ width: 1024, height: 1024 }, "m")).toBe("1:1");
    expect(aspectRatioFor({ width: 1792, height: 1024 }, "m")).toBe("16:9");
    expect(aspectRatioFor({ width: 1024, height: 1792 }, "m")).toBe("9:16");
    expect(aspectRatioFor({ width: 2560, height: 1080 }, "m")).toBe("21:9");
    expect(() => aspectRatioFor({ width: 4000, height: 500 }, "m")).toThrow(/no matching aspect ratio/);
  });

  it("image-to-image only where the model has it (SD3.5)", () => {
    const plan = stabilityGeneration({ prompt: "x", image: PNG_B64, strength: 0.4 }, spec("sd3.5-large"), "sd3.5-large");
    expect(plan.bodies[0]).toEqual({ prompt: "x", output_format: "png", mode: "image-to-image", image: PNG_B64, strength: 0.4 });
    expect(param(() => stabilityGeneration({ prompt: "x", image: PNG_B64 }, spec("stable-image-ultra"), "stable-image-ultra"))).toBe("image");
    expect(param(() => stabilityGeneration({ prompt: "x", strength: 0.4 }, spec("sd3.5-large"), "sd3.5-large"))).toBe("strength");
    expect(param(() => stabilityGeneration({ prompt: "x", output_format: "webp" }, spec("stable-image-core"), "stable-image-core"))).toBe("output_format");
  });

  it("each edit service requires its own fields and refuses the rest; multipart strings become numbers", () => {
    const s = (name: string) => spec(name);
    expect(stabilityEdit({ prompt: "p", search_prompt: "s", grow_mask: "3", seed: "9" }, [img()], null, s("stability-search-replace"), "m").bodies[0]).toEqual({
      image: PNG_B64, prompt: "p", search_prompt: "s", grow_mask: 3, output_format: "png", seed: 9,
    });
    expect(param(() => stabilityEdit({ prompt: "p", search_prompt: "s" }, [img()], null, s("stability-search-recolor"), "m"))).toBe("search_prompt");
    expect(param(() => stabilityEdit({ prompt: "p" }, [img()], null, s("stability-remove-background"), "m"))).toBe("prompt");
    expect(param(() => stabilityEdit({ creativity: "0.9", prompt: "p" }, [img()], null, s("stability-creative-upscale"), "m"))).toBe("creativity");
    expect(param(() => stabilityEdit({ left: "abc" }, [img()], null, s("stability-outpaint"), "m"))).toBe("left");
    expect(param(() => stabilityEdit({ style_preset: "watercolour", prompt: "p" }, [img()], null, s("stability-sketch"), "m"))).toBe("style_preset");
    expect(param(() => stabilityEdit({ n: "2" }, [img()], null, s("stability-fast-upscale"), "m"))).toBe("n");
    expect(param(() => stabilityEdit({ prompt: "p" }, [img(), img()], null, s("stability-sketch"), "m"))).toBe("image");
    const transfer = stabilityEdit({}, [img(), img(solidPng(8, 8, [9, 9, 9, 255]))], null, s("stability-style-transfer"), "m");
    expect(Object.keys(transfer.bodies[0]!).sort()).toEqual(["init_image", "output_format", "style_image"]);
    expect(stabilityEdit({ prompt: "p" }, [img()], img(), s("stability-inpaint"), "m").bodies[0]).toHaveProperty("mask");
    expect(param(() => stabilityEdit({ prompt: "p" }, [img()], img(), s("stability-structure"), "m"))).toBe("mask");
  });
});

describe("answers", () => {
  it("Nova: images, a partial block (200 with error), a full block", () => {
    expect(readImageAnswer("nova", { images: ["a", "b"] })).toEqual({ images: ["a", "b"] });
    expect(readImageAnswer("nova", { images: ["a"], error: "Some of the generated images have been blocked by our content filters." })).toMatchObject({ images: ["a"], filtered: expect.stringContaining("Some") });
    expect(readImageAnswer("nova", { images: [], error: "All of the generated images have been blocked by our content filters." }).images).toEqual([]);
    expect(() => readImageAnswer("nova", { images: [] })).toThrow(/unreadable/);
  });

  it("Stability: finish_reasons decide, with or without an image", () => {
    expect(readImageAnswer("stability", { seeds: [1], finish_reasons: [null], images: ["x"] })).toEqual({ images: ["x"] });
    expect(readImageAnswer("stability", { seeds: [1], finish_reasons: ["Filter reason: prompt"] })).toEqual({ images: [], filtered: "Filter reason: prompt" });
    expect(readImageAnswer("stability", { finish_reasons: ["Inference error"], images: ["x"] })).toEqual({ images: [], failed: "Inference error" });
    expect(() => readImageAnswer("stability", { images: [42] })).toThrow(/unreadable/);
    expect(toOpenAIImages(["a", "b"], 7)).toEqual({ created: 7, data: [{ b64_json: "a" }, { b64_json: "b" }] });
    expect(filterMessage("Filter reason: output image")).toBe("The request was blocked by the model's content filter (output image). Adjust the prompt and try again.");
    expect(filterMessage("Filter reason: input image")).toContain("Adjust the input image");
  });
});

describe("catalog: image rows", () => {
  const before = new Catalog({ geoPrefix: "eu", now: () => Date.parse("2026-06-01T00:00:00Z") });
  const after = new Catalog({ geoPrefix: "eu", now: () => Date.parse("2026-12-04T00:00:00Z") });

  it("the all-images group holds every image model and nothing else; all-chat none of them", () => {
    const images = before.groups()["all-images"]!;
    expect(images).toHaveLength(18);
    expect(images).toContain("stability-fast-upscale");
    expect(before.groups()["all-chat"]).not.toContain("nova-canvas");
  });

  it("Stability services always go through their us. profile, whatever the geography", () => {
    expect(before.resolve("stability-inpaint")!.invokeId).toBe("us.stability.stable-image-inpaint-v1:0");
    expect(before.resolve("sd3.5-large")!.invokeId).toBe("stability.sd3-5-large-v1:0");
  });

  it("a retired image model is refused (named successor), not silently served by another family", () => {
    expect(before.resolve("nova-canvas")!.ended).toBeUndefined();
    expect(after.resolve("nova-canvas")).toMatchObject({ row: { name: "nova-canvas" }, ended: { endOfLife: "2026-09-30", successor: "stable-image-core" } });
    expect(after.resolve("titan-image-v2")!.ended?.endOfLife).toBe("2026-06-30");
    // Chat models keep the existing behaviour: the successor serves.
    expect(after.resolve("claude-sonnet-4-5")!.row.name).toBe("claude-sonnet-4-6");
  });

  it("prices: Nova's tiers and the dearest image for strict budgets", () => {
    const nova = spec("nova-canvas");
    expect(unitPrice(nova, "standard", { width: 1024, height: 1024 })).toBe(0.04);
    expect(unitPrice(nova, "premium", null)).toBe(0.06);
    expect(unitPrice(nova, "standard", { width: 1024, height: 1280 })).toBe(0.06);
    expect(dearestImage(nova)).toBe(0.08);
    expect(dearestImage(spec("stable-image-ultra"))).toBe(0.14);
  });
});
