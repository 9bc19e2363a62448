// The emulator's per-family Converse behaviour, through the real AWS SDK (ConverseCommand, ConverseStreamCommand):
// text-only models refuse images as Bedrock does, reasoning models think when asked (unsigned: only Claude signs),
// tool use streams as JSON fragments, and a tool schema that is not an object is refused.
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type ContentBlock } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.ts";

let emu: Emulator;
let sdk: BedrockRuntimeClient;

beforeAll(async () => {
  emu = await startEmulator();
  sdk = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: emu.url,
    credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sdk?.destroy();
  await emu?.stop();
});
beforeEach(() => emu.reset());

const image: ContentBlock = { image: { format: "png", source: { bytes: new Uint8Array([137, 80, 78, 71]) } } };

describe("Converse per model family", () => {
  it("text-only models refuse an image with a ValidationException; Nova Pro takes it", async () => {
    for (const modelId of ["qwen.qwen3-coder-480b-a35b-v1:0", "deepseek.v3.2", "openai.gpt-oss-120b-1:0", "us.amazon.nova-micro-v1:0"]) {
      const err = await sdk.send(new ConverseCommand({ modelId, messages: [{ role: "user", content: [image, { text: "what?" }] }] })).catch((e) => e);
      expect(err.name, modelId).toBe("ValidationException");
      expect(err.message).toMatch(/doesn't support the image content block/);
    }
    const ok = await sdk.send(new ConverseCommand({ modelId: "us.amazon.nova-pro-v1:0", messages: [{ role: "user", content: [image, { text: "what?" }] }] }));
    expect(ok.stopReason).toBe("end_turn");
  });

  it("gpt-oss reasons when asked (reasoning_effort), without a signature; not when not asked", async () => {
    const asked = await sdk.send(new ConverseCommand({ modelId: "openai.gpt-oss-120b-1:0", messages: [{ role: "user", content: [{ text: "q" }] }], additionalModelRequestFields: { reasoning_effort: "high" } }));
    const first = asked.output?.message?.content?.[0]?.reasoningContent?.reasoningText;
    expect(first?.text).toContain("high effort");
    expect(first?.signature).toBeUndefined();
    const plain = await sdk.send(new ConverseCommand({ modelId: "openai.gpt-oss-120b-1:0", messages: [{ role: "user", content: [{ text: "q" }] }] }));
    expect(plain.output?.message?.content?.map((b) => Object.keys(b)[0])).toEqual(["text"]);
  });

  it("streams reasoning then a tool call as JSON fragments on a reasoning model", async () => {
    const out = await sdk.send(
      new ConverseStreamCommand({
        modelId: "openai.gpt-oss-20b-1:0",
        messages: [{ role: "user", content: [{ text: '[[emu:tool Bash {"command":"ls -la"}]]' }] }],
        toolConfig: { tools: [{ toolSpec: { name: "Bash", inputSchema: { json: { type: "object" } } } }] },
        additionalModelRequestFields: { reasoning_effort: "low" },
      }),
    );
    let reasoning = "";
    let input = "";
    let signature = false;
    let stop = "";
    for await (const ev of out.stream ?? []) {
      if (ev.contentBlockDelta?.delta?.reasoningContent?.text) reasoning += ev.contentBlockDelta.delta.reasoningContent.text;
      if (ev.contentBlockDelta?.delta?.reasoningContent?.signature) signature = true;
      if (ev.contentBlockDelta?.delta?.toolUse?.input) input += ev.contentBlockDelta.delta.toolUse.input;
      if (ev.messageStop) stop = ev.messageStop.stopReason ?? "";
    }
    expect(reasoning).toContain("low effort");
    expect(signature).toBe(false);
    expect(JSON.parse(input)).toEqual({ command: "ls -la" });
    expect(stop).toBe("tool_use");
  });

  it("refuses a tool whose input schema is not an object", async () => {
    const err = await sdk
      .send(new ConverseCommand({ modelId: "us.amazon.nova-pro-v1:0", messages: [{ role: "user", content: [{ text: "q" }] }], toolConfig: { tools: [{ toolSpec: { name: "t", inputSchema: { json: { type: "array" } } } }] } }))
      .catch((e) => e);
    expect(err.name).toBe("ValidationException");
    expect(err.message).toMatch(/inputSchema\.json\.type/);
  });
});
