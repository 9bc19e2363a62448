import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSettingsTarget, claudeSettings, defaultSettingsPath, readSettingsFile, withNewConnection, writeSettingsFile } from "../../cli/claude-settings.ts";
import { UsageError } from "../../cli/errors.ts";
import { CLAUDE_MODELS, claudeModelsFor, describeModels } from "../../cli/models.ts";
import { MODELS } from "../../worker/models/catalog-data.ts";

const ACCESS = { clientId: "abc.access", clientSecret: "s3cret" };

describe("claudeModelsFor", () => {
  it("every model: the newest verified model of each family", () => {
    expect(claudeModelsFor([])).toEqual({ main: "claude-sonnet-4-6", sonnet: "claude-sonnet-4-6", opus: "claude-opus-4-7", haiku: "claude-haiku-4-5" });
    expect(claudeModelsFor(CLAUDE_MODELS)).toEqual(claudeModelsFor([]));
  });

  it("picks only from what the key allows, falling back to a nearby family", () => {
    expect(claudeModelsFor(["claude-opus-4-6", "claude-haiku-4-5"])).toEqual({ main: "claude-opus-4-6", sonnet: "claude-opus-4-6", opus: "claude-opus-4-6", haiku: "claude-haiku-4-5" });
    expect(claudeModelsFor(["claude-sonnet-4-5", "nova-pro"])).toEqual({ main: "claude-sonnet-4-5", sonnet: "claude-sonnet-4-5", opus: "claude-sonnet-4-5", haiku: "claude-sonnet-4-5" });
  });

  it("uses an unverified model when it is all the key has, and names a model as the key lists it (an alias)", () => {
    expect(claudeModelsFor(["claude-sonnet-5-5"])?.main).toBe("claude-sonnet-5-5");
    expect(claudeModelsFor(["claude-haiku-4-5-20251001"])?.haiku).toBe("claude-haiku-4-5-20251001");
  });

  it("is null for a key without Claude models", () => {
    expect(claudeModelsFor(["nova-pro", "titan-embed-text-v2"])).toBeNull();
  });

  it("--claude-only is exactly the catalog's Anthropic models", () => {
    expect(CLAUDE_MODELS).toEqual(MODELS.filter((m) => m.api === "anthropic").map((m) => m.name));
    expect(CLAUDE_MODELS.every((m) => m.startsWith("claude-"))).toBe(true);
    expect(describeModels([...CLAUDE_MODELS])).toBe(`all Claude (${CLAUDE_MODELS.length})`);
    expect(describeModels([])).toBe("all");
    expect(describeModels(["a", "b"])).toBe("a,b");
  });
});

describe("claudeSettings", () => {
  const models = claudeModelsFor([])!;

  it("the env Claude Code reads: gateway, key, models, no nonessential traffic", () => {
    expect(claudeSettings({ baseUrl: "https://gw.example.com", key: "sk-bw-x", access: undefined, models })).toEqual({
      $schema: "https://json.schemastore.org/claude-code-settings.json",
      env: {
        ANTHROPIC_BASE_URL: "https://gw.example.com",
        ANTHROPIC_AUTH_TOKEN: "sk-bw-x",
        ANTHROPIC_MODEL: "claude-sonnet-4-6",
        ANTHROPIC_DEFAULT_SONNET_MODEL: "claude-sonnet-4-6",
        ANTHROPIC_DEFAULT_HAIKU_MODEL: "claude-haiku-4-5",
        ANTHROPIC_DEFAULT_OPUS_MODEL: "claude-opus-4-7",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      },
    });
  });

  it("with an Access token: its two headers as newline-separated Name: value lines", () => {
    const s = claudeSettings({ baseUrl: "https://gw", key: "k", access: ACCESS, models });
    expect(s.env.ANTHROPIC_CUSTOM_HEADERS).toBe("CF-Access-Client-Id: abc.access\nCF-Access-Client-Secret: s3cret");
  });

  it("without Claude models: no model settings", () => {
    const s = claudeSettings({ baseUrl: "https://gw", key: "k", access: undefined, models: null });
    expect(Object.keys(s.env)).toEqual(["ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"]);
  });

  it("a rotation replaces the connection and keeps everything else, other custom headers included", () => {
    const existing = {
      permissions: { allow: ["Bash(ls)"] },
      env: { ANTHROPIC_AUTH_TOKEN: "old", ANTHROPIC_MODEL: "claude-opus-4-6", ANTHROPIC_CUSTOM_HEADERS: "X-Team: eng\ncf-access-client-id: old.access\nCF-Access-Client-Secret: old" },
    };
    const next = withNewConnection(existing, { baseUrl: "https://gw2", key: "new", access: ACCESS });
    expect(next).toEqual({
      permissions: { allow: ["Bash(ls)"] },
      env: {
        ANTHROPIC_AUTH_TOKEN: "new",
        ANTHROPIC_BASE_URL: "https://gw2",
        ANTHROPIC_MODEL: "claude-opus-4-6",
        ANTHROPIC_CUSTOM_HEADERS: "X-Team: eng\nCF-Access-Client-Id: abc.access\nCF-Access-Client-Secret: s3cret",
      },
    });
    const noAccess = withNewConnection({ env: { ANTHROPIC_CUSTOM_HEADERS: "CF-Access-Client-Id: a\nCF-Access-Client-Secret: b" } }, { baseUrl: "u", key: "k", access: undefined });
    expect(noAccess.env).not.toHaveProperty("ANTHROPIC_CUSTOM_HEADERS");
  });

  it("the default file name carries the alias, made safe for a file name", () => {
    expect(defaultSettingsPath("/w", "alice")).toBe("/w/claude-settings.alice.json");
    expect(defaultSettingsPath("/w", "../etc/passwd")).toBe("/w/claude-settings.__etc_passwd.json");
    expect(defaultSettingsPath("/w", "team a/b")).toBe("/w/claude-settings.team_a_b.json");
  });
});

describe("settings files", () => {
  const dir = mkdtempSync(join(tmpdir(), "breakwater-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are written 0600, even over a file that was world-readable, leaving no temporary file", () => {
    const path = join(dir, "s.json");
    writeFileSync(path, "{}");
    chmodSync(path, 0o644);
    writeSettingsFile(path, { env: { A: "1" } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ env: { A: "1" } });
    expect(readdirSync(dir)).toEqual(["s.json"]);
  });

  it("are checked before a key is made: folder exists, no file unless --force", () => {
    const path = join(dir, "exists.json");
    writeFileSync(path, "{}");
    expect(() => checkSettingsTarget(path, false)).toThrow(/already exists: pass --force/);
    expect(() => checkSettingsTarget(path, true)).not.toThrow();
    expect(() => checkSettingsTarget(join(dir, "nope", "s.json"), true)).toThrow(UsageError);
    expect(() => checkSettingsTarget(join(dir, "new.json"), false)).not.toThrow();
  });

  it("are read back for a rotation: missing is null, not JSON or not an object is an error", () => {
    expect(readSettingsFile(join(dir, "missing.json"))).toBeNull();
    writeFileSync(join(dir, "bad.json"), "{nope");
    expect(() => readSettingsFile(join(dir, "bad.json"))).toThrow(/is not valid JSON/);
    writeFileSync(join(dir, "arr.json"), "[]");
    expect(() => readSettingsFile(join(dir, "arr.json"))).toThrow(/does not hold a JSON object/);
    writeFileSync(join(dir, "ok.json"), JSON.stringify({ model: "x" }));
    expect(readSettingsFile(join(dir, "ok.json"))).toEqual({ model: "x", env: {} });
  });
});
