import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ALL_DETECTORS,
  guardAnthropicRequest,
  guardOpenAIRequest,
  guardrailConfig,
  guardrailHeaders,
  isCardNumber,
  luhnValid,
  parseGuardPolicy,
  parseGuardrail,
  redactText,
  scanText,
} from "../../worker/edge/content-guard.ts";
import type { DetectorType, GuardPolicy } from "../../worker/edge/content-guard.ts";

const ALL = [...ALL_DETECTORS];
const AWS_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB",
  "aFDrBz9vFqU4yq3Y6Ck0m3QhXKpB8jA7Y5dQ0w==",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

/** The matched substrings, by type — to check what was found (tests only; the module never exposes them). */
function found(text: string, detectors: DetectorType[] = ALL): [DetectorType, string][] {
  return scanText(text, detectors).map((f) => [f.type, text.slice(f.start, f.end)]);
}

describe("Luhn and card numbers", () => {
  it.each(["4111111111111111", "4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "30569309025904", "2223003122003222", "3530111333300000"])(
    "accepts the test card %s",
    (n) => {
      expect(luhnValid(n)).toBe(true);
      expect(isCardNumber(n)).toBe(true);
    },
  );

  it("rejects a bad checksum, a non-card issuer digit, and wrong lengths", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(isCardNumber("4111111111111112")).toBe(false);
    expect(luhnValid("1111111111111117")).toBe(true);
    expect(isCardNumber("1111111111111117")).toBe(false); // issuer digit 1: not a major network
    expect(isCardNumber("411111111111")).toBe(false); // 12 digits
    expect(isCardNumber("41111111111111111111")).toBe(false); // 20 digits
  });

  it("finds every Luhn-valid 16-digit Visa number, plain or grouped (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }), fc.constantFrom("", " ", "-"), (body, sep) => {
        const partial = `4${body.join("")}`;
        const check = [...Array(10).keys()].find((d) => luhnValid(partial + d))!;
        const digits = partial + check;
        const shown = sep ? digits.match(/.{4}/g)!.join(sep) : digits;
        expect(found(`card: ${shown}.`, ["card"])).toEqual([["card", shown]]);
        // Change one digit and the checksum fails: no longer a card.
        const wrong = partial + ((check + 1) % 10);
        expect(found(`card: ${wrong}.`, ["card"])).toEqual([]);
      }),
    );
  });

  it("finds cards in their printed groupings and next to other numbers", () => {
    expect(found("Amex 3782 822463 10005 exp 12/29", ["card"])).toEqual([["card", "3782 822463 10005"]]);
    expect(found("Diners 3056-930902-5904", ["card"])).toEqual([["card", "3056-930902-5904"]]);
    expect(found("4111 1111 1111 1111 123 (cvv)", ["card"])).toEqual([["card", "4111 1111 1111 1111"]]);
    expect(found("ref 1234 4111 1111 1111 1111", ["card"])).toEqual([["card", "4111 1111 1111 1111"]]);
    expect(found("two: 4242424242424242, 5555-5555-5555-4444", ["card"])).toEqual([
      ["card", "4242424242424242"],
      ["card", "5555-5555-5555-4444"],
    ]);
  });
});

describe("true positives", () => {
  it("finds AWS access key ids and secret keys next to a hint", () => {
    expect(found(`aws_access_key_id = ${AWS_ID}`)).toEqual([["aws_key", AWS_ID]]);
    expect(found(`export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`)).toEqual([["aws_key", AWS_SECRET]]);
    expect(found(`{"SecretAccessKey": "${AWS_SECRET}"}`)).toEqual([["aws_key", AWS_SECRET]]);
    expect(found("session ASIAY34FZKBOKMUTVV7A here")).toEqual([["aws_key", "ASIAY34FZKBOKMUTVV7A"]]);
  });

  it("finds PEM private key blocks (and a block cut short, to the end)", () => {
    expect(found(`here:\n${PEM}\nthanks`)).toEqual([["private_key", PEM]]);
    const openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----";
    expect(found(openssh)).toEqual([["private_key", openssh]]);
    const cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
    expect(found(`key ${cut}`)).toEqual([["private_key", cut]]);
    expect(found("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----")).toEqual([]);
  });

  it("finds emails", () => {
    expect(found("mail jane.doe+tag@example.co.uk or OPS@Example.COM.")).toEqual([
      ["email", "jane.doe+tag@example.co.uk"],
      ["email", "OPS@Example.COM"],
    ]);
  });

  it("finds phone numbers written as phone numbers", () => {
    for (const p of ["+44 20 7946 0958", "+1 (415) 555-0123", "+14155550123", "(415) 555-0123", "415-555-0123", "415.555.0123", "1-800-555-0199", "+49 30 901820"]) {
      expect(found(`call ${p} now`, ["phone"])).toEqual([["phone", p]]);
    }
  });

  it("finds vendor API keys and bearer JWTs", () => {
    const keys = [
      "sk-bw-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd",
      "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-x",
      "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      "xoxb-1234567890-abcdefghij",
      "AIzaSyAbCdEfGhIjKlMnOpQrStUvWxYz0123456",
      "sk_live_AbCdEfGhIjKlMnOp1234",
      `cfast_${"a1B2".repeat(10)}abcd1234`,
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU",
    ];
    for (const k of keys) expect(found(`token: ${k} end`, ["api_key"])).toEqual([["api_key", k]]);
  });

  it("runs only the detectors asked for", () => {
    const text = `${AWS_ID} jane@example.com 4111111111111111`;
    expect(found(text, ["email"])).toEqual([["email", "jane@example.com"]]);
    expect(found(text, [])).toEqual([]);
  });
});

