// The origin's life (worker/origin/life.ts) with a controlled clock, against the emulator's EC2 Query API through
// the real SigV4 client (worker/origin/ec2.ts): the idle policy's edges are decided here without waiting.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Ec2Client, Ec2Error } from "../../worker/origin/ec2.ts";
import { OriginLife } from "../../worker/origin/life.ts";
import { memoryStore } from "../../worker/origin/state.ts";
import { DEFAULT_INSTANCE_ID, startEmulator, type Emulator } from "../support/emulator/index.ts";

let emu: Emulator;
const MIN = 60_000;

beforeAll(async () => {
  emu = await startEmulator({ ec2: { pendingMs: 20, stoppingMs: 20 } });
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(() => {
  emu.ec2.reset();
  emu.ec2.setState(DEFAULT_INSTANCE_ID, "stopped");
});

function client(instanceId = DEFAULT_INSTANCE_ID, secret = "emulator-secret"): Ec2Client {
  return new Ec2Client({ endpoint: emu.url, region: "us-east-1", instanceId, credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: secret } });
}

/** A life whose clock the test moves. */
function life(opts: { idleMin?: number; graceMin?: number } = {}) {
  const clock = { now: Date.now() };
  const l = new OriginLife(client(), { idleMs: (opts.idleMin ?? 30) * MIN, bootGraceMs: (opts.graceMin ?? 10) * MIN, wakeWaitMs: 5000 }, memoryStore(), () => clock.now);
  return { l, clock };
}

describe("EC2 client", () => {
  it("signs for service ec2 and reads EC2's XML: describe, start, stop", async () => {
    const ec2 = client();
    expect(await ec2.describe()).toEqual({ state: "stopped", launchTime: null });
    expect(await ec2.start()).toEqual({ previous: "stopped", current: "pending" });
    await expect.poll(async () => (await ec2.describe()).state).toBe("running");
    expect((await ec2.describe()).launchTime).toBeGreaterThan(Date.now() - MIN);
    expect(await ec2.stop()).toEqual({ previous: "running", current: "stopping" });
    expect(emu.ec2.calls.every((c) => c.signatureValid && c.status === 200)).toBe(true);
  });

  it("turns EC2's error envelope into Ec2Error with its code; a bad signature is refused", async () => {
    emu.ec2.fail({ action: "StartInstances", code: "UnauthorizedOperation", status: 403, message: "not authorized" });
    await expect(client().start()).rejects.toMatchObject({ code: "UnauthorizedOperation", status: 403 });
    await expect(client("i-0ffffffffffffffff").describe()).rejects.toMatchObject({ code: "InvalidInstanceID.NotFound" });
    const bad = await client(DEFAULT_INSTANCE_ID, "wrong-secret").describe().catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Ec2Error);
    expect((bad as Ec2Error).code).toBe("AuthFailure");
  });
});

describe("origin life", () => {
  it("concurrent wakes share one StartInstances; a wake of a running instance starts nothing", async () => {
    const { l } = life();
    const results = await Promise.all(Array.from({ length: 20 }, () => l.wake()));
    expect(emu.ec2.countOf("StartInstances")).toBe(1);
    expect(results.every((r) => r.state === "pending")).toBe(true);
    expect(results.filter((r) => r.started)).toHaveLength(20); // one attempt, shared by all
    await expect.poll(() => emu.ec2.state()).toBe("running");
    expect(await l.wake()).toEqual({ state: "running", started: false });
    expect(emu.ec2.countOf("StartInstances")).toBe(1);
  });

  it("the idle stop respects the boot grace period and the last use", async () => {
    emu.ec2.setState(DEFAULT_INSTANCE_ID, "running", new Date());
    const { l, clock } = life({ idleMin: 30, graceMin: 10 });
    const launched = clock.now;
    clock.now = launched + 5 * MIN;
    expect(await l.idleCheck()).toMatchObject({ stopped: false, reason: "within the boot grace period" });
    await l.touch(launched + 20 * MIN);
    clock.now = launched + 45 * MIN; // 25 minutes after the last use
    expect(await l.idleCheck()).toMatchObject({ stopped: false, reason: "in use" });
    clock.now = launched + 51 * MIN; // 31 minutes after it
    expect(await l.idleCheck()).toMatchObject({ stopped: true, reason: "idle" });
    expect(emu.ec2.state()).toBe("stopping");
    expect(emu.ec2.countOf("StopInstances")).toBe(1);
    expect(await l.idleCheck()).toMatchObject({ stopped: false, reason: expect.stringMatching(/^instance is (stopping|stopped)$/) });
  });

  it("a wake caught mid-stop waits for the instance to stop, then starts it", async () => {
    emu.ec2.setState(DEFAULT_INSTANCE_ID, "running", new Date());
    emu.ec2.settings.stoppingMs = 150;
    try {
      await client().stop();
      const { l } = life();
      const r = await l.wake();
      expect(r).toEqual({ state: "pending", started: true });
      expect(emu.ec2.calls.filter((c) => c.action !== "DescribeInstances").map((c) => c.action)).toEqual(["StopInstances", "StartInstances"]);
    } finally {
      emu.ec2.settings.stoppingMs = 20;
    }
  });

  it("an idle check that finds a wake in flight or a fresh use does not stop", async () => {
    emu.ec2.setState(DEFAULT_INSTANCE_ID, "running", new Date(Date.now() - 120 * MIN));
    const { l, clock } = life({ idleMin: 30, graceMin: 10 });
    clock.now = Date.now();
    const waking = l.wake();
    expect(await l.idleCheck()).toMatchObject({ stopped: false, reason: "a wake is in flight" });
    await waking;
    expect(await l.idleCheck()).toMatchObject({ stopped: false, reason: "in use" });
    expect(emu.ec2.countOf("StopInstances")).toBe(0);
  });

  it("a terminated instance cannot be woken; status reports EC2 errors instead of throwing", async () => {
    emu.ec2.setState(DEFAULT_INSTANCE_ID, "terminated");
    const { l } = life();
    await expect(l.wake()).rejects.toMatchObject({ code: "InstanceTerminated" });
    emu.ec2.fail({ action: "DescribeInstances", code: "UnauthorizedOperation", status: 403 });
    expect(await l.status()).toMatchObject({ managed: true, state: "unknown", error: { code: "UnauthorizedOperation" } });
  });
});
