// The video sidecar on its own, as cloudflared would reach it: real Postgres (PGlite behind the Neon shim), the
// Bedrock emulator's async invoke and S3, and requests signed with the Worker's identity header. Rockport's video
// smoke cases, the job life cycle, the running-job limit under parallel submits, restarts, two sidecars at once,
// and unsigned or replayed requests.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { insertKey } from "../../worker/db/queries.ts";
import { apiKeys, spendLogs, videoJobs } from "../../worker/db/schema.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../../worker/keys/hash.ts";
import { IDENTITY_HEADER, signIdentity, type OriginIdentity } from "../../worker/origin/identity.ts";
import type { RunningSidecar } from "../../origin/sidecar/main.ts";
import { startEmulator, type Emulator } from "../support/emulator/index.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";
import { startTestSidecar, TEST_BUCKETS } from "../support/video-sidecar.ts";

const SECRET = "video-sidecar-shared-secret-0123456789abcdef";
// Nova Reel's recorded end of life is 2026-09-30; these tests judge dates as of a day it still served.
const BEFORE_EOL = "2026-09-01";

let db: TestDatabase;
let emu: Emulator;
let sidecar: RunningSidecar;
const extra: RunningSidecar[] = [];

beforeAll(async () => {
  db = await startTestDatabase();
  emu = await startEmulator({ asyncJobMs: 400 });
  // No background pass after the first: reads settle jobs here, so the restart test controls who polls.
  sidecar = await start({}, 3600);
}, 60_000);
afterAll(async () => {
  for (const s of extra) await s.stop();
  await sidecar?.stop();
  await emu?.stop();
  await db?.stop();
});
beforeEach(() => {
  emu.asyncInvokes.settings.durationMs = 400;
});

function start(env: Record<string, string> = {}, pollSeconds = 0.2): Promise<RunningSidecar> {
  return startTestSidecar({
    sharedSecret: SECRET, emulatorUrl: emu.url, databaseUrl: db.shim.databaseUrl, databaseHttpEndpoint: db.shim.httpEndpoint,
    pollSeconds, env: { MODEL_LIFECYCLE_DATE: BEFORE_EOL, ...env },
  });
}

async function newKey(alias: string, opts: { models?: string[] } = {}): Promise<{ id: string; alias: string; models: string[] }> {
  const key = generateApiKey();
  const row = await insertKey(db.db, { keyHash: await sha256Hex(key), keyPrefix: keyPrefix(key), keyAlias: alias, models: opts.models ?? [], maxBudget: null });
  return { id: row.id, alias, models: opts.models ?? [] };
}

type Who = { id: string; alias: string; models: string[]; maxVideoJobs?: number | null };

async function identity(who: Who, method: string, path: string, over: Partial<OriginIdentity> = {}): Promise<string> {
  return signIdentity(SECRET, {
    keyId: who.id, alias: who.alias, models: who.models,
    limits: { rpm: null, tpm: null, parallel: null, maxBudget: null, maxVideoJobs: who.maxVideoJobs ?? null },
    requestId: randomUUID(), method, path, ts: Date.now(), ...over,
  });
}

