// Claude Code on models other than Claude: `breakwater key create NAME --model M` writes the settings file, and the
// real Claude Code CLI (`claude -p --settings FILE`) does a tool round trip through `npm run dev` (Miniflare,
// PGlite, the emulator answering Converse as Bedrock does) on qwen3-coder-480b and nova-pro.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.ts";
import { runClaude } from "../support/claude-cli.ts";
import { startDevServer, type DevServer } from "../support/dev-server.ts";

const MASTER = "sk-master-e2e-any-model-0123456789abcdefghijklmnop";
let dev: DevServer;
let dir: string;

beforeAll(async () => {
  dev = await startDevServer({ MASTER_KEY: MASTER });
  dir = mkdtempSync(join(tmpdir(), "breakwater-any-model-"));
});
afterAll(async () => {
  await dev?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `breakwater key create NAME --model MODEL`, in-process as the bin runs it; returns the settings file it wrote. */
async function createKeyFor(name: string, model: string): Promise<string> {
  const run = await runCli(["key", "create", name, "--model", model], { env: { BREAKWATER_URL: dev.url, BREAKWATER_MASTER_KEY: MASTER }, cwd: dir, homeDir: dir });
  expect(run.code, run.err).toBe(0);
  return join(dir, `claude-settings.${name}.json`);
}

async function emulatorRequests(): Promise<{ operation: string; modelId: string; body: any; status: number }[]> {
  const emulatorUrl = /Bedrock emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output.join(""))![1]!;
  return (await (await fetch(`${emulatorUrl}/__emulator/requests`)).json()) as any;
}

describe("Claude Code with the settings `key create --model` writes", () => {
  for (const [model, bedrockId] of [
    ["qwen3-coder-480b", "qwen.qwen3-coder-480b-a35b-v1:0"],
    ["nova-pro", "us.amazon.nova-pro-v1:0"],
  ] as const) {
    it(`${model}: the model asks for Bash, Claude Code runs it, the result comes back`, async () => {
      const settings = await createKeyFor(`cc-${model.replace(/\W/g, "-")}`, model);
      expect(JSON.parse(readFileSync(settings, "utf8")).env.ANTHROPIC_MODEL).toBe(model);
      const marker = `any-model-ok-${model}`;
      const r = await runClaude(dev.url, "", `Run the command. [[emu:tool Bash {"command":"echo ${marker}"}]]`, { settingsFile: settings, args: ["--allowedTools", "Bash"] });
      expect(r.is_error).toBe(false);
      expect(r.num_turns).toBe(2);
      // The emulator echoes the tool result Claude Code sent back: the command really ran on this model's turn.
      expect(r.result).toContain(`Tool result received: ${marker}`);

      const calls = (await emulatorRequests()).filter((q) => q.modelId === bedrockId);
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(calls.every((q) => q.operation === "ConverseStream" || q.operation === "Converse" || q.operation === "CountTokens")).toBe(true);
      const last = calls.filter((q) => q.operation !== "CountTokens").at(-1)!;
      expect(last.status).toBe(200);
      // The second turn carried Claude Code's tool call and its result as Converse blocks.
      const blocks = last.body.messages.flatMap((m: any) => m.content);
      expect(blocks.some((b: any) => b.toolUse?.name === "Bash")).toBe(true);
      expect(blocks.some((b: any) => JSON.stringify(b.toolResult ?? "").includes(marker))).toBe(true);
    });
  }
});
