import { afterEach, describe, expect, it, vi } from "vitest";
import { AccessDenied } from "../../worker/edge/access.ts";
import { logEvent } from "../../worker/util/log.ts";
import { redactHeaders, redactSecrets } from "../../worker/util/redact.ts";

const BW_KEY = "sk-bw-Q2xhdWRlIGlzIGEgZ29vZCBtb2RlbCBpbmRlZWQx";
const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiIiLCJjb21tb25fbmFtZSI6ImEuYWNjZXNzIn0.c2lnbmF0dXJlLWJ5dGVz";
const AWS_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ACCESS_SECRET = "cfast_0123456789abcdefghijABCDEFGHIJ0123456789abcd";

function sensitiveHeaders(): Headers {
  return new Headers({
    Authorization: `Bearer ${BW_KEY}`,
    "X-Api-Key": BW_KEY,
    Cookie: "CF_Authorization=abc.def.ghi; session=xyz",
    "Cf-Access-Jwt-Assertion": JWT,
    "CF-Access-Client-Id": "0123abcd.access",
    "CF-Access-Client-Secret": ACCESS_SECRET,
    "X-Amz-Security-Token": "FwoGZXIvYXdzEJr//////////wEaDM",
    "Proxy-Authorization": "Basic dXNlcjpwYXNz",
    "X-Goog-Api-Key": "AIzaSyAbCdEfGhIjKlMnOpQrStUvWxYz0123456",
    "Content-Type": "application/json",
    "User-Agent": "claude-cli/2.1.0",
    "Anthropic-Version": "2023-06-01",
  });
}

const SECRET_VALUES = [BW_KEY, JWT, ACCESS_SECRET, "0123abcd.access", "FwoGZXIvYXdzEJr", "dXNlcjpwYXNz", "CF_Authorization=abc", "AIzaSy"];

describe("redactHeaders", () => {
  it("replaces every credential header and keeps the harmless ones", () => {
    const out = redactHeaders(sensitiveHeaders());
    for (const name of [
      "authorization",
      "x-api-key",
      "cookie",
      "cf-access-jwt-assertion",
      "cf-access-client-id",
      "cf-access-client-secret",
      "x-amz-security-token",
      "proxy-authorization",
      "x-goog-api-key",
    ]) {
      expect(out[name]).toBe("[redacted]");
    }
    expect(out["content-type"]).toBe("application/json");
    expect(out["user-agent"]).toBe("claude-cli/2.1.0");
    expect(out["anthropic-version"]).toBe("2023-06-01");
  });

  it("works on plain objects (any case) and covers set-cookie", () => {
    const out = redactHeaders({ "Set-Cookie": "CF_Authorization=x; HttpOnly", "X-API-KEY": BW_KEY, Accept: "*/*" });
    expect(out).toEqual({ "set-cookie": "[redacted]", "x-api-key": "[redacted]", accept: "*/*" });
  });

  it("scrubs credential-shaped values that turn up in other headers", () => {
    const out = redactHeaders({ referer: `https://x.example/cb?token=${BW_KEY}`, "x-forwarded-note": `Bearer ${BW_KEY}` });
    expect(JSON.stringify(out)).not.toContain(BW_KEY);
  });
});

