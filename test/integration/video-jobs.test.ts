// Video jobs end to end through the Worker: the Worker in workerd (key checks, the meter, the signed identity),
// the local origin standing in for the tunnel (asleep until the emulated EC2 instance runs), the real sidecar, the
// emulator's async invoke and S3, and Postgres. Budget refusal and release, the spend row next to chat's, and a
// job submitted while the origin sleeps.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.ts";
import type { RunningSidecar } from "../../origin/sidecar/main.ts";
import { DEFAULT_INSTANCE_ID } from "../support/emulator/index.ts";
import { startLocalOrigin, type LocalOrigin, type LocalOriginOptions } from "../support/local-origin.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startTestSidecar } from "../support/video-sidecar.ts";

const SECRET = "video-jobs-shared-secret-0123456789abcdefgh";
const MASTER = "sk-bw-master-key-for-the-video-tests-0123456789";
const ACCESS = { clientId: "video-client.access", clientSecret: "video-client-secret" };

let stack: Stack;
let origin: LocalOrigin;
let sidecar: RunningSidecar;
const originOpts: LocalOriginOptions = { isUp: () => false, access: ACCESS };

beforeAll(async () => {
  origin = await startLocalOrigin(originOpts);
  stack = await startStack({
    emulator: { asyncJobMs: 500, ec2: { instances: { [DEFAULT_INSTANCE_ID]: "running" }, pendingMs: 300, stoppingMs: 300 } },
    env: (emu) => ({
      ORIGIN_URL: origin.url, ORIGIN_SHARED_SECRET: SECRET, ORIGIN_ACCESS_CLIENT_ID: ACCESS.clientId, ORIGIN_ACCESS_CLIENT_SECRET: ACCESS.clientSecret,
      EC2_ENDPOINT: emu.url, ORIGIN_INSTANCE_ID: DEFAULT_INSTANCE_ID, ORIGIN_WAKE_WAIT_SECONDS: "30", ORIGIN_BOOT_GRACE_MINUTES: "0",
      MASTER_KEY: MASTER, MODEL_LIFECYCLE_DATE: "2026-09-01",
    }),
  });
  originOpts.isUp = () => stack.emulator.ec2.state(DEFAULT_INSTANCE_ID) === "running";
  sidecar = await startTestSidecar({
    sharedSecret: SECRET, emulatorUrl: stack.emulator.url, databaseUrl: stack.database.shim.databaseUrl,
    databaseHttpEndpoint: stack.database.shim.httpEndpoint, pollSeconds: 0.2, env: { MODEL_LIFECYCLE_DATE: "2026-09-01" },
  });
  originOpts.sidecarUrl = sidecar.url;
}, 180_000);
afterAll(async () => {
  await sidecar?.stop();
  await stack?.stop();
  await origin?.stop();
});

