// Images at the edge with the real `openai` client: generations for every family (Nova Canvas, Titan Image v2,
// Stability), edits (multipart) for the thirteen Stability services and Nova Canvas, Rockport's Nova Canvas
// operations, per-image billing and budgets, the content filters Bedrock answers with HTTP 200, and end of life.
import { AwsClient } from "aws4fetch";
import { eq } from "drizzle-orm";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiKeys } from "../../worker/db/schema.ts";
import { sha256Hex } from "../../worker/keys/hash.ts";
import { solidPng } from "../support/emulator/image-files.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startGateway, type Gateway } from "../support/worker-harness.ts";

let stack: Stack;
let key: string;
let client: OpenAI;
/** The same stack judged at today's date (2026-12), when Nova Canvas and Titan Image v2 have retired. */
let today: Gateway;

const MASTER = "images-test-master-key-0123456789abcdef";
const PNG = solidPng(64, 64, [200, 40, 40, 255]);
const PNG_B64 = PNG.toString("base64");
const DATA_URI = `data:image/png;base64,${PNG_B64}`;
const MASK = solidPng(64, 64, [255, 255, 255, 255]);

beforeAll(async () => {
  // Serve the retiring models: judge their end of life as of a date before it.
  stack = await startStack({ env: { MODEL_LIFECYCLE_DATE: "2026-06-01", MASTER_KEY: MASTER } });
  key = await stack.createKey({ alias: "images" });
  client = new OpenAI({ apiKey: key, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
  const { MODEL_LIFECYCLE_DATE: _, ...env } = stack.gatewayEnv;
  today = await startGateway(env);
}, 120_000);
afterAll(async () => {
  await today?.stop();
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const imageCalls = () => stack.emulator.requests.filter((r) => r.operation === "InvokeModel");
const kind = (b64: string) => {
  const head = Buffer.from(b64.slice(0, 16), "base64");
  if (head.subarray(0, 4).toString("latin1") === "RIFF" && head.subarray(8, 12).toString("latin1") === "WEBP") return "webp";
  return head[0] === 0x89 && head[1] === 0x50 ? "png" : head[0] === 0xff && head[1] === 0xd8 ? "jpeg" : "other";
};

async function post(path: string, body: unknown, k = key, base = stack.gateway.url): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${k}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function postForm(form: FormData, k = key): Promise<Response> {
  return fetch(`${stack.gateway.url}/v1/images/edits`, { method: "POST", headers: { authorization: `Bearer ${k}` }, body: form });
}

const png = (_name = "photo.png", bytes: Buffer = PNG) => new Blob([new Uint8Array(bytes)], { type: "image/png" });

describe("POST /v1/images/generations", () => {
  it("SD3.5 Large: n images are n calls in us-west-2, size becomes an aspect ratio, billed per image", async () => {
    const { data: r, response } = await client.images
      .generate({ model: "sd3.5-large", prompt: "a lighthouse on a breakwater", n: 2, size: "1792x1024", response_format: "b64_json" })
      .withResponse();
    expect(r.data).toHaveLength(2);
    for (const img of r.data!) expect(kind(img.b64_json!)).toBe("png");
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.16");
    const calls = imageCalls();
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(c.modelId).toBe("stability.sd3-5-large-v1:0");
      expect(c.region).toBe("us-west-2");
      expect(c.signatureValid).toBe(true);
      expect(c.body).toEqual({ prompt: "a lighthouse on a breakwater", output_format: "png", aspect_ratio: "16:9" });
    }
    const rows = await stack.waitForSpendRows("images", 1);
    const row = rows.find((x) => x.model === "sd3.5-large")!;
    expect(Number(row.cost)).toBe(0.16);
    expect(row.images).toBe(2);
    expect(row.status).toBe(200);
    // The admin API's spend log says how many images the request made.
    const logs = await fetch(`${stack.gateway.url}/spend/logs?request_id=${response.headers.get("request-id")}`, { headers: { authorization: `Bearer ${MASTER}` } });
    expect(await logs.json()).toMatchObject([{ model: "sd3.5-large", images: 2, spend: 0.16 }]);
  });

  it("Stable Image Ultra and Core, by name and by Bedrock id; a seed advances per image", async () => {
    const ultra = (await client.images.generate({ model: "stable-image-ultra", prompt: "a harbour", n: 2, seed: 7, negative_prompt: "fog", output_format: "jpeg" } as OpenAI.ImageGenerateParamsNonStreaming)) as OpenAI.ImagesResponse;
    expect(ultra.data!.map((d) => kind(d.b64_json!))).toEqual(["jpeg", "jpeg"]);
    expect(imageCalls().map((c) => (c.body as { seed: number }).seed).sort()).toEqual([7, 8]);
    expect(imageCalls()[0]!.body).toMatchObject({ negative_prompt: "fog", output_format: "jpeg", aspect_ratio: "1:1" });
    const core = (await client.images.generate({ model: "stability.stable-image-core-v1:1", prompt: "a pier" })) as OpenAI.ImagesResponse;
    expect(core.data).toHaveLength(1);
    expect(imageCalls().at(-1)!.modelId).toBe("stability.stable-image-core-v1:1");
  });

  it("Nova Canvas: one call for n images in us-east-1, size and quality mapped, premium priced", async () => {
    const { data: r, response } = await client.images
      .generate({ model: "nova-canvas", prompt: "a lighthouse at dusk", n: 2, size: "1024x768", quality: "hd", style: "photorealism", seed: 42, negative_prompt: "fog" } as unknown as OpenAI.ImageGenerateParamsNonStreaming)
      .withResponse();
    expect(r.data).toHaveLength(2);
    expect(kind(r.data![0]!.b64_json!)).toBe("png");
    const [call] = imageCalls();
    expect(call!.modelId).toBe("amazon.nova-canvas-v1:0");
    expect(call!.region).toBe("us-east-1");
    expect(call!.body).toEqual({
      taskType: "TEXT_IMAGE",
      textToImageParams: { text: "a lighthouse at dusk", negativeText: "fog", style: "PHOTOREALISM" },
      imageGenerationConfig: { numberOfImages: 2, quality: "premium", width: 1024, height: 768, seed: 42 },
    });
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.12");
  });

  it("Nova Canvas passes image conditioning and colour-guided generation through", async () => {
    await client.images.generate({ model: "nova-canvas", prompt: "a boat", textToImageParams: { conditionImage: PNG_B64, controlMode: "CANNY_EDGE", controlStrength: 0.5 } } as unknown as OpenAI.ImageGenerateParamsNonStreaming);
    expect(imageCalls().at(-1)!.body).toMatchObject({ textToImageParams: { text: "a boat", conditionImage: PNG_B64, controlMode: "CANNY_EDGE", controlStrength: 0.5 } });
    await client.images.generate({ model: "nova-canvas", prompt: "a boat", taskType: "COLOR_GUIDED_GENERATION", colorGuidedGenerationParams: { colors: ["#FF9800"] } } as unknown as OpenAI.ImageGenerateParamsNonStreaming);
    expect(imageCalls().at(-1)!.body).toMatchObject({ taskType: "COLOR_GUIDED_GENERATION", colorGuidedGenerationParams: { colors: ["#FF9800"], text: "a boat" } });
  });

  it("Titan Image v2: a preset size, called in us-west-2", async () => {
    const r = await client.images.generate({ model: "titan-image-v2", prompt: "a quay", size: "512x512" as "256x256" });
    expect(r.data).toHaveLength(1);
    const [call] = imageCalls();
    expect(call!.modelId).toBe("amazon.titan-image-generator-v2:0");
    expect(call!.region).toBe("us-west-2");
    expect(call!.body).toMatchObject({ taskType: "TEXT_IMAGE", imageGenerationConfig: { width: 512, height: 512, numberOfImages: 1, quality: "standard" } });
  });
});

describe("bad input: a 400 in OpenAI's shape naming the parameter, before Bedrock is called", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["a size Nova Canvas does not make", { model: "nova-canvas", prompt: "x", size: "1000x1000" }, "size"],
    ["a size Titan does not offer", { model: "titan-image-v2", prompt: "x", size: "1024x1792" }, "size"],
    ["a shape Stability cannot make", { model: "stable-image-core", prompt: "x", size: "4000x500" }, "size"],
    ["n above the model's maximum", { model: "sd3.5-large", prompt: "x", n: 6 }, "n"],
    ["an unknown field", { model: "stable-image-core", prompt: "x", cfg_scale: 7 }, "cfg_scale"],
    ["a URL answer", { model: "stable-image-core", prompt: "x", response_format: "url" }, "response_format"],
    ["no prompt", { model: "nova-canvas" }, "prompt"],
    ["style on Stability", { model: "sd3.5-large", prompt: "x", style: "vivid" }, "style"],
    ["an unknown Nova style", { model: "nova-canvas", prompt: "x", style: "vivid" }, "style"],
    ["image-to-image on Core", { model: "stable-image-core", prompt: "x", image: PNG_B64, strength: 0.5 }, "image"],
    ["not an image", { model: "sd3.5-large", prompt: "x", image: Buffer.from("hello, not a picture").toString("base64"), strength: 0.5 }, "image"],
    ["an edit model", { model: "stability-inpaint", prompt: "x" }, "model"],
  ];
  for (const [what, body, param] of cases) {
    it(what, async () => {
      const res = await post("/v1/images/generations", body);
      const json = (await res.json()) as { error: { param: string; type: string; message: string } };
      expect(res.status, json.error.message).toBe(400);
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.param).toBe(param);
      expect(imageCalls()).toHaveLength(0);
    });
  }

  it("the openai client raises BadRequestError for n above the maximum", async () => {
    await expect(client.images.generate({ model: "nova-canvas", prompt: "x", n: 9 })).rejects.toMatchObject({ status: 400, param: "n" });
  });

  it("an image model sent to /v1/chat/completions names the images path", async () => {
    const gen = await post("/v1/chat/completions", { model: "stable-image-core", messages: [{ role: "user", content: "draw" }] });
    expect(gen.status).toBe(400);
    expect(((await gen.json()) as { error: { message: string } }).error.message).toContain("/v1/images/generations");
    const edit = await post("/v1/chat/completions", { model: "stability-inpaint", messages: [{ role: "user", content: "draw" }] });
    expect(((await edit.json()) as { error: { message: string } }).error.message).toContain("/v1/images/edits");
    await expect(client.chat.completions.create({ model: "nova-canvas", messages: [{ role: "user", content: "draw" }] })).rejects.toMatchObject({ status: 400, param: "model" });
  });
});

