// Real clients against `npm run dev` (the Worker under wrangler dev, PGlite, the emulator): the Anthropic SDK and
// the Claude Code CLI, including a tool round trip where Claude Code really runs the tool.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClaude } from "../support/claude-cli.ts";
import { startDevServer, type DevServer } from "../support/dev-server.ts";

const KEY = "sk-bw-e2eDevKey0123456789abcdefghijklmnopqrstu";
let dev: DevServer;

beforeAll(async () => {
  dev = await startDevServer({ DEV_API_KEY: KEY });
});
afterAll(async () => {
  await dev?.stop();
});

describe("npm run dev", () => {
  it("listens on 127.0.0.1:$PORT, answers /health and prints the key and the Claude Code lines", async () => {
    expect((await fetch(`${dev.url}/health`)).status).toBe(200);
    const out = dev.output.join("");
    expect(out).toContain(`ANTHROPIC_BASE_URL=${dev.url}`);
    expect(out).toContain(`ANTHROPIC_AUTH_TOKEN=${KEY}`);
  });

  it("serves the Anthropic SDK: create and stream", async () => {
    const client = new Anthropic({ apiKey: KEY, baseURL: dev.url, maxRetries: 0 });
    const msg = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user", content: "[[emu:text dev says hi]]" }] });
    expect(msg.content[0]).toMatchObject({ type: "text", text: "dev says hi" });
    let streamed = "";
    const final = await client.messages
      .stream({ model: "claude-haiku-4-5", max_tokens: 50, messages: [{ role: "user", content: "[[emu:text streamed through wrangler dev]]" }] })
      .on("text", (t) => (streamed += t))
      .finalMessage();
    expect(streamed).toBe("streamed through wrangler dev");
    expect(final.model).toBe("claude-haiku-4-5");
  });

  it("refuses a wrong key", async () => {
    const client = new Anthropic({ apiKey: "sk-bw-wrong", baseURL: dev.url, maxRetries: 0 });
    const err = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe("Claude Code CLI (claude -p) through the gateway", () => {
  it("answers a prompt", async () => {
    const r = await runClaude(dev.url, KEY, "Say hello [[emu:text Hello from Breakwater]]");
    expect(r.is_error).toBe(false);
    expect(r.result).toBe("Hello from Breakwater");
    expect(r.usage.input_tokens + r.usage.cache_creation_input_tokens + r.usage.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it("completes a tool round trip: the model asks for Bash, Claude Code runs it, the result comes back", async () => {
    const r = await runClaude(dev.url, KEY, 'Run the command. [[emu:tool Bash {"command":"echo breakwater-tool-ok"}]]', ["--allowedTools", "Bash"]);
    expect(r.is_error).toBe(false);
    expect(r.num_turns).toBe(2);
    // The emulator echoes the tool_result Claude Code sent back: proof the command really ran and the result arrived.
    expect(r.result).toContain("Tool result received: breakwater-tool-ok");
  });
});