async function call(who: Who, method: string, path: string, body?: unknown, base = sidecar.url): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { [IDENTITY_HEADER]: await identity(who, method, path.split("?")[0]!), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

const submit = (who: Who, body: unknown, base?: string) => call(who, "POST", "/v1/videos/generations", body, base);
const getJob = (who: Who, id: string, base?: string) => call(who, "GET", `/v1/videos/generations/${id}`, undefined, base);

async function waitFor(who: Who, id: string, status: string, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJob(who, id);
    if (r.json.status === status || Date.now() > deadline) return r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** A PNG header of the given size (the sidecar reads dimensions from IHDR; Bedrock gets the bytes). */
function pngDataUri(width: number, height: number, colourType = 2): string {
  const b = Buffer.alloc(64);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write("IHDR", 12, "ascii");
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8;
  b[25] = colourType;
  return `data:image/png;base64,${b.toString("base64")}`;
}

describe("Rockport's video smoke cases", () => {
  let who: Who;
  beforeAll(async () => {
    who = { ...(await newKey("smoke")), maxVideoJobs: 50 };
  });

  it("refuses an unknown model with a 400 that names the field", async () => {
    const r = await submit(who, { model: "sora-2", prompt: "a lighthouse at dusk" });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "validation_error", param: "model" });
    expect(r.json.error.message).toContain("sora-2");
  });

  it("refuses durations Nova Reel and Ray2 cannot make", async () => {
    for (const [body, param] of [
      [{ prompt: "waves on a beach", duration: 7 }, "duration"],
      [{ prompt: "waves on a beach", duration: 126 }, "duration"],
      [{ prompt: "waves on a beach", duration: 0 }, "duration"],
      [{ prompt: "waves on a beach", mode: "multi-shot-automated", duration: 6 }, "duration"],
      [{ model: "luma-ray2", prompt: "waves on a beach", duration: 6 }, "duration"],
      [{ model: "luma-ray2", prompt: "waves", resolution: "1080p" }, "resolution"],
      [{ model: "luma-ray2", prompt: "waves", aspect_ratio: "2:1" }, "aspect_ratio"],
      [{ prompt: "waves", seed: -1 }, "seed"],
    ] as const) {
      const r = await submit(who, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.param).toBe(param);
    }
  });

  it("refuses negation words in Nova Reel prompts, in every shot, apostrophes or not", async () => {
    const r = await submit(who, { prompt: "A quiet street with no cars" });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "prompt_validation_error", rule: "negation", shot: null });
    expect(r.json.error.message).toContain("'no'");
    const r2 = await submit(who, { prompt: "The dog doesn’t bark" });
    expect(r2.json.error.message).toContain("'doesnt'");
    const shots = await submit(who, { shots: [{ prompt: "a red kite" }, { prompt: "a sky without clouds" }] });
    expect(shots.status).toBe(400);
    expect(shots.json.error).toMatchObject({ rule: "negation", shot: 2, param: "shots[1].prompt" });
    // "Notable" contains "not" but is not the word.
    expect((await submit(who, { prompt: "A notable cathedral at noon" })).status).toBe(202);
  });

  it("warns (and still accepts) when a camera term sits in the middle of a Nova Reel prompt", async () => {
    const middle = await submit(who, { prompt: "A harbour at dawn, slow dolly toward the boats, soft light." });
    expect(middle.status).toBe(202);
    expect(middle.json.warnings).toEqual([expect.objectContaining({ type: "prompt_quality_warning", rule: "camera_position", shot: null })]);
    const atStart = await submit(who, { prompt: "Dolly shot: a harbour at dawn, boats, soft light" });
    expect(atStart.status).toBe(202);
    expect(atStart.json.warnings).toEqual([]);
  });

  it("leaves Ray2's prompts to Luma: negation words pass, only the length is checked", async () => {
    const r = await submit(who, { model: "luma-ray2", prompt: "A street with no cars, never busy", duration: 9, resolution: "540p" });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ model: "luma-ray2", duration: 9, estimated_cost: 6.75, mode: "single_shot" });
    const long = await submit(who, { model: "luma-ray2", prompt: "x".repeat(5001) });
    expect(long.json.error.param).toBe("prompt");
  });

  it("applies the multi-shot rules", async () => {
    const one = await submit(who, { shots: [{ prompt: "a red kite" }] });
    expect(one.json.error.param).toBe("shots");
    const both = await submit(who, { prompt: "a kite", shots: [{ prompt: "a" }, { prompt: "b" }] });
    expect(both.json.error.param).toBe("shots");
    const tooLong = await submit(who, { shots: [{ prompt: "a red kite" }, { prompt: "y".repeat(513) }] });
    expect(tooLong.json.error.param).toBe("shots[1].prompt");
    const ok = await submit(who, { shots: [{ prompt: "a red kite over a hill" }, { prompt: "the kite lands", image: pngDataUri(1280, 720) }, { prompt: "a child runs" }] });
    expect(ok.status).toBe(202);
    expect(ok.json).toMatchObject({ mode: "multi_shot", duration: 18, estimated_cost: 1.44 });
    const sent = emu.requests.filter((r) => r.operation === "StartAsyncInvoke").pop()!.body as any;
    expect(sent.modelInput.taskType).toBe("MULTI_SHOT_MANUAL");
    expect(sent.modelInput.multiShotManualParams.shots[1].image.format).toBe("png");
    expect(sent.modelInput.videoGenerationConfig).toEqual({ fps: 24, dimension: "1280x720" });
    const auto = await submit(who, { mode: "multi-shot-automated", prompt: "A day in a city, from dawn to night", duration: 24 });
    expect(auto.json).toMatchObject({ mode: "multi_shot_automated", duration: 24 });
  });

  it("checks images: only with a 6-second Nova Reel job, 1280x720, PNG or JPEG; Ray2 keyframes 512–4096", async () => {
    expect((await submit(who, { prompt: "a boat", duration: 12, image: pngDataUri(1280, 720) })).json.error.param).toBe("image");
    expect((await submit(who, { prompt: "a boat", image: pngDataUri(640, 480) })).json.error.message).toContain("1280x720");
    expect((await submit(who, { prompt: "a boat", image: "data:image/gif;base64,R0lGODlh" })).json.error.param).toBe("image");
    expect((await submit(who, { model: "luma-ray2", prompt: "a boat", image: pngDataUri(300, 300) })).json.error.param).toBe("image");
    const ray = await submit(who, { model: "luma-ray2", prompt: "a boat", image: pngDataUri(1024, 1024), end_image: pngDataUri(1024, 1024), loop: true });
    expect(ray.status).toBe(202);
    const sent = emu.requests.filter((r) => r.operation === "StartAsyncInvoke").pop()!.body as any;
    expect(sent.modelId).toBe("luma.ray-v2:0");
    expect(sent.modelInput).toMatchObject({ loop: true, duration: "5s", resolution: "720p", keyframes: { frame0: { type: "image" }, frame1: { type: "image" } } });
    expect(sent.outputDataConfig.s3OutputDataConfig.s3Uri).toBe(`s3://${TEST_BUCKETS.west}/jobs/${ray.json.id}/`);
  });

  it("lists the caller's jobs, newest first, and nobody else's", async () => {
    const other = await newKey("someone-else");
    await submit(other, { prompt: "another person's video" });
    const r = await call(who, "GET", "/v1/videos/generations?limit=2");
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(2);
    expect(r.json.total).toBeGreaterThan(2);
    expect(Date.parse(r.json.data[0].created_at)).toBeGreaterThanOrEqual(Date.parse(r.json.data[1].created_at));
    const all = await call(who, "GET", "/v1/videos/generations?limit=100");
    expect(all.json.data.every((j: any) => j.model)).toBe(true);
    const mine = await db.db.select().from(videoJobs).where(eq(videoJobs.keyId, who.id));
    expect(all.json.total).toBe(mine.length);
    expect((await call(who, "GET", "/v1/videos/generations?limit=101")).status).toBe(400);
    const otherJob = (await call(other, "GET", "/v1/videos/generations")).json.data[0].id;
    expect((await getJob(who, otherJob)).status).toBe(404);
  });

  it("refuses a key whose model list leaves out the video model", async () => {
    const claudeOnly = await newKey("claude-only", { models: ["claude-sonnet-4-6"] });
    const r = await submit(claudeOnly, { prompt: "a lighthouse" });
    expect(r.status).toBe(403);
  });
});

