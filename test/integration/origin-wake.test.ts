// The origin asleep and awake, end to end with no cloud account: the emulator's EC2 Query API (SigV4 for `ec2`,
// the instance state machine), the local origin that answers as the tunnel does while the instance is stopped
// (HTTP 530, error 1033) and routes by the tunnel's ingress rules once it runs, and the Worker in workerd with its
// origin-state Durable Object and Cron Trigger. LiteLLM stands in as the OpenAI-compatible stand-in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.ts";
import { DEFAULT_INSTANCE_ID } from "../support/emulator/index.ts";
import { startLocalOrigin, type LocalOrigin } from "../support/local-origin.ts";
import { startStandin, type Standin } from "../support/openai-standin.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startGateway, type Gateway } from "../support/worker-harness.ts";

const SECRET = "origin-shared-secret-for-the-tests-0123456789";
const MASTER = "sk-bw-master-key-for-the-origin-tests-0123456789";
const ACCESS = { clientId: "wake-client.access", clientSecret: "wake-client-secret" };
const OTHER_INSTANCE = "i-0aaaaaaaaaaaaaaa1";

let stack: Stack;
let standin: Standin;
let origin: LocalOrigin;
let impatient: Gateway;
let key: string;

beforeAll(async () => {
  standin = await startStandin(SECRET);
  let ec2State: () => string | null = () => null;
  origin = await startLocalOrigin({ isUp: () => ec2State() === "running", litellmUrl: standin.url, sidecarUrl: standin.url, access: ACCESS });
  const originEnv = {
    ORIGIN_URL: origin.url,
    ORIGIN_SHARED_SECRET: SECRET,
    ORIGIN_ACCESS_CLIENT_ID: ACCESS.clientId,
    ORIGIN_ACCESS_CLIENT_SECRET: ACCESS.clientSecret,
    ORIGIN_MODELS: "qwen3-origin",
    ORIGIN_BOOT_GRACE_MINUTES: "0",
    MASTER_KEY: MASTER,
  };
  stack = await startStack({
    emulator: { ec2: { instances: { [DEFAULT_INSTANCE_ID]: "stopped", [OTHER_INSTANCE]: "stopped" }, pendingMs: 400, stoppingMs: 400 } },
    env: (emu) => ({ ...originEnv, EC2_ENDPOINT: emu.url, ORIGIN_INSTANCE_ID: DEFAULT_INSTANCE_ID, ORIGIN_WAKE_WAIT_SECONDS: "30", ORIGIN_IDLE_MINUTES: "0.02" }),
  });
  ec2State = () => stack.emulator.ec2.state(DEFAULT_INSTANCE_ID);
  // A second gateway that waits one second for an instance whose start never brings the tunnel up.
  impatient = await startGateway({ ...stack.gatewayEnv, ORIGIN_INSTANCE_ID: OTHER_INSTANCE, ORIGIN_WAKE_WAIT_SECONDS: "1" });
  key = await stack.createKey({ alias: "wake-user" });
}, 180_000);
afterAll(async () => {
  await impatient?.stop();
  await stack?.stop();
  await origin?.stop();
  await standin?.stop();
});

const chat = (base = stack.gateway.url) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "qwen3-origin", messages: [{ role: "user", content: "hi" }] }),
  });
