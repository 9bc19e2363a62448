// The origin under `npm run dev`: the local origin answers as a tunnel with no connector while the emulated instance
// is stopped, the Worker wakes it through the emulator's EC2 Query API and replays the request, and `GET /__scheduled`
// (scripts/lib/dev-entry.ts) runs the idle stop. LiteLLM stands in as the OpenAI-compatible stand-in
// (LITELLM_URL), since LiteLLM itself cannot be installed here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../support/dev-server.ts";
import { startStandin, type Standin } from "../support/openai-standin.ts";

const KEY = "sk-bw-e2eOriginKey0123456789abcdefghijklmnopq";
const MASTER = "sk-bw-master-e2e-origin-0123456789abcdefghij";
const SECRET = "dev-origin-shared-secret-0123456789abcdefghij";
let dev: DevServer;
let standin: Standin;

beforeAll(async () => {
  standin = await startStandin(SECRET);
  dev = await startDevServer({
    DEV_API_KEY: KEY,
    MASTER_KEY: MASTER,
    LITELLM_URL: standin.url,
    ORIGIN_SHARED_SECRET: SECRET,
    ORIGIN_MODELS: "qwen3-origin",
    ORIGIN_WAKE_WAIT_SECONDS: "60",
    ORIGIN_IDLE_MINUTES: "0.01",
    ORIGIN_BOOT_GRACE_MINUTES: "0",
  });
});
afterAll(async () => {
  await dev?.stop();
  await standin?.stop();
});

const status = async () => (await (await fetch(`${dev.url}/origin/status`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as { state: string; starts: number };

describe("npm run dev with the local origin", () => {
  it("wakes the emulated instance for an origin model, then the cron run by GET /__scheduled stops it when idle", async () => {
    expect(dev.output.join("")).toContain("origin:   local origin at");
    expect((await status()).state).toBe("stopped");
    const res = await fetch(`${dev.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "qwen3-origin", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("from the origin");
    expect(await status()).toMatchObject({ state: "running", starts: 1 });
    expect(standin.requests.at(-1)?.identity?.alias).toBe("dev");

    await new Promise((r) => setTimeout(r, 1000)); // past ORIGIN_IDLE_MINUTES (0.6 s)
    const cron = await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
    expect(cron.status).toBe(200);
    await expect.poll(async () => (await status()).state, { timeout: 20_000 }).toMatch(/^(stopping|stopped)$/);
  });
});
