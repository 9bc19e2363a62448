// Per-key content policy (secrets/PII blocked or redacted before they reach Bedrock), Bedrock Guardrails passed
// through, and the hostname allowlist.
import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { ALLOWED_HOSTS: "127.0.0.1,gw.example.com" } });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const keyWithMetadata = (alias: string, metadata: Record<string, unknown>): Promise<string> => stack.createKey({ alias, set: { metadata } });

const SECRET_PROMPT = "Deploy with AKIAIOSFODNN7EXAMPLE and charge card 4111 1111 1111 1111, mail ops@example.com";
const send = (key: string, path = "/v1/messages", body?: unknown) =>
  fetch(`${stack.gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(body ?? { model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: SECRET_PROMPT }] }),
  });

describe("content guard", () => {
  it("blocks a prompt containing secrets when the key says block, naming only the kinds found", async () => {
    const key = await keyWithMetadata("guard-block", { content_guard: { action: "block", detectors: ["aws_key", "card", "email"] } });
    const res = await send(key);
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toMatch(/aws_key.*card.*email|content policy/);
    expect(body.error.message).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(stack.emulator.requests).toHaveLength(0);
    expect(stack.gateway.logs.join("\n")).not.toContain("4111 1111 1111 1111");
  });

  it("redacts instead when the key says redact (both dialects), and Bedrock never sees the secret", async () => {
    const key = await keyWithMetadata("guard-redact", { content_guard: { action: "redact", detectors: ["aws_key", "card", "email"] } });
    expect((await send(key)).status).toBe(200);
    const sent = JSON.stringify(stack.emulator.requests.at(-1)!.body);
    expect(sent).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(sent).not.toContain("4111 1111 1111 1111");
    expect(sent).toContain("[REDACTED:aws_key]");
    expect((await send(key, "/v1/chat/completions", { model: "nova-lite", messages: [{ role: "user", content: SECRET_PROMPT }] })).status).toBe(200);
    expect(JSON.stringify(stack.emulator.requests.at(-1)!.body)).not.toContain("ops@example.com");
  });

  it("leaves keys without a policy alone", async () => {
    const key = await stack.createKey({ alias: "no-guard" });
    expect((await send(key)).status).toBe(200);
    expect(JSON.stringify(stack.emulator.requests.at(-1)!.body)).toContain("AKIAIOSFODNN7EXAMPLE");
  });
});

describe("Bedrock Guardrails", () => {
  it("passes the key's guardrail to Bedrock: headers on InvokeModel, guardrailConfig on Converse", async () => {
    const key = await keyWithMetadata("guardrail", { guardrail: { identifier: "abc123def456", version: "2" } });
    expect((await send(key, "/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const invoke = stack.emulator.requests.at(-1)!;
    expect(invoke.headers["x-amzn-bedrock-guardrailidentifier"]).toBe("abc123def456");
    expect(invoke.headers["x-amzn-bedrock-guardrailversion"]).toBe("2");
    expect(invoke.signatureValid).toBe(true);
    expect((await send(key, "/v1/chat/completions", { model: "nova-lite", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect((stack.emulator.requests.at(-1)!.body as any).guardrailConfig).toMatchObject({ guardrailIdentifier: "abc123def456", guardrailVersion: "2" });
  });
});

describe("a misconfigured policy", () => {
  it("refuses the key's calls with a 403 instead of failing with a 500", async () => {
    const key = await keyWithMetadata("bad-guardrail", { guardrail: { identifier: "not a guardrail!", version: "2" } });
    const res = await send(key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.message).toMatch(/misconfigured/);
  });
});

describe("hostname allowlist", () => {
  function statusFor(host: string): Promise<number> {
    const { port } = new URL(stack.gateway.url);
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), "127.0.0.1", () => s.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
      let data = "";
      s.on("data", (d) => {
        data += d;
        const m = /^HTTP\/1\.1 (\d+)/.exec(data);
        if (m) {
          s.destroy();
          resolve(Number(m[1]));
        }
      });
      s.on("end", () => resolve(0));
      s.on("error", reject);
    });
  }
  it("answers only for configured hostnames", async () => {
    expect(await statusFor("gw.example.com")).toBe(200);
    expect(await statusFor("evil.example.com")).toBe(404);
  });
});