describe("trust: only the Worker's signed requests", () => {
  it("refuses a request without the identity header, with a bad signature, made for another path, or replayed", async () => {
    const who = await newKey("trust");
    const bare = await fetch(`${sidecar.url}/v1/videos/generations`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as any).error.type).toBe("authentication_error");

    const forged = await fetch(`${sidecar.url}/v1/videos/generations`, { headers: { [IDENTITY_HEADER]: (await identity(who, "GET", "/v1/videos/generations")).slice(0, -4) + "AAAA" } });
    expect(forged.status).toBe(401);

    const otherPath = await fetch(`${sidecar.url}/v1/videos/generations`, { headers: { [IDENTITY_HEADER]: await identity(who, "GET", "/v1/videos/health") } });
    expect(otherPath.status).toBe(401);

    const stale = await fetch(`${sidecar.url}/v1/videos/generations`, { headers: { [IDENTITY_HEADER]: await identity(who, "GET", "/v1/videos/generations", { ts: Date.now() - 120_000 }) } });
    expect(stale.status).toBe(401);

    const header = await identity(who, "GET", "/v1/videos/generations");
    const first = await fetch(`${sidecar.url}/v1/videos/generations`, { headers: { [IDENTITY_HEADER]: header } });
    expect(first.status).toBe(200);
    const again = await fetch(`${sidecar.url}/v1/videos/generations`, { headers: { [IDENTITY_HEADER]: header } });
    expect(again.status).toBe(401);
  });

  it("listens on loopback only, and will not start on another address", async () => {
    expect(new URL(sidecar.url).hostname).toBe("127.0.0.1");
    await expect(start({ HOST: "0.0.0.0" })).rejects.toThrow(/loopback/);
  });
});