describe("false positives (must not match)", () => {
  const corpus = [
    "version 1.2.3, 10.20.300, v2024.01.15-rc1, node 20.19.43",
    "released 2024-01-15 at 2024-01-15T10:20:30Z; dates 15/01/2024 and 01.15.2024",
    "id 123e4567-e89b-12d3-a456-426614174000 and 00000000-0000-0000-0000-000000000000",
    "order ORD-2024-000123, invoice #100234567, order 4111-1111-11 and PO 5555 5555",
    "timestamps 1700000000 and 1700000000000 and 17000000000001234",
    "ips 10.0.0.1, 192.168.100.200, 255.255.255.0, ::1",
    "git sha 3f786850e387550fdab836ed7e6dc881de23001b and 40 hex near secret: 3f786850e387550fdab836ed7e6dc881de23001b",
    "price $1,234,567.89, pi 3.14159265358979323846, 1e+10, x+1",
    "npm i @anthropic-ai/sdk@1.12.0, pkg@latest, image icon@2x.png and logo@3x.webp",
    "AKIA is a prefix; AKIAshort; the word secret alone; SECRET_NAME=my-db-password-name",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "extension 555-1234, room 4-101, call me maybe, 1-2-3-4",
    "a 16-digit number that fails Luhn: 4111111111111112 and 1234567812345678",
    "phone-like version 1.415.555.0123.4 and build 415-555-0123-7",
  ];
  it.each(corpus)("%s", (text) => {
    expect(found(text)).toEqual([]);
  });
});

describe("redaction", () => {
  it("replaces each match with [REDACTED:<type>] and keeps the rest", () => {
    const text = `key ${AWS_ID}, mail jane@example.com, card 4111 1111 1111 1111.`;
    expect(redactText(text, scanText(text, ALL))).toBe("key [REDACTED:aws_key], mail [REDACTED:email], card [REDACTED:card].");
  });

  it("redacts a whole key block as one finding, not its insides separately", () => {
    const text = `${PEM}\nmore`;
    expect(scanText(text, ALL)).toHaveLength(1);
    expect(redactText(text, scanText(text, ALL))).toBe("[REDACTED:private_key]\nmore");
  });

  it("findings hold only a type and offsets, never the matched text", () => {
    const secrets = [AWS_ID, AWS_SECRET, "jane@example.com", "4111111111111111", "+44 20 7946 0958"];
    const text = `aws ${secrets.join(" | ")}`;
    const findings = scanText(text, ALL);
    expect(findings).toHaveLength(5);
    for (const f of findings) expect(Object.keys(f).sort()).toEqual(["end", "start", "type"]);
    const serialised = JSON.stringify(findings);
    for (const s of secrets) expect(serialised).not.toContain(s);
  });
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const REDACT: GuardPolicy = { action: "redact", detectors: ALL };
const BLOCK: GuardPolicy = { action: "block", detectors: ALL };

function anthropicBody() {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    system: [{ type: "text", text: "You help jane@example.com.", cache_control: { type: "ephemeral" } }],
    messages: [
      { role: "user", content: `my key is ${AWS_ID}` },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "contact jane@example.com", signature: "sig" },
          { type: "tool_use", id: "t1", name: "write", input: { path: "/tmp/x", content: "card 4111111111111111", n: 3 } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: `found\n${PEM}` },
          { type: "tool_result", tool_use_id: "t2", content: [{ type: "text", text: "call +44 20 7946 0958" }] },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "mail ops@example.org" } },
          { type: "text", text: "nothing here" },
        ],
      },
    ],
    metadata: { user_id: "jane@example.com" },
  };
}

