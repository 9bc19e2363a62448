// The same app under Deno: worker/deno.ts started as a real Deno process, against the emulator and Postgres.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDenoGateway, type DenoGateway } from "../support/deno-harness.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
let deno: DenoGateway;
let key: string;

beforeAll(async () => {
  stack = await startStack();
  key = await stack.createKey({ alias: "deno-user" });
  deno = await startDenoGateway({
    AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
    AWS_SECRET_ACCESS_KEY: "emulator-secret",
    BEDROCK_ENDPOINT: stack.emulator.url,
    DATABASE_URL: stack.database.shim.databaseUrl,
    DATABASE_HTTP_ENDPOINT: stack.database.shim.httpEndpoint,
    SPEND_FLUSH_DELAY_MS: "0",
    BREAKWATER_DEV: "1",
  });
}, 120_000);
afterAll(async () => {
  await deno?.stop();
  await stack?.stop();
});

describe("Deno entry", () => {
  it("serves /health and refuses unknown paths like the Worker", async () => {
    expect(await (await fetch(`${deno.url}/health`)).json()).toEqual({ status: "ok" });
    // The deep check runs a statement through the same database client (and deadline) as the Worker.
    expect(await (await fetch(`${deno.url}/health?deep=1`)).json()).toEqual({ status: "ok", database: "ok" });
    expect((await fetch(`${deno.url}/nope`)).status).toBe(404);
  });

  it("relays a streamed message to Bedrock with a valid SigV4 signature and records its spend", async () => {
    const client = new Anthropic({ apiKey: key, baseURL: deno.url, maxRetries: 0 });
    let text = "";
    const final = await client.messages
      .stream({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "[[emu:text served by Deno]]" }] })
      .on("text", (t) => (text += t))
      .finalMessage();
    expect(text).toBe("served by Deno");
    expect(final.model).toBe("claude-sonnet-4-6");
    const seen = stack.emulator.requests.at(-1)!;
    expect(seen.signatureValid).toBe(true);
    expect(seen.operation).toBe("InvokeModelWithResponseStream");
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyAlias === "deno-user").length, { timeout: 5000 }).toBe(1);
    const row = (await stack.spendRows()).find((r) => r.keyAlias === "deno-user")!;
    expect(row.outputTokens).toBe(final.usage.output_tokens);
  });

  it("serves an image edit (multipart upload, mask conversion with the platform's streams) like the Worker", async () => {
    const { solidPng } = await import("../support/emulator/image-files.ts");
    const form = new FormData();
    form.set("model", "stability-erase");
    form.append("image", new Blob([new Uint8Array(solidPng(8, 8, [9, 9, 9, 255]))], { type: "image/png" }));
    form.append("mask", new Blob([new Uint8Array(solidPng(8, 8, [0, 0, 0, 0]))], { type: "image/png" }));
    const res = await fetch(`${deno.url}/v1/images/edits`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    const seen = stack.emulator.requests.at(-1)!;
    expect(seen).toMatchObject({ modelId: "us.stability.stable-image-erase-object-v1:0", region: "us-west-2", signatureValid: true });
    // The fully transparent mask arrived converted: a greyscale PNG (colour type 0), not the RGBA upload.
    expect(Buffer.from((seen.body as { mask: string }).mask, "base64")[25]).toBe(0);
  });
});
