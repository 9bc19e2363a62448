// The sidecar as the instance runs it: `npm run build:sidecar`'s single-file bundle started with node, reached over
// loopback, stopped with SIGTERM (as systemd stops it). A job submitted before a restart is settled by the new
// process's first poll.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertKey } from "../../worker/db/queries.ts";
import { spendLogs, videoJobs } from "../../worker/db/schema.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../../worker/keys/hash.ts";
import { IDENTITY_HEADER, signIdentity } from "../../worker/origin/identity.ts";
import { startEmulator, type Emulator } from "../support/emulator/index.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";
import { sidecarEnv } from "../support/video-sidecar.ts";
import { buildSidecar } from "../../scripts/origin/build-sidecar.ts";

const SECRET = "video-sidecar-process-secret-0123456789abcdef";
let db: TestDatabase;
let emu: Emulator;
let dir: string;
let bundle: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await startTestDatabase();
  emu = await startEmulator({ asyncJobMs: 300 });
  dir = mkdtempSync(join(tmpdir(), "bw-sidecar-bundle-"));
  // What `npm run build:sidecar` makes, and unpacked from its tarball as the bootstrap unpacks it.
  const tarball = await buildSidecar(join(dir, "build"), join(dir, "sidecar.tar.gz"));
  mkdirSync(join(dir, "opt"));
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", join(dir, "opt"), "--no-same-owner"], { encoding: "utf8" });
  expect(untar.status, untar.stderr).toBe(0);
  expect(readdirSync(join(dir, "opt")).sort()).toEqual(["package.json", "server.js"]);
  expect(JSON.parse(readFileSync(join(dir, "opt", "package.json"), "utf8")).type).toBe("module");
  bundle = join(dir, "opt", "server.js");
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await emu?.stop();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function launch(): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...sidecarEnv({ sharedSecret: SECRET, emulatorUrl: emu.url, databaseUrl: db.shim.databaseUrl, databaseHttpEndpoint: db.shim.httpEndpoint, pollSeconds: 3600, env: { MODEL_LIFECYCLE_DATE: "2026-09-01" } }), SIDECAR_QUIET: "0", PATH: process.env.PATH ?? "" };
  const child = spawn(process.execPath, [bundle], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"video sidecar listening","host":"([^"]+)","port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, url };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describe("the bundled sidecar process", () => {
  it("serves signed requests on loopback, stops cleanly on SIGTERM, and the next process settles a job that finished meanwhile", async () => {
    const key = generateApiKey();
    const row = await insertKey(db.db, { keyHash: await sha256Hex(key), keyPrefix: keyPrefix(key), keyAlias: "process", models: [], maxBudget: null });
    const headers = async (method: string, path: string) => ({
      [IDENTITY_HEADER]: await signIdentity(SECRET, {
        keyId: row.id, alias: "process", models: [], limits: { rpm: null, tpm: null, parallel: null, maxBudget: null, maxVideoJobs: null },
        requestId: randomUUID(), method, path, ts: Date.now(),
      }),
      "content-type": "application/json",
    });
    const first = await launch();
    expect(new URL(first.url).hostname).toBe("127.0.0.1");
    expect((await fetch(`${first.url}/v1/videos/generations`)).status).toBe(401);
    const res = await fetch(`${first.url}/v1/videos/generations`, { method: "POST", headers: await headers("POST", "/v1/videos/generations"), body: JSON.stringify({ prompt: "A glacier calving" }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(await stop(first.child)).toBe(0);

    await new Promise((r) => setTimeout(r, 600)); // Bedrock finishes while no sidecar runs
    expect((await db.db.select().from(videoJobs).where(eq(videoJobs.id, id)))[0]!.status).toBe("in_progress");
    const second = await launch();
    await expect.poll(async () => (await db.db.select().from(videoJobs).where(eq(videoJobs.id, id)))[0]!.status, { timeout: 10_000 }).toBe("completed");
    expect(await db.db.select().from(spendLogs).where(eq(spendLogs.requestId, id))).toHaveLength(1);
    const got = await fetch(`${second.url}/v1/videos/generations/${id}`, { headers: await headers("GET", `/v1/videos/generations/${id}`) });
    expect(((await got.json()) as { url: string }).url).toContain("output.mp4");
    expect(await stop(second.child)).toBe(0);
  });
});
