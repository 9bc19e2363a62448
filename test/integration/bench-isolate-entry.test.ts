// The benchmark's in-isolate entry (bench/isolate-entry.ts, used by `npm run bench` section 13) still bundles and
// runs: its gateway loop goes through the real Worker (a spend row per request, Bedrock answered inside the isolate,
// not by the emulator), its relay loop through the bare relay's handler, and a loop whose requests fail says so rather than
// timing error answers.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoopSpec } from "../../bench/isolate-entry.ts";
import { emulatorSigner, gatewayHeaders, MESSAGES_BODY } from "../../bench/paths.ts";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY } from "../support/emulator/index.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { REPO_ROOT, startGateway, type Gateway } from "../support/worker-harness.ts";

let stack: Stack;
let loopGateway: Gateway;

beforeAll(async () => {
  stack = await startStack();
  loopGateway = await startGateway(stack.gatewayEnv, { entry: join(REPO_ROOT, "bench/isolate-entry.ts") });
});

afterAll(async () => {
  await loopGateway?.stop();
  await stack?.stop();
});

describe("the bench's in-isolate loops", () => {
  it("runs the gateway loop through the Worker and the relay loop through the bare relay's handler, Bedrock answered in the isolate", async () => {
    const key = await stack.createKey({ alias: "isolate-loop" });
    const body = JSON.stringify(MESSAGES_BODY);
    // One real call first, to learn the Bedrock call the gateway makes and the emulator's answer to it.
    stack.emulator.reset();
    const first = await fetch(`${stack.gateway.url}/v1/messages`, { method: "POST", headers: gatewayHeaders(key), body });
    expect(first.status).toBe(200);
    const call = stack.emulator.requests.find((r) => r.operation === "InvokeModel");
    expect(call?.signatureValid).toBe(true);
    const upstream = { path: call!.rawPath, body: JSON.stringify(call!.body) };
    const sign = emulatorSigner({ emulatorUrl: stack.emulator.url, accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY, region: DEFAULT_REGION });
    const signed = await sign(upstream, false);
    const answered = await fetch(stack.emulator.url + upstream.path, { method: "POST", headers: signed, body: upstream.body });
    const answer = { status: answered.status, headers: { "content-type": "application/json" }, body: await answered.text() };
    const spec = (mode: LoopSpec["mode"], request: LoopSpec["request"]): LoopSpec => ({ mode, n: 5, bedrockUrl: stack.emulator.url, request, answer });
    const loop = (s: LoopSpec) => fetch(`${loopGateway.url}/__bench/loop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(s) });

    const seenByEmulator = stack.emulator.requests.length;
    const gatewayRequest = { path: "/v1/messages", headers: { ...gatewayHeaders(key), "content-length": String(body.length) }, body };
    const g = await loop(spec("gateway", gatewayRequest));
    expect(await g.json()).toEqual({ ok: true });
    // Five requests billed through the Worker (plus the real call before), none of them reaching the emulator.
    const rows = await stack.waitForSpendRows("isolate-loop", 6);
    expect(rows.filter((r) => r.status === 200 && r.model === MESSAGES_BODY.model)).toHaveLength(6);
    expect(stack.emulator.requests.length).toBe(seenByEmulator);

    const r = await loop(spec("relay", { path: upstream.path, headers: signed, body: upstream.body }));
    expect(await r.json()).toEqual({ ok: true });
    expect(stack.emulator.requests.length).toBe(seenByEmulator);

    // A loop of refused requests (an unknown key) is reported as such, not timed.
    const refused = await loop(spec("gateway", { ...gatewayRequest, headers: { ...gatewayRequest.headers, "x-api-key": "sk-bw-unknown" } }));
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^request 0 answered 401/);

    // A malformed loop is refused before anything runs.
    const post = (body: string) => fetch(`${loopGateway.url}/__bench/loop`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const notJson = await post("{");
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe("the loop spec is not JSON");
    const noCount = await post(JSON.stringify({ ...spec("gateway", gatewayRequest), n: 0 }));
    expect(noCount.status).toBe(400);
    expect(((await noCount.json()) as { error: string }).error).toMatch(/^the loop spec is malformed: n: /);
    const noBody = await post(JSON.stringify({ ...spec("relay", gatewayRequest), request: { path: "/x", headers: {} } }));
    expect(noBody.status).toBe(400);
    expect(((await noBody.json()) as { error: string }).error).toMatch(/request\.body/);
  });
});