describe("the job life cycle", () => {
  it("submit → in progress → completed, one spend row, and a presigned URL that downloads the video", async () => {
    const who = await newKey("lifecycle");
    const r = await submit(who, { prompt: "A lighthouse at dusk, waves breaking", duration: 12, seed: 7 });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: "in_progress", model: "nova-reel", mode: "single_shot", duration: 12, estimated_cost: 0.96 });
    const start = emu.requests.filter((q) => q.operation === "StartAsyncInvoke").pop()!;
    expect(start.signatureValid).toBe(true);
    expect((start.body as any).clientRequestToken).toBe(r.json.id);
    expect((start.body as any).modelInput).toEqual({
      taskType: "TEXT_VIDEO", textToVideoParams: { text: "A lighthouse at dusk, waves breaking" },
      videoGenerationConfig: { fps: 24, dimension: "1280x720", seed: 7, durationSeconds: 12 },
    });
    const running = await getJob(who, r.json.id);
    expect(running.json.status).toBe("in_progress");
    expect(running.json.url).toBeUndefined();

    const done = await waitFor(who, r.json.id, "completed");
    expect(done).toMatchObject({ status: "completed", cost: 0.96, error: null });
    expect(done.url).toContain(`/${TEST_BUCKETS.east}/jobs/${r.json.id}/`);
    expect(done.url).toContain("X-Amz-Expires=3600");
    expect(Date.parse(done.url_expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const video = await fetch(done.url);
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString("ascii")).toBe("ftyp");

    // A tampered or expired URL is refused by S3.
    expect((await fetch(done.url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"))).status).toBe(403);

    const rows = await db.db.select().from(spendLogs).where(eq(spendLogs.requestId, r.json.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ keyId: who.id, keyAlias: "lifecycle", model: "nova-reel", bedrockModel: "amazon.nova-reel-v1:1", status: 200, target: "origin:sidecar" });
    expect(Number(rows[0]!.cost)).toBeCloseTo(0.96, 10);
    const [key] = await db.db.select().from(apiKeys).where(eq(apiKeys.id, who.id));
    expect(Number(key!.spend)).toBeCloseTo(0.96, 10);

    // Reading it again bills nothing more.
    await getJob(who, r.json.id);
    expect(await db.db.select().from(spendLogs).where(eq(spendLogs.requestId, r.json.id))).toHaveLength(1);
  });

  it("a job Bedrock fails ends failed, costs nothing and writes no spend row", async () => {
    const who = await newKey("failing");
    emu.asyncInvokes.script({ outcome: "Failed", failureMessage: "The output was blocked by content filters.", durationMs: 200 });
    const r = await submit(who, { prompt: "A busy market" });
    const done = await waitFor(who, r.json.id, "failed");
    expect(done).toMatchObject({ status: "failed", cost: 0 });
    expect(done.error).toContain("content filters");
    expect(await db.db.select().from(spendLogs).where(eq(spendLogs.requestId, r.json.id))).toHaveLength(0);
  });

  it("a submit Bedrock refuses fails the job at once and frees the slot", async () => {
    const who = { ...(await newKey("refused")), maxVideoJobs: 1 };
    emu.asyncInvokes.script({ http: { status: 500, errorType: "InternalServerException", message: "boom" } });
    const r = await submit(who, { prompt: "A forest" });
    expect(r.status).toBe(502);
    expect(r.json.error.type).toBe("upstream_error");
    expect(r.json.error.message).toMatch(/ref: [0-9a-f]{8}/);
    expect(r.json.error.message).not.toContain("boom");
    emu.asyncInvokes.script({ http: { status: 429, errorType: "ThrottlingException", message: "slow down" } });
    const throttled = await submit(who, { prompt: "A forest" });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("5");
    expect((await submit(who, { prompt: "A forest" })).status).toBe(202);
  });
});

describe("per-key running-job limit", () => {
  it("admits exactly max_video_jobs of many parallel submits, and frees a slot when a job ends", async () => {
    emu.asyncInvokes.settings.durationMs = 60_000;
    const who = { ...(await newKey("parallel")), maxVideoJobs: 3 };
    const results = await Promise.all(Array.from({ length: 8 }, () => submit(who, { prompt: "A parade" })));
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.json.error).toMatchObject({ type: "concurrent_limit", limit: 3, in_progress: 3 });
    // Default when the key sets none: 3 as well; a key with a limit of 1 gets one.
    const single = { ...(await newKey("single")), maxVideoJobs: 1 };
    expect((await submit(single, { prompt: "A parade" })).status).toBe(202);
    expect((await submit(single, { prompt: "A parade" })).status).toBe(429);
    // One job finishes: its slot is free again.
    const job = emu.asyncInvokes.jobs.get([...emu.asyncInvokes.jobs.values()].find((j) => (j.modelInput as any).textToVideoParams?.text === "A parade" && j.s3Uri.includes(accepted[0]!.json.id))!.invocationArn)!;
    job.endAt = Date.now();
    await waitFor(who, accepted[0]!.json.id, "completed");
    expect((await submit(who, { prompt: "A parade" })).status).toBe(202);
  });
});

describe("restarts and two sidecars", () => {
  it("a job that finished while the sidecar was stopped is settled by the next one's first poll, unread", async () => {
    const who = await newKey("restart");
    emu.asyncInvokes.settings.durationMs = 300;
    const first = await start({}, 3600); // no background pass after the first
    const r = await submit(who, { prompt: "A mountain lake" }, first.url);
    expect(r.status).toBe(202);
    await first.stop();
    await new Promise((res) => setTimeout(res, 500)); // Bedrock finishes while the origin is down
    const [before] = await db.db.select().from(videoJobs).where(eq(videoJobs.id, r.json.id));
    expect(before!.status).toBe("in_progress");
    const second = await start({}, 3600);
    extra.push(second);
    await expect.poll(async () => (await db.db.select().from(videoJobs).where(eq(videoJobs.id, r.json.id)))[0]!.status, { timeout: 10_000 }).toBe("completed");
    expect(await db.db.select().from(spendLogs).where(eq(spendLogs.requestId, r.json.id))).toHaveLength(1);
  });

  it("two sidecars polling the same jobs bill each exactly once", async () => {
    const who = await newKey("two-sidecars");
    emu.asyncInvokes.settings.durationMs = 300;
    const a = await start({}, 0.05);
    const b = await start({}, 0.05);
    extra.push(a, b);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit({ ...who, maxVideoJobs: 5 }, { prompt: `A river, take ${i}` }, i % 2 ? a.url : b.url)).json.id);
    // Both read every job at once, too, while both pollers run.
    await new Promise((res) => setTimeout(res, 400));
    await Promise.all(ids.flatMap((id) => [getJob(who, id, a.url), getJob(who, id, b.url), getJob(who, id, a.url), getJob(who, id, b.url)]));
    for (const id of ids) await waitFor(who, id, "completed");
    const rows = await db.db.select().from(spendLogs).where(eq(spendLogs.keyAlias, "two-sidecars"));
    expect(rows.map((r) => r.requestId).sort()).toEqual([...ids].sort());
    const [key] = await db.db.select().from(apiKeys).where(eq(apiKeys.id, who.id));
    expect(Number(key!.spend)).toBeCloseTo(3 * 0.48, 10);
  });
});