const cron = (base = stack.gateway.url) => fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
const admin = (path: string, method = "GET", base = stack.gateway.url) => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${MASTER}` } });

describe("wake on demand", () => {
  it("a burst of 20 requests to a stopped origin makes one StartInstances, and every request is served after the boot", async () => {
    stack.emulator.ec2.reset();
    expect(stack.emulator.ec2.state()).toBe("stopped");
    const responses = await Promise.all(Array.from({ length: 20 }, () => chat()));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const r of responses) expect(((await r.json()) as any).choices[0].message.content).toBe("from the origin");
    expect(stack.emulator.ec2.countOf("StartInstances")).toBe(1);
    expect(stack.emulator.ec2.calls.every((c) => c.signatureValid)).toBe(true);
    expect(stack.emulator.ec2.state()).toBe("running");
    // The tunnel said "no connector" first; the requests were replayed once it was up.
    expect(origin.seen.some((s) => s.answer === "530")).toBe(true);
  });

  it("the admin API shows the state, and the cron stops the origin once it has been idle", async () => {
    const status = (await (await admin("/origin/status")).json()) as any;
    expect(status).toMatchObject({ managed: true, state: "running", instance_id: DEFAULT_INSTANCE_ID, starts: 1 });
    expect(status.lastUseAt).not.toBeNull();
    // ORIGIN_IDLE_MINUTES is 0.02 (1.2 s): once that long has passed without a request, the cron stops it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cron()).status).toBe(200);
    await expect.poll(() => stack.emulator.ec2.countOf("StopInstances"), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => stack.emulator.ec2.state(), { timeout: 10_000 }).toBe("stopped");
    // Stopped: the next cron run has nothing to do.
    await cron();
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.emulator.ec2.countOf("StopInstances")).toBe(1);
  });

  it("a request that arrives while the instance is stopping waits for the stop to finish, starts it again and is served", async () => {
    stack.emulator.ec2.reset();
    stack.emulator.ec2.setState(DEFAULT_INSTANCE_ID, "running");
    stack.emulator.ec2.settings.stoppingMs = 1500;
    const stop = (await (await admin("/origin/stop", "POST")).json()) as any;
    expect(stop).toMatchObject({ stop_issued: true, state: "stopping" });
    const res = await chat();
    expect(res.status).toBe(200);
    const actions = stack.emulator.ec2.calls.filter((c) => c.action !== "DescribeInstances" && c.status === 200).map((c) => c.action);
    expect(actions).toEqual(["StopInstances", "StartInstances"]);
    stack.emulator.ec2.settings.stoppingMs = 400;
  });

  it("past ORIGIN_WAKE_WAIT_SECONDS the caller gets a 503 with retry-after that says the origin is starting", async () => {
    stack.emulator.ec2.setState(DEFAULT_INSTANCE_ID, "stopped");
    stack.emulator.ec2.setState(OTHER_INSTANCE, "stopped");
    stack.emulator.ec2.reset();
    const res = await chat(impatient.url);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await res.json()) as any;
    expect(body.error.message).toMatch(/origin is starting/);
    expect(stack.emulator.ec2.calls.filter((c) => c.action === "StartInstances").map((c) => c.instanceId)).toEqual([OTHER_INSTANCE]);
  });

  it("EC2 errors are a clear 502: no permission, a terminated instance", async () => {
    stack.emulator.ec2.setState(OTHER_INSTANCE, "stopped");
    stack.emulator.ec2.fail({ action: "StartInstances", code: "UnauthorizedOperation", status: 403, message: "You are not authorized to perform this operation." });
    const denied = await chat(impatient.url);
    expect(denied.status).toBe(502);
    expect(((await denied.json()) as any).error.message).toMatch(/could not be started \(EC2 UnauthorizedOperation\)/);

    stack.emulator.ec2.setState(OTHER_INSTANCE, "terminated");
    const gone = await chat(impatient.url);
    expect(gone.status).toBe(502);
    expect(((await gone.json()) as any).error.message).toMatch(/InstanceTerminated/);

    // Through the admin API as well, in the admin dialect.
    stack.emulator.ec2.fail({ action: "DescribeInstances", code: "UnauthorizedOperation", status: 403 });
    const start = await admin("/origin/start", "POST", impatient.url);
    expect(start.status).toBe(502);
    expect(((await start.json()) as any).error.message).toMatch(/UnauthorizedOperation/);
  });

  it("the admin endpoints need the master key", async () => {
    for (const [path, method] of [["/origin/status", "GET"], ["/origin/start", "POST"], ["/origin/stop", "POST"]] as const) {
      const res = await fetch(`${stack.gateway.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(404);
    }
  });
});

describe("breakwater origin (CLI)", () => {
  const cli = (argv: string[]) => runCli(argv, { env: { BREAKWATER_URL: stack.gateway.url, BREAKWATER_MASTER_KEY: MASTER } });

  it("start waits with a progress line until the instance runs; stop until it has stopped; status shows it", async () => {
    stack.emulator.ec2.setState(DEFAULT_INSTANCE_ID, "stopped");
    const start = await cli(["origin", "start"]);
    expect(start.code, start.err).toBe(0);
    expect(start.err).toMatch(/origin running after \d+ s/);
    expect(start.out).toMatch(/state\s+running/);
    expect(stack.emulator.ec2.state()).toBe("running");

    const status = await cli(["origin", "status", "--json"]);
    expect(JSON.parse(status.out)).toMatchObject({ configured: true, state: "running", instance_id: DEFAULT_INSTANCE_ID });
    const overall = await cli(["status"]);
    expect(overall.out).toMatch(/origin\s+http:\/\/127\.0\.0\.1:\d+ \(instance i-0123456789abcdef0\)/);

    const stop = await cli(["origin", "stop"]);
    expect(stop.code, stop.err).toBe(0);
    expect(stop.err).toMatch(/origin stopped after \d+ s/);
    expect(stack.emulator.ec2.state()).toBe("stopped");
  });
});