describe("redactSecrets", () => {
  it("removes configured secret values, also URL-encoded", () => {
    const dbPassword = "p@ss/w0rd+x";
    const text = `connect postgres://u:${encodeURIComponent(dbPassword)}@db/x failed; raw ${dbPassword}; aws ${AWS_SECRET}`;
    const out = redactSecrets(text, [dbPassword, AWS_SECRET]);
    expect(out).not.toContain(dbPassword);
    expect(out).not.toContain(encodeURIComponent(dbPassword));
    expect(out).not.toContain(AWS_SECRET);
    expect(out).toContain("connect postgres://u:[redacted]@db/x failed");
  });

  it("ignores empty and very short configured values rather than shredding the text", () => {
    expect(redactSecrets("a normal message", ["", "a", "mes"])).toBe("a normal message");
  });

  it("removes Breakwater keys (keeping the prefix), Bearer tokens, JWTs and AWS keys by shape", () => {
    expect(redactSecrets(`bad key ${BW_KEY}.`, [])).toBe("bad key sk-bw-[redacted].");
    expect(redactSecrets("Authorization: Bearer abc.def-ghi_jkl", [])).toBe("Authorization: Bearer [redacted]");
    expect(redactSecrets(`assertion=${JWT}`, [])).toBe("assertion=[redacted]");
    expect(redactSecrets(`id ${AWS_ID} used`, [])).toBe("id [redacted] used");
    expect(redactSecrets(`AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, [])).toBe("AWS_SECRET_ACCESS_KEY=[redacted]");
    expect(redactSecrets(`{"secretAccessKey":"${AWS_SECRET}"}`, [])).toBe('{"secretAccessKey":"[redacted]"}');
    expect(redactSecrets(`client secret ${ACCESS_SECRET}`, [])).toBe("client secret [redacted]");
    expect(redactSecrets("key sk-ant-api03-AbCdEfGhIjKlMnOpQrSt", [])).toBe("key [redacted]");
  });

  it("removes SigV4 signatures and credentials", () => {
    const sig = "a".repeat(64);
    const auth = `AWS4-HMAC-SHA256 Credential=${AWS_ID}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=${sig}`;
    const out = redactSecrets(auth, []);
    expect(out).not.toContain(AWS_ID);
    expect(out).not.toContain(sig);
    const url = `https://b.example/x?X-Amz-Credential=${AWS_ID}%2F20260101&X-Amz-Signature=${sig}&ok=1`;
    expect(redactSecrets(url, [])).toBe("https://b.example/x?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&ok=1");
  });

  it("removes private key blocks", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
    expect(redactSecrets(`key:\n${pem}\nend`, [])).toBe("key:\n[redacted]\nend");
  });

  it("leaves ordinary text alone", () => {
    // `sk-bw-Ab12` is the display prefix (keyPrefix) the gateway logs on purpose: too short to be a key.
    const text = "Model claude-sonnet-4-5 not allowed for key sk-bw-Ab12 (alias team-a); Basic plan; task-runner; 2024-01-15";
    expect(redactSecrets(text, [])).toBe(text);
    expect(redactSecrets("key sk-bw-Ab12cd34ef", [])).toBe("key sk-bw-[redacted]");
    expect(redactSecrets("Bearer token missing", [])).toBe("Bearer token missing");
  });
});

describe("log lines", () => {
  afterEach(() => vi.restoreAllMocks());

  function captureLogs(fn: () => void): string {
    const lines: string[] = [];
    for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((line: unknown) => void lines.push(String(line)));
    fn();
    return lines.join("\n");
  }

  it("a request logged through redactHeaders carries no credential", () => {
    const out = captureLogs(() => logEvent("info", { msg: "request", headers: redactHeaders(sensitiveHeaders()) }));
    expect(JSON.parse(out).headers["content-type"]).toBe("application/json");
    for (const s of SECRET_VALUES) expect(out).not.toContain(s);
  });

  it("an error whose text quotes credentials is clean once passed through redactSecrets", () => {
    const err = new Error(`upstream said: invalid token Bearer ${BW_KEY} for ${AWS_ID} (secret ${AWS_SECRET}) jwt ${JWT}`);
    const out = captureLogs(() => logEvent("error", { msg: "upstream failure", error: redactSecrets(String(err), [AWS_SECRET]) }));
    for (const s of [BW_KEY, AWS_ID, AWS_SECRET, JWT]) expect(out).not.toContain(s);
    expect(out).toContain("upstream failure");
  });

  it("an Access denial logs its reason, and neither it nor its message carries the token", () => {
    const denied = new AccessDenied("audience");
    const out = captureLogs(() => logEvent("warn", { msg: "access denied", reason: denied.reason, status: denied.status, error: denied.message }));
    expect(JSON.parse(out)).toMatchObject({ reason: "audience", status: 403, error: "Cloudflare Access authentication required." });
    expect(out).not.toContain("eyJ");
  });
});
