import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfigPath, loadConfig, normaliseUrl, type ConfigSources } from "../../cli/config.ts";
import { UsageError } from "../../cli/errors.ts";

const home = mkdtempSync(join(tmpdir(), "breakwater-config-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function load(over: Partial<ConfigSources>) {
  const warnings: string[] = [];
  const config = loadConfig({ env: {}, homeDir: home, cwd: home, requireMasterKey: true, ...over }, (w) => warnings.push(w));
  return { config, warnings };
}

function writeConfig(name: string, content: unknown, mode = 0o600): string {
  const path = join(home, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  chmodSync(path, mode);
  return path;
}

describe("loadConfig", () => {
  it("reads everything from the environment", () => {
    const { config, warnings } = load({
      env: { BREAKWATER_URL: "https://gw.example.com/", BREAKWATER_MASTER_KEY: "mk", BREAKWATER_ACCESS_CLIENT_ID: "id", BREAKWATER_ACCESS_CLIENT_SECRET: "sec" },
    });
    expect(config).toEqual({ url: "https://gw.example.com", masterKey: "mk", access: { clientId: "id", clientSecret: "sec" } });
    expect(warnings).toEqual([]);
  });

  it("reads the default file, the environment winning field by field", () => {
    mkdirSync(join(home, ".config", "breakwater"), { recursive: true });
    writeConfig(".config/breakwater/config.json", { url: "https://file.example.com", masterKey: "file-mk", accessClientId: "fid", accessClientSecret: "fsec" });
    const { config } = load({ env: { BREAKWATER_MASTER_KEY: "env-mk" } });
    expect(config).toEqual({ url: "https://file.example.com", masterKey: "env-mk", access: { clientId: "fid", clientSecret: "fsec" } });
    expect(load({ env: { BREAKWATER_MASTER_KEY: "x" }, url: "https://flag.example.com" }).config.url).toBe("https://flag.example.com");
    rmSync(join(home, ".config"), { recursive: true });
  });

  it("honours XDG_CONFIG_HOME", () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: "/xdg" }, "/home/u")).toBe("/xdg/breakwater/config.json");
    expect(defaultConfigPath({}, "/home/u")).toBe("/home/u/.config/breakwater/config.json");
  });

  it("warns when others can read the file, and about unknown fields", () => {
    const path = writeConfig("open.json", { url: "https://gw", masterKey: "mk", masterkey: "typo" }, 0o644);
    const { warnings } = load({ configPath: path });
    expect(warnings).toEqual([
      `the config file ${path} is readable by other users (mode 0644): run chmod 600 ${path}`,
      `the config file ${path} has an unknown field "masterkey" (known: url, masterKey, accessClientId, accessClientSecret); it is ignored`,
    ]);
  });

  it("usage errors: no URL, no master key, half an Access token, a missing --config file, bad JSON (without quoting it)", () => {
    const err = (over: Partial<ConfigSources>) => {
      try {
        load(over);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(err({})).toMatch(/^no gateway URL: set BREAKWATER_URL/);
    expect(err({ env: { BREAKWATER_URL: "https://gw" } })).toMatch(/^no master key: set BREAKWATER_MASTER_KEY/);
    expect(load({ env: { BREAKWATER_URL: "https://gw" }, requireMasterKey: false }).config.masterKey).toBeUndefined();
    expect(err({ env: { BREAKWATER_URL: "https://gw", BREAKWATER_MASTER_KEY: "m", BREAKWATER_ACCESS_CLIENT_ID: "id" } })).toMatch(/BREAKWATER_ACCESS_CLIENT_SECRET .* is not set/);
    expect(err({ configPath: "nope.json" })).toMatch(/nope\.json: it does not exist$/);
    const bad = writeConfig("bad.json", '{"masterKey": "super-secret-value",}');
    const message = err({ configPath: bad });
    expect(message).toMatch(/is not valid JSON/);
    expect(message).not.toContain("super-secret-value");
    expect(err({ configPath: writeConfig("num.json", { url: 5 }) })).toMatch(/"url" must be a string/);
  });
});

describe("normaliseUrl", () => {
  const warnings: string[] = [];
  const norm = (u: string) => normaliseUrl(u, (w) => warnings.push(w));

  it("strips trailing slashes and keeps a path", () => {
    expect(norm("https://gw.example.com/")).toBe("https://gw.example.com");
    expect(norm("https://gw.example.com/base//")).toBe("https://gw.example.com/base");
    expect(norm("http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
    expect(warnings).toEqual([]);
  });

  it("warns about plain HTTP beyond this machine", () => {
    norm("http://gw.example.com");
    expect(warnings.at(-1)).toMatch(/plain HTTP: the master key will cross the network unencrypted/);
  });

  it("refuses what is not an http(s) URL, or carries credentials or a query", () => {
    expect(() => norm("gw.example.com")).toThrow(/is not a URL/);
    expect(() => norm("ftp://gw")).toThrow(/must start with https:\/\//);
    expect(() => norm("https://u:p@gw")).toThrow(/must not contain credentials/);
    expect(() => norm("https://gw/?x=1")).toThrow(/query string/);
  });
});