describe("guardAnthropicRequest", () => {
  it("redacts system, message text, tool_use input, tool_result content (string and blocks) and text documents", () => {
    const body = deepFreeze(anthropicBody());
    const before = structuredClone(body);
    const r = guardAnthropicRequest(body, REDACT);
    expect(r.blocked).toBe(false);
    expect(body).toEqual(before); // not mutated (and frozen: a write would have thrown)
    const out = r.body;
    expect(out.system[0]).toEqual({ type: "text", text: "You help [REDACTED:email].", cache_control: { type: "ephemeral" } });
    expect(out.messages[0]!.content).toBe("my key is [REDACTED:aws_key]");
    const assistant = out.messages[1]!.content as any[];
    expect(assistant[0]).toBe(body.messages[1]!.content[0]); // thinking is signed: untouched, same object
    expect(assistant[1].input).toEqual({ path: "/tmp/x", content: "card [REDACTED:card]", n: 3 });
    const user = out.messages[2]!.content as any[];
    expect(user[0].content).toBe("found\n[REDACTED:private_key]");
    expect(user[1].content[0].text).toBe("call [REDACTED:phone]");
    expect(user[2]).toBe((body.messages[2]!.content as any[])[2]); // image untouched
    expect(user[3].source.data).toBe("mail [REDACTED:email]");
    expect(user[4]).toBe((body.messages[2]!.content as any[])[4]); // unchanged block is shared, not copied
    expect(out.metadata).toBe(body.metadata); // not prompt text: left alone
    expect(r.findings).toEqual([
      { type: "aws_key", count: 1 },
      { type: "private_key", count: 1 },
      { type: "card", count: 1 },
      { type: "email", count: 2 },
      { type: "phone", count: 1 },
    ]);
    expect(JSON.stringify(r.findings)).not.toContain("jane@example.com");
  });

  it("blocks without changing the body when the policy says block", () => {
    const body = deepFreeze(anthropicBody());
    const r = guardAnthropicRequest(body, BLOCK);
    expect(r.blocked).toBe(true);
    expect(r.body).toBe(body);
    expect(r.findings.find((f) => f.type === "email")?.count).toBe(2);
  });

  it("returns the very same body, unblocked, when nothing is found", () => {
    const body = deepFreeze({ model: "m", system: "be brief", messages: [{ role: "user", content: [{ type: "text", text: "hello 2024-01-15" }] }] });
    for (const policy of [REDACT, BLOCK]) {
      const r = guardAnthropicRequest(body, policy);
      expect(r).toEqual({ body, findings: [], blocked: false });
      expect(r.body).toBe(body);
    }
  });

  it("honours the detector list", () => {
    const body = deepFreeze(anthropicBody());
    const r = guardAnthropicRequest(body, { action: "block", detectors: ["card"] });
    expect(r.findings).toEqual([{ type: "card", count: 1 }]);
    expect(r.blocked).toBe(true);
    expect(guardAnthropicRequest(body, { action: "block", detectors: [] }).blocked).toBe(false);
  });

  it("never mutates its input (property over arbitrary JSON bodies)", () => {
    const text = fc.oneof(fc.string(), fc.constantFrom(`x ${AWS_ID}`, "a@b.example", "4111111111111111"));
    const block = fc.oneof(
      fc.record({ type: fc.constant("text"), text }),
      fc.record({ type: fc.constant("tool_result"), content: fc.oneof(text, fc.array(fc.record({ type: fc.constant("text"), text }))) }),
      fc.record({ type: fc.constant("tool_use"), input: fc.jsonValue() }),
    );
    const body = fc.record({ system: fc.oneof(text, fc.array(fc.record({ type: fc.constant("text"), text }))), messages: fc.array(fc.record({ role: fc.constant("user"), content: fc.oneof(text, fc.array(block)) })) });
    fc.assert(
      fc.property(body, (b) => {
        const before = structuredClone(b);
        guardAnthropicRequest(deepFreeze(b), REDACT);
        expect(b).toEqual(before);
      }),
    );
  });
});