describe("model lifecycle", () => {
  it("after Nova Reel's end of life a job gets a 400 naming the successor, unless the operator moves the date", async () => {
    const who = await newKey("lifecycle-eol");
    const after = await start({ MODEL_LIFECYCLE_DATE: "2026-12-04" });
    extra.push(after);
    const r = await submit(who, { prompt: "A lighthouse" }, after.url);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "model_retired", param: "model" });
    expect(r.json.error.message).toContain("2026-09-30");
    expect(r.json.error.message).toContain('"luma-ray2"');
    expect((await submit(who, { model: "luma-ray2", prompt: "A lighthouse" }, after.url)).status).toBe(202);
    const extended = await start({ MODEL_LIFECYCLE_DATE: "2026-12-04", VIDEO_END_OF_LIFE: '{"nova-reel":"2027-06-30"}' });
    extra.push(extended);
    expect((await submit(who, { prompt: "A lighthouse" }, extended.url)).status).toBe(202);
  });
});

describe("health", () => {
  it("reports the database and both regions", async () => {
    const who = await newKey("health");
    const r = await call(who, "GET", "/v1/videos/health");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "healthy", database: "connected", models: { "nova-reel": { status: "healthy", region: "us-east-1" }, "luma-ray2": { status: "healthy", region: "us-west-2" } } });
  });

  it("is degraded, not down, when Bedrock refuses its credentials (the database still answers)", async () => {
    const who = await newKey("health-degraded");
    const badKeys = await start({ AWS_SECRET_ACCESS_KEY: "not-the-emulator-secret" });
    extra.push(badKeys);
    const r = await call(who, "GET", "/v1/videos/health", undefined, badKeys.url);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: "degraded", database: "connected", models: { "nova-reel": { status: "unhealthy" } } });
    // And a job it cannot submit fails cleanly, uncharged, with a reference rather than AWS's words.
    const job = await submit(who, { model: "luma-ray2", prompt: "A storm" }, badKeys.url);
    expect(job.status).toBe(502);
    expect(job.json.error.message).not.toMatch(/signature|secret/i);
  });
});
