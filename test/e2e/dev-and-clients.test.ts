// Real clients against `npm run dev` (the Worker in workerd, PGlite, the emulator): the Anthropic SDK and
// the Claude Code CLI, including a tool round trip where Claude Code really runs the tool.
import Anthropic from "@anthropic-ai/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      .stream({ model: "claude-haiku-4-5", max_tokens: 50, messages: [{ role: "user", content: "[[emu:text streamed through npm run dev]]" }] })
      .on("text", (t) => (streamed += t))
      .finalMessage();
    expect(streamed).toBe("streamed through npm run dev");
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
    const r = await runClaude(dev.url, KEY, 'Run the command. [[emu:tool Bash {"command":"echo breakwater-tool-ok"}]]', { args: ["--allowedTools", "Bash"] });
    expect(r.is_error).toBe(false);
    expect(r.num_turns).toBe(2);
    // The emulator echoes the tool_result Claude Code sent back: proof the command really ran and the result arrived.
    expect(r.result).toContain("Tool result received: breakwater-tool-ok");
  });
});

describe("Claude Code multi-turn session with thinking, a tool round trip and prompt caching", () => {
  it("keeps thinking blocks valid across turns and reports cache writes then reads", async () => {
    // `npm run dev` prints where its emulator listens; script it to think before every answer in this session.
    const emulatorUrl = /Bedrock emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output.join(""))![1]!;
    const script = (s: unknown) => fetch(`${emulatorUrl}/__emulator/script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(s) });
    expect((await script({ thinking: "Planning which command to run.", times: 3 })).status).toBe(200);

    const home = mkdtempSync(join(tmpdir(), "breakwater-claude-session-"));
    try {
      const turn1 = await runClaude(dev.url, KEY, 'List it. [[emu:tool Bash {"command":"echo session-turn-one"}]]', { args: ["--allowedTools", "Bash"], home });
      expect(turn1.is_error).toBe(false);
      expect(turn1.num_turns).toBe(2);
      expect(turn1.result).toContain("Tool result received: session-turn-one");
      // Claude Code's system prompt carries cache_control: the first call writes the cache, the second reads it.
      expect(turn1.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      expect(turn1.usage.cache_read_input_tokens).toBeGreaterThan(0);

      // Second prompt in the same session: Claude Code sends the whole history back, thinking blocks included,
      // and the emulator (like Bedrock) refuses any thinking block whose signature does not match.
      const turn2 = await runClaude(dev.url, KEY, "[[emu:text second turn ok]]", { args: ["--resume", turn1.session_id], home });
      expect(turn2.is_error).toBe(false);
      expect(turn2.result).toBe("second turn ok");
      expect(turn2.usage.cache_read_input_tokens).toBeGreaterThan(0);
      // The history Claude Code sent back really carried the signed thinking blocks from turn one.
      const requests = (await (await fetch(`${emulatorUrl}/__emulator/requests`)).json()) as { body: any; status: number }[];
      const last = requests.at(-1)!;
      expect(last.status).toBe(200);
      const echoed = last.body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((b: any) => b.type === "thinking");
      expect(echoed.length).toBeGreaterThan(0);
      expect(echoed[0].thinking).toBe("Planning which command to run.");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