describe("guardOpenAIRequest", () => {
  function openaiBody() {
    return {
      model: "gpt-x",
      messages: [
        { role: "system", content: "support for jane@example.com" },
        { role: "user", content: [{ type: "text", text: `key ${AWS_ID}` }, { type: "image_url", image_url: { url: "https://x/y.png" } }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "pay", arguments: JSON.stringify({ card: "4111 1111 1111 1111", note: 'quote " and \\ ok' }) } }],
        },
        { role: "tool", tool_call_id: "c1", content: "charged; receipt to +1 (415) 555-0123" },
      ],
      user: "jane@example.com",
    };
  }

  it("redacts message content (strings and text parts) and tool-call arguments, keeping arguments valid JSON", () => {
    const body = deepFreeze(openaiBody());
    const before = structuredClone(body);
    const r = guardOpenAIRequest(body, REDACT);
    expect(body).toEqual(before);
    expect(r.blocked).toBe(false);
    const m = r.body.messages as any[];
    expect(m[0].content).toBe("support for [REDACTED:email]");
    expect(m[1].content[0].text).toBe("key [REDACTED:aws_key]");
    expect(m[1].content[1]).toBe(body.messages[1]!.content![1]);
    expect(JSON.parse(m[2].tool_calls[0].function.arguments)).toEqual({ card: "[REDACTED:card]", note: 'quote " and \\ ok' });
    expect(m[3].content).toBe("charged; receipt to [REDACTED:phone]");
    expect(r.body.user).toBe("jane@example.com"); // an end-user id field, not prompt text
    expect(r.findings).toEqual([
      { type: "aws_key", count: 1 },
      { type: "card", count: 1 },
      { type: "email", count: 1 },
      { type: "phone", count: 1 },
    ]);
  });

  it("scans unparseable tool-call arguments as text", () => {
    const body = deepFreeze({ model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{not json jane@example.com" } }] }] });
    const r = guardOpenAIRequest(body, REDACT);
    expect((r.body.messages[0] as any).tool_calls[0].function.arguments).toBe("{not json [REDACTED:email]");
  });

  it("blocks, leaving the body alone", () => {
    const body = deepFreeze(openaiBody());
    const r = guardOpenAIRequest(body, BLOCK);
    expect(r.blocked).toBe(true);
    expect(r.body).toBe(body);
  });
});

describe("key configuration: guard policy and Bedrock guardrail", () => {
  it("parses a guard policy, defaulting to every detector", () => {
    expect(parseGuardPolicy(undefined)).toBeNull();
    expect(parseGuardPolicy({ action: "redact" })).toEqual({ action: "redact", detectors: ALL });
    expect(parseGuardPolicy({ action: "block", detectors: ["card", "email", "card"] })).toEqual({ action: "block", detectors: ["card", "email"] });
    expect(() => parseGuardPolicy({ action: "warn" })).toThrow(/action/);
    expect(() => parseGuardPolicy({ action: "block", detectors: ["ssn"] })).toThrow(/detectors/);
  });

  it("parses a guardrail and renders it for InvokeModel headers and Converse", () => {
    expect(parseGuardrail(undefined)).toBeNull();
    const g = parseGuardrail({ identifier: "abc123xyz", version: 2, trace: "enabled" })!;
    expect(g).toEqual({ identifier: "abc123xyz", version: "2", trace: "enabled" });
    expect(guardrailHeaders(g)).toEqual({
      "x-amzn-bedrock-guardrailidentifier": "abc123xyz",
      "x-amzn-bedrock-guardrailversion": "2",
      "x-amzn-bedrock-trace": "ENABLED",
    });
    expect(guardrailConfig(g)).toEqual({ guardrailIdentifier: "abc123xyz", guardrailVersion: "2", trace: "enabled" });
    const arn = parseGuardrail({ identifier: "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123", version: "DRAFT" })!;
    expect(guardrailHeaders(arn)).toEqual({ "x-amzn-bedrock-guardrailidentifier": arn.identifier, "x-amzn-bedrock-guardrailversion": "DRAFT" });
  });

  it.each([
    [{ identifier: "abc\r\nx-evil: 1", version: "1" }, /identifier/],
    [{ identifier: "ABC", version: "1" }, /identifier/],
    [{ identifier: "abc", version: "0" }, /version/],
    [{ identifier: "abc", version: "latest" }, /version/],
    [{ identifier: "abc", version: "1", trace: "on" }, /trace/],
    ["abc", /object/],
  ])("refuses a malformed guardrail %#", (value, message) => {
    expect(() => parseGuardrail(value)).toThrow(message);
  });
});

describe("performance on hostile input", () => {
  it("scans long runs that defeat naive patterns without blowing up", () => {
    const inputs = ["1 ".repeat(50_000), "a".repeat(100_000) + "@", "a.".repeat(50_000) + "-", "+1".repeat(50_000), "-----BEGIN PRIVATE KEY-----".repeat(2000)];
    for (const text of inputs) expect(Array.isArray(scanText(text, ALL))).toBe(true);
  });
});