describe("content filters (some arrive as HTTP 200)", () => {
  it("Nova refusing the prompt (HTTP 400) passes Bedrock's message on", async () => {
    const res = await post("/v1/images/generations", { model: "nova-canvas", prompt: "[[emu:blocked]] something" });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { message: string; code: string } };
    expect(json.error.message).toContain("blocked by our content filters");
    expect(json.error.code).toBe("content_policy_violation");
  });

  it("Nova blocking every generated image (HTTP 200 with error) is a 400 content_policy_violation, billed nothing", async () => {
    const k = await stack.createKey({ alias: "filtered" });
    const res = await post("/v1/images/generations", { model: "nova-canvas", prompt: "[[emu:blocked-output]] a harbour", n: 2 }, k);
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(json.error.code).toBe("content_policy_violation");
    expect(json.error.message).toContain("All of the generated images have been blocked");
    const [row] = await stack.waitForSpendRows("filtered", 1);
    expect(row!.status).toBe(400);
    expect(Number(row!.cost)).toBe(0);
  });

  it("Nova blocking some images answers the rest, billed for what came back", async () => {
    const { data: r, response } = await client.images.generate({ model: "nova-canvas", prompt: "[[emu:blocked-some]] a harbour", n: 3 }).withResponse();
    expect(r.data).toHaveLength(2);
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.08");
  });

  it("Stability's finish_reasons filter (HTTP 200) is a 400 content_policy_violation", async () => {
    await expect(client.images.generate({ model: "stable-image-core", prompt: "[[emu:blocked]] a harbour" })).rejects.toMatchObject({ status: 400, code: "content_policy_violation" });
  });

  it("a Bedrock error on one of n Stability calls answers the images that were made, billed for those only", async () => {
    const k = await stack.createKey({ alias: "half" });
    stack.emulator.script({ match: { modelId: "stability.stable-image-core-v1:1" }, http: { status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." } });
    const res = await post("/v1/images/generations", { model: "stable-image-core", prompt: "a harbour", n: 2 }, k);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(res.headers.get("x-litellm-response-cost")).toBe("0.04");
    const [row] = await stack.waitForSpendRows("half", 1);
    expect(row!.images).toBe(1);
    expect(Number(row!.cost)).toBe(0.04);
  });

  it("an image answer cut short is a 502 server_error with a spend row; the other calls' images are still answered", async () => {
    const k = await stack.createKey({ alias: "cut-image" });
    stack.emulator.script({ truncatedBody: true });
    const res = await post("/v1/images/generations", { model: "nova-canvas", prompt: "a harbour" }, k);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { type: string; message: string } }).error).toMatchObject({ type: "server_error", message: expect.stringMatching(/unreadable answer/) });
    const [row] = await stack.waitForSpendRows("cut-image", 1);
    expect(row!.status).toBe(502);
    expect(row!.images).toBe(0);
    // One of two Stability calls cut short: the other's image is the answer, billed alone.
    stack.emulator.script({ truncatedBody: true });
    const half = await post("/v1/images/generations", { model: "stable-image-core", prompt: "a harbour", n: 2 }, k);
    expect(half.status).toBe(200);
    expect(((await half.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(half.headers.get("x-litellm-response-cost")).toBe("0.04");
  });

  it("when every call fails, Bedrock's error is the answer (429 in OpenAI's shape), billed nothing", async () => {
    const k = await stack.createKey({ alias: "throttled" });
    stack.emulator.script({ match: { modelId: "stability.stable-image-core-v1:1" }, times: 3, http: { status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." } });
    const res = await post("/v1/images/generations", { model: "stable-image-core", prompt: "a harbour", n: 3 }, k);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { type: string; message: string } }).error).toMatchObject({ type: "rate_limit_error", message: "Too many requests, please wait before trying again." });
    const [row] = await stack.waitForSpendRows("throttled", 1);
    expect(row!.status).toBe(429);
    expect(Number(row!.cost)).toBe(0);
    expect(row!.images).toBe(0);
  });
});

describe("POST /v1/images/edits (multipart)", () => {
  it("images.edit with a Stability service: the upload and the service's fields reach us.stability in us-west-2", async () => {
    const { data: r, response } = await client.images
      .edit({ model: "stability-search-replace", image: await toFile(PNG, "photo.png", { type: "image/png" }), prompt: "a red vintage car", search_prompt: "the bicycle", n: 2 } as unknown as OpenAI.ImageEditParamsNonStreaming)
      .withResponse();
    expect(r.data).toHaveLength(2);
    expect(kind(r.data![0]!.b64_json!)).toBe("png");
    expect(response.headers.get("x-litellm-response-cost")).toBe("0.08");
    const calls = imageCalls();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.modelId).toBe("us.stability.stable-image-search-replace-v1:0");
    expect(calls[0]!.region).toBe("us-west-2");
    expect(calls[0]!.body).toEqual({ image: PNG_B64, prompt: "a red vintage car", search_prompt: "the bicycle", output_format: "png" });
  });

  it("images.edit with an image and a mask on Stability inpaint (the mask is passed as uploaded)", async () => {
    await client.images.edit({
      model: "stability-inpaint",
      image: await toFile(PNG, "photo.png", { type: "image/png" }),
      mask: await toFile(MASK, "mask.png", { type: "image/png" }),
      prompt: "a sailing boat",
      grow_mask: "10",
    } as unknown as OpenAI.ImageEditParamsNonStreaming);
    expect(imageCalls()[0]!.body).toEqual({ image: PNG_B64, mask: MASK.toString("base64"), prompt: "a sailing boat", grow_mask: 10, output_format: "png" });
  });

  it("an OpenAI-style mask (transparent = change) reaches Stability as white = change", async () => {
    const rows = Array.from({ length: 4 }, () => Buffer.from([0, ...[0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 255, 9, 9, 9, 255]]));
    const { deflateSync, inflateSync } = await import("node:zlib");
    const openaiMask = Buffer.from(solidPng(4, 4, [0, 0, 0, 255]));
    // Replace the IDAT of a 4×4 RGBA PNG: left half transparent, right half opaque.
    const idat = deflateSync(Buffer.concat(rows));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(idat.length);
    const mask = Buffer.concat([openaiMask.subarray(0, 33), len, Buffer.from("IDAT"), idat, Buffer.alloc(4), openaiMask.subarray(-12)]);
    await client.images.edit({ model: "stability-inpaint", image: await toFile(PNG, "p.png", { type: "image/png" }), mask: await toFile(mask, "m.png", { type: "image/png" }), prompt: "a boat" } as unknown as OpenAI.ImageEditParamsNonStreaming);
    const sent = Buffer.from((imageCalls()[0]!.body as { mask: string }).mask, "base64");
    expect(sent[25]).toBe(0); // greyscale
    const gray = inflateSync(sent.subarray(41, 41 + sent.readUInt32BE(33)));
    expect([...gray.subarray(0, 5)]).toEqual([0, 255, 255, 0, 0]);
  });

  it("every one of the thirteen Stability services answers with its minimal fields", async () => {
    const minimal: Record<string, Record<string, string>> = {
      "stability-structure": { prompt: "a castle" },
      "stability-sketch": { prompt: "a castle" },
      "stability-style-guide": { prompt: "a castle", size: "1024x1792" },
      "stability-remove-background": {},
      "stability-search-replace": { prompt: "a cat", search_prompt: "the dog" },
      "stability-search-recolor": { prompt: "red", select_prompt: "the car" },
      "stability-inpaint": { prompt: "a boat" },
      "stability-erase": {},
      "stability-outpaint": { left: "200", prompt: "more sea" },
      "stability-creative-upscale": { prompt: "crisp" },
      "stability-upscale": { prompt: "crisp" },
      "stability-fast-upscale": { output_format: "webp" },
    };
    for (const [model, fields] of Object.entries(minimal)) {
      const form = new FormData();
      form.set("model", model);
      form.append("image", png());
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      const res = await postForm(form);
      expect(res.status, `${model}: ${await res.clone().text()}`).toBe(200);
      const data = ((await res.json()) as { data: { b64_json: string }[] }).data;
      expect(data).toHaveLength(1);
      expect(kind(data[0]!.b64_json)).toBe(fields.output_format ?? "png");
    }
    // Style transfer takes two images: the picture and the style (two `image[]` parts, as images.edit sends a list).
    await client.images.edit({ model: "stability-style-transfer", image: [await toFile(PNG, "a.png", { type: "image/png" }), await toFile(MASK, "b.png", { type: "image/png" })], prompt: "in this style" } as unknown as OpenAI.ImageEditParamsNonStreaming);
    expect(imageCalls().at(-1)!.body).toMatchObject({ init_image: PNG_B64, style_image: MASK.toString("base64") });
    expect(imageCalls().find((c) => c.modelId?.includes("style-guide"))!.body).toMatchObject({ aspect_ratio: "9:16" });
    expect(imageCalls()).toHaveLength(13);
  });

  it("Nova Canvas inpainting with a mask image, and with a mask prompt; outpainting when asked", async () => {
    await client.images.edit({ model: "nova-canvas", image: await toFile(PNG, "p.png", { type: "image/png" }), mask: await toFile(MASK, "m.png", { type: "image/png" }), prompt: "a sofa", n: 2 } as OpenAI.ImageEditParamsNonStreaming);
    expect(imageCalls().at(-1)!.body).toEqual({
      taskType: "INPAINTING",
      inPaintingParams: { image: PNG_B64, maskImage: MASK.toString("base64"), text: "a sofa" },
      imageGenerationConfig: { numberOfImages: 2, quality: "standard" },
    });
    const form = new FormData();
    form.set("model", "nova-canvas");
    form.append("image", png());
    form.set("prompt", "a beach");
    form.set("mask_prompt", "the sky");
    form.set("taskType", "OUTPAINTING");
    const res = await postForm(form);
    expect(res.status).toBe(200);
    expect(imageCalls().at(-1)!.body).toMatchObject({ taskType: "OUTPAINTING", outPaintingParams: { maskPrompt: "the sky", outPaintingMode: "DEFAULT", text: "a beach" } });
  });

  const form = (parts: [string, string | Blob][]) => {
    const f = new FormData();
    for (const [k, v] of parts) f.append(k, v);
    return f;
  };
  const badForms: [string, () => FormData, string][] = [
    ["no image", () => form([["model", "stability-inpaint"], ["prompt", "x"]]), "image"],
    ["Nova without mask or mask prompt", () => form([["model", "nova-canvas"], ["image", png()], ["prompt", "x"]]), "mask"],
    ["a text file as the image", () => form([["model", "stability-erase"], ["image", new Blob(["just text"], { type: "image/png" })]]), "image"],
    ["the image as a text field", () => form([["model", "stability-erase"], ["image", PNG_B64]]), "image"],
    ["an empty file", () => form([["model", "stability-erase"], ["image", new Blob([])]]), "image"],
    ["a required field missing", () => form([["model", "stability-search-replace"], ["image", png()], ["prompt", "x"]]), "search_prompt"],
    ["a field the service does not take", () => form([["model", "stability-fast-upscale"], ["image", png()], ["prompt", "x"]]), "prompt"],
    ["a mask for a service without one", () => form([["model", "stability-sketch"], ["image", png()], ["mask", png()], ["prompt", "x"]]), "mask"],
    ["a number out of range", () => form([["model", "stability-inpaint"], ["image", png()], ["prompt", "x"], ["grow_mask", "50"]]), "grow_mask"],
    ["outpaint with no direction", () => form([["model", "stability-outpaint"], ["image", png()]]), "left"],
    ["n above the maximum", () => form([["model", "stability-inpaint"], ["image", png()], ["prompt", "x"], ["n", "6"]]), "n"],
    ["an image over 10 MB", () => form([["model", "stability-erase"], ["image", png("big.png", Buffer.concat([PNG, Buffer.alloc(11 * 1024 * 1024)]))]]), "image"],
    ["a file part the endpoint does not know", () => form([["model", "stability-erase"], ["image", png()], ["extra", png()]]), "extra"],
    ["no model", () => form([["image", png()]]), "model"],
    ["n that is not a number", () => form([["model", "stability-inpaint"], ["image", png()], ["prompt", "x"], ["n", "two"]]), "n"],
    ["a GIF", () => form([["model", "stability-erase"], ["image", new Blob([Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;")], { type: "image/gif" })]]), "image"],
    ["the same field twice", () => form([["model", "stability-inpaint"], ["image", png()], ["prompt", "x"], ["prompt", "y"]]), "prompt"],
  ];
  for (const [what, make, param] of badForms) {
    it(`400 for ${what}`, async () => {
      const res = await postForm(make());
      const json = (await res.json()) as { error: { param: string; message: string } };
      expect(res.status, json.error.message).toBe(400);
      expect(json.error.param).toBe(param);
      expect(imageCalls()).toHaveLength(0);
    });
  }

  it("a JSON body is a 415; a broken multipart body a 400; a huge one a 413", async () => {
    const json = await post("/v1/images/edits", { model: "stability-erase" });
    expect(json.status).toBe(415);
    // An unknown model is the catalog's 404 (listing what exists), in OpenAI's shape.
    const unknown = await postForm(form([["model", "stability-nope"], ["image", png()]]));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { param: string; message: string } }).error).toMatchObject({ param: "model", message: expect.stringContaining("stability-inpaint") });
    const broken = await fetch(`${stack.gateway.url}/v1/images/edits`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "multipart/form-data; boundary=xyz" },
      body: "--xyz\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nstability-erase\r\n--abc--",
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    const huge = await postForm(form([["model", "stability-erase"], ["image", png("huge.png", Buffer.alloc(19_000_000))]]));
    expect(huge.status).toBe(413);
    // The same without a declared length (chunked): counted while read, refused at the cap.
    const body = await new Response(form([["model", "stability-erase"], ["image", png("huge.png", Buffer.alloc(19_000_000))]])).blob();
    const chunked = await fetch(`${stack.gateway.url}/v1/images/edits`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": (await new Response(form([])).headers.get("content-type")) ?? "" },
      body: body.stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(imageCalls()).toHaveLength(0);
  });
});

describe("Rockport's Nova Canvas operations", () => {
  it("POST /v1/images/variations", async () => {
    const res = await post("/v1/images/variations", { images: [DATA_URI], prompt: "a watercolour version", similarity_strength: 0.8, n: 2, width: 512, height: 512, seed: 1_000_000_000 });
    const json = (await res.json()) as { data: { b64_json: string }[]; model: string; cost: number };
    expect(res.status).toBe(200);
    expect(json.data).toHaveLength(2);
    expect(json.model).toBe("nova-canvas");
    expect(json.cost).toBe(0.08);
    expect(imageCalls()[0]!.body).toEqual({
      taskType: "IMAGE_VARIATION",
      imageVariationParams: { images: [PNG_B64], similarityStrength: 0.8, text: "a watercolour version" },
      imageGenerationConfig: { numberOfImages: 2, quality: "standard", width: 512, height: 512, cfgScale: 6.5, seed: 1_000_000_000 },
    });
  });

  it("POST /v1/images/background-removal answers a PNG, for a fixed $0.04", async () => {
    const res = await post("/v1/images/background-removal", { image: DATA_URI });
    const json = (await res.json()) as { data: { b64_json: string }[]; cost: number };
    expect(res.status).toBe(200);
    expect(kind(json.data[0]!.b64_json)).toBe("png");
    expect(json.cost).toBe(0.04);
    expect(imageCalls()[0]!.body).toEqual({ taskType: "BACKGROUND_REMOVAL", backgroundRemovalParams: { image: PNG_B64 } });
  });

  it("POST /v1/images/outpaint with a mask prompt (PRECISE by default), and refuses both or neither mask", async () => {
    const res = await post("/v1/images/outpaint", { image: DATA_URI, prompt: "a wider harbour", mask_prompt: "the boat" });
    expect(res.status).toBe(200);
    expect(imageCalls()[0]!.body).toEqual({
      taskType: "OUTPAINTING",
      outPaintingParams: { image: PNG_B64, maskPrompt: "the boat", outPaintingMode: "PRECISE", text: "a wider harbour" },
      imageGenerationConfig: { numberOfImages: 1, quality: "standard", cfgScale: 7 },
    });
    const both = await post("/v1/images/outpaint", { image: DATA_URI, prompt: "x", mask_prompt: "a", mask_image: DATA_URI });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: { param: string } }).error.param).toBe("mask_prompt");
    const notImage = await post("/v1/images/background-removal", { image: "data:image/png;base64,aGVsbG8gd29ybGQ=" });
    expect(notImage.status).toBe(400);
  });
});

describe("the emulator plays where and how Bedrock serves the image models", () => {
  const signer = (region: string) => new AwsClient({ accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret", service: "bedrock", region, retries: 0 });
  const invoke = (region: string, id: string, body: unknown) =>
    signer(region).fetch(`${stack.emulator.url}/model/${encodeURIComponent(id)}/invoke`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("Nova Canvas only in us-east-1, Stability only in us-west-2 and its services only through us. profiles", async () => {
    const nova = { taskType: "TEXT_IMAGE", textToImageParams: { text: "x" } };
    expect((await invoke("us-east-1", "amazon.nova-canvas-v1:0", nova)).status).toBe(200);
    expect((await invoke("us-west-2", "amazon.nova-canvas-v1:0", nova)).status).toBe(400);
    expect((await invoke("us-east-1", "stability.stable-image-core-v1:1", { prompt: "x" })).status).toBe(400);
    const onDemand = await invoke("us-west-2", "stability.stable-image-erase-object-v1:0", { image: PNG_B64 });
    expect(onDemand.status).toBe(400);
    expect(((await onDemand.json()) as { message: string }).message).toContain("inference profile");
    expect((await invoke("us-west-2", "us.stability.stable-image-erase-object-v1:0", { image: PNG_B64 })).status).toBe(200);
  });

  it("refuses fields a model does not take, the way Bedrock's validator words it", async () => {
    const res = await invoke("us-west-2", "stability.stable-image-core-v1:1", { prompt: "x", cfg_scale: 7 });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/);
    expect(((await res.json()) as { message: string }).message).toContain("extraneous key [cfg_scale]");
  });
});

describe("Rockport's smoke-test requests", () => {
  it("nova-canvas 512x512 answers b64_json; bad inputs to each Nova Canvas operation and edit are 400s; old sidecar paths 404", async () => {
    const gen = await post("/v1/images/generations", { model: "nova-canvas", prompt: "a solid red circle on white background", n: 1, size: "512x512" });
    expect(gen.status).toBe(200);
    expect(JSON.stringify(await gen.json())).toContain("b64_json");
    const style = await post("/v1/images/generations", { model: "nova-canvas", prompt: "a red circle", n: 1, size: "99x99", textToImageParams: { style: "PHOTOREALISM" } });
    expect(style.status).toBe(400);
    for (const model of ["stability-remove-background", "stability-inpaint"]) {
      const f = new FormData();
      f.set("model", model);
      f.set("image", new Blob([]), "null");
      expect((await postForm(f)).status).toBe(400);
    }
    expect((await post("/v1/images/variations", { images: ["invalid"], prompt: "test prompt with enough characters to pass" })).status).toBe(400);
    expect((await post("/v1/images/background-removal", { image: "invalid" })).status).toBe(400);
    expect((await post("/v1/images/outpaint", { image: "invalid", prompt: "test", mask_prompt: "subject" })).status).toBe(400);
    expect((await post("/v1/images/structure", { image: "invalid", prompt: "test" })).status).toBe(404);
    const models = JSON.stringify(await (await fetch(`${stack.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json());
    for (const m of ["nova-canvas", "titan-image-v2", "stable-image-ultra", "stable-image-core", "stability-inpaint", "stability-upscale", "stability-structure"]) expect(models).toContain(`"${m}"`);
    expect(imageCalls()).toHaveLength(1);
  });
});

describe("keys, budgets and the model list", () => {
  it("all-images covers the image models only; /v1/models lists them", async () => {
    const k = await stack.createKey({ alias: "artist", models: ["all-images"] });
    const c = new OpenAI({ apiKey: k, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    const ids = (await c.models.list()).data.map((m) => m.id);
    expect(ids).toContain("sd3.5-large");
    expect(ids).toContain("stability-fast-upscale");
    expect(ids).toContain("nova-canvas");
    expect(ids).not.toContain("claude-sonnet-4-6");
    expect(((await c.images.generate({ model: "stable-image-core", prompt: "x" })) as OpenAI.ImagesResponse).data).toHaveLength(1);
    await expect(c.chat.completions.create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 403 });
  });

  it("a strict budget reserves n × the price: refused before any call when it does not fit", async () => {
    const k = await stack.createKey({ alias: "strict-images", maxBudget: 0.1 });
    await stack.database.db.update(apiKeys).set({ metadata: { budget_mode: "strict" } }).where(eq(apiKeys.keyHash, await sha256Hex(k)));
    const three = await post("/v1/images/generations", { model: "stable-image-core", prompt: "x", n: 3 }, k);
    expect(three.status).toBe(402);
    expect(imageCalls()).toHaveLength(0);
    const two = await post("/v1/images/generations", { model: "stable-image-core", prompt: "x", n: 2 }, k);
    expect(two.status).toBe(200);
    expect(two.headers.get("x-litellm-key-spend")).toBeDefined();
    const again = await post("/v1/images/generations", { model: "stable-image-core", prompt: "x", n: 1 }, k);
    expect(again.status).toBe(402);
    expect(imageCalls()).toHaveLength(2);
    const rows = await stack.waitForSpendRows("strict-images", 1);
    expect(rows.map((r) => Number(r.cost))).toEqual([0.08]);
  });

  it("a spent budget refuses image requests with 402 in OpenAI's shape", async () => {
    const k = await stack.createKey({ alias: "spent-images", maxBudget: 0.05 });
    expect((await post("/v1/images/generations", { model: "stable-image-ultra", prompt: "x" }, k)).status).toBe(200);
    await stack.waitForSpendRows("spent-images", 1);
    const res = await post("/v1/images/generations", { model: "stable-image-core", prompt: "x" }, k);
    expect(res.status).toBe(402);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Budget exceeded");
  });
});

describe("end of life", () => {
  it("after Nova Canvas's and Titan Image v2's end of life they answer a 400 naming the successor", async () => {
    const nova = await post("/v1/images/generations", { model: "nova-canvas", prompt: "x" }, key, today.url);
    const json = (await nova.json()) as { error: { message: string; param: string } };
    expect(nova.status).toBe(400);
    expect(json.error.message).toContain("2026-09-30");
    expect(json.error.message).toContain("stable-image-core");
    expect(json.error.param).toBe("model");
    const titan = await post("/v1/images/generations", { model: "titan-image-v2", prompt: "x" }, key, today.url);
    expect(((await titan.json()) as { error: { message: string } }).error.message).toContain("2026-06-30");
    const variation = await post("/v1/images/variations", { images: [DATA_URI], prompt: "x" }, key, today.url);
    expect(variation.status).toBe(400);
    expect(imageCalls()).toHaveLength(0);
    // The Stability models have no end date and still serve.
    expect((await post("/v1/images/generations", { model: "stable-image-core", prompt: "x" }, key, today.url)).status).toBe(200);
    const models = (await (await fetch(`${today.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string; retired?: boolean; successor?: string }[] };
    expect(models.data.find((m) => m.id === "nova-canvas")).toMatchObject({ retired: true, successor: "stable-image-core" });
  });
});