const submit = (key: string, body: unknown) =>
  fetch(`${stack.gateway.url}/v1/videos/generations`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
const get = (key: string, path: string) => fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

async function waitFor(key: string, id: string, status: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const j = (await (await get(key, `/v1/videos/generations/${id}`)).json()) as any;
    if (j.status === status || Date.now() > deadline) return j;
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe("video jobs through the Worker", () => {
  it("submit → poll → completed → the presigned URL downloads the video; one spend row, in /spend/logs", async () => {
    const key = await stack.createKey({ alias: "video-life" });
    const res = await submit(key, { model: "nova-reel", prompt: "A lighthouse at dusk, waves breaking", duration: 12 });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-litellm-response-cost")).toBe("0.96");
    const job = (await res.json()) as any;
    expect(job).toMatchObject({ status: "in_progress", model: "nova-reel", duration: 12, estimated_cost: 0.96 });
    const done = await waitFor(key, job.id, "completed");
    expect(done.cost).toBe(0.96);
    const video = await fetch(done.url);
    expect(video.status).toBe(200);
    expect(Buffer.from(await video.arrayBuffer()).subarray(4, 8).toString("ascii")).toBe("ftyp");

    const list = (await (await get(key, "/v1/videos/generations?limit=5")).json()) as any;
    expect(list).toMatchObject({ total: 1, data: [{ id: job.id, status: "completed" }] });

    // Exactly one spend row for the key: the job's (no row for the submit or the polls).
    const rows = await stack.waitForSpendRows("video-life", 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.waitForSpendRows("video-life", 2, 300)).toHaveLength(1);
    expect(rows[0]).toMatchObject({ requestId: job.id, model: "nova-reel", status: 200 });
    expect(await stack.keySpend(key)).toBeCloseTo(0.96, 10);
    const logs = (await (await fetch(`${stack.gateway.url}/spend/logs?request_id=${job.id}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as any;
    expect(JSON.stringify(logs)).toContain(job.id);
  });

  it("refuses bad jobs at the edge, in OpenAI's shape, without reaching the origin", async () => {
    const key = await stack.createKey({ alias: "video-bad" });
    const before = origin.seen.length;
    const neg = await submit(key, { prompt: "A road with no cars" });
    expect(neg.status).toBe(400);
    expect(((await neg.json()) as any).error).toMatchObject({ type: "prompt_validation_error", rule: "negation", param: "prompt" });
    const unknown = await submit(key, { model: "veo-3", prompt: "A road" });
    expect(((await unknown.json()) as any).error).toMatchObject({ type: "validation_error", param: "model" });
    const notJson = await fetch(`${stack.gateway.url}/v1/videos/generations`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(origin.seen.length).toBe(before);
    // Anything but JSON is forwarded unpriced, and the sidecar refuses it: no job can start unpriced.
    const form = await fetch(`${stack.gateway.url}/v1/videos/generations`, { method: "POST", headers: { "content-type": "text/plain", authorization: `Bearer ${key}` }, body: JSON.stringify({ prompt: "A road" }) });
    expect(form.status).toBe(415);
    expect(((await (await get(key, "/v1/videos/generations")).json()) as any).total).toBe(0);
  });

  it("reserves the job's exact price: a job the budget cannot hold gets 402; a job the origin does not accept releases its reservation", async () => {
    const key = await stack.createKey({ alias: "video-budget", maxBudget: 1 });
    stack.emulator.asyncInvokes.script({ http: { status: 500, errorType: "InternalServerException", message: "boom" } });
    const failed = await submit(key, { prompt: "A castle", duration: 12 });
    expect(failed.status).toBe(502);
    // Released: the same 0.96 fits again.
    const ok = await submit(key, { prompt: "A castle", duration: 12 });
    expect(ok.status).toBe(202);
    // 0.96 held; 0.48 more does not fit in 1.00.
    const over = await submit(key, { prompt: "A castle" });
    expect(over.status).toBe(402);
    expect(((await over.json()) as any).error.type).toBe("insufficient_quota");
    const id = ((await ok.json()) as any).id;
    await waitFor(key, id, "completed");
    expect(await stack.keySpend(key)).toBeCloseTo(0.96, 10);
  });

  it("a key's max_video_jobs (metadata) limits its running jobs", async () => {
    const key = await stack.createKey({ alias: "video-limit" });
    await fetch(`${stack.gateway.url}/key/update`, {
      method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ key, metadata: { max_video_jobs: 1 } }),
    });
    stack.emulator.asyncInvokes.settings.durationMs = 3000;
    const [a, b] = await Promise.all([submit(key, { prompt: "A bridge" }), submit(key, { prompt: "A bridge" })]);
    expect([a.status, b.status].sort()).toEqual([202, 429]);
    const refused = a.status === 429 ? a : b;
    expect(((await refused.json()) as any).error.message).toContain("Concurrent job limit reached (1/1");
    stack.emulator.asyncInvokes.settings.durationMs = 500;
  });

  it("a job submitted while the origin sleeps wakes it and is accepted after the wake", async () => {
    const key = await stack.createKey({ alias: "video-wake" });
    stack.emulator.ec2.setState(DEFAULT_INSTANCE_ID, "stopped");
    const res = await submit(key, { model: "luma-ray2", prompt: "Fireworks over a bay", resolution: "540p" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).estimated_cost).toBe(3.75);
    expect(stack.emulator.ec2.calls.some((c) => c.action === "StartInstances")).toBe(true);
  });
});

describe("breakwater video (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bw-video-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (argv: string[], key: string) => runCli(argv, { env: { BREAKWATER_URL: stack.gateway.url, BREAKWATER_API_KEY: key }, cwd: dir });

  it("create --wait --out wakes the origin, shows progress while rendering, and saves the mp4; list and get show the job", async () => {
    const key = await stack.createKey({ alias: "video-cli" });
    stack.emulator.ec2.setState(DEFAULT_INSTANCE_ID, "stopped");
    stack.emulator.asyncInvokes.settings.durationMs = 3500;
    // A manual multi-shot job from a shots file, one shot with a frame.
    const png = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(png, 0);
    png.writeUInt32BE(1280, 16);
    png.writeUInt32BE(720, 20);
    png[25] = 2;
    writeFileSync(join(dir, "frame.png"), png);
    writeFileSync(join(dir, "shots.json"), JSON.stringify([{ prompt: "A kite over a hill" }, { prompt: "The kite lands", image: "frame.png" }]));
    const made = await cli(["video", "create", "--shots", "shots.json", "--wait", "--out", "clip.mp4"], key);
    expect(made.code, made.err).toBe(0);
    expect(made.err).toMatch(/rendering [0-9a-f-]{36}: in progress \(\d+ s\)/);
    expect(made.err).toContain("saved clip.mp4");
    expect(made.out).toMatch(/status\s+completed/);
    expect(made.out).toMatch(/cost\s+\$0\.96/);
    expect(readFileSync(join(dir, "clip.mp4")).subarray(4, 8).toString("ascii")).toBe("ftyp");
    stack.emulator.asyncInvokes.settings.durationMs = 500;

    const list = await cli(["video", "list"], key);
    expect(list.out).toMatch(/completed\s+nova-reel\s+12 s\s+\$0\.96/);
    const id = /^([0-9a-f-]{36})/m.exec(list.out.split("\n")[1]!)![1]!;
    const got = await cli(["video", "get", id, "--json"], key);
    expect(JSON.parse(got.out)).toMatchObject({ id, status: "completed", mode: "multi_shot" });

    const bad = await cli(["video", "create", "A road with no cars"], key);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("negation word 'no'");
    const noKey = await cli(["video", "list"], "");
    expect(noKey.code).toBe(2);
  });
});
