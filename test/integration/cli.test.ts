// The admin CLI (`breakwater …`) against the real Worker in workerd, the Bedrock emulator and Postgres. Most command
// lines run in-process through `main(argv, io)` with captured output; the real bin (node + tsx) is spawned a few
// times to prove the process wiring: exit codes, stdout/stderr, the environment.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_ANSWERING } from "../../cli/http.ts";
import { CLAUDE_MODELS } from "../../cli/models.ts";
import { claudeBinary } from "../support/claude-cli.ts";
import { runCli, type CliRun } from "../support/cli-run.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { REPO_ROOT } from "../support/worker-harness.ts";

const MASTER = "sk-master-cli-0123456789abcdefghijklmnopqrstuvwxyz";
const ACCESS_ID = "0123456789abcdef0123456789abcdef.access";
const ACCESS_SECRET = "access-secret-fedcba9876543210fedcba9876543210";

let stack: Stack;
let url: string;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ env: { MASTER_KEY: MASTER, ABUSE_KEY_FAILURES: "1000" } });
  url = stack.gateway.url;
  dir = mkdtempSync(join(tmpdir(), "breakwater-cli-"));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs one command line in-process, as the bin would, against the stack (env overridable). */
function cli(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli(argv, { env: { BREAKWATER_URL: url, BREAKWATER_MASTER_KEY: MASTER, ...env }, cwd: dir, homeDir: dir });
}

async function ok(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const r = await cli(argv, env);
  expect(r.code, `${argv.join(" ")}\nstdout: ${r.out}\nstderr: ${r.err}`).toBe(0);
  return r;
}

const json = async (argv: string[], env: Record<string, string | undefined> = {}) => JSON.parse((await ok([...argv, "--json"], env)).out) as Record<string, any>;

function callModel(key: string, model = "claude-sonnet-4-6"): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model, max_tokens: 32, messages: [{ role: "user", content: "Hello" }] }),
  });
}

async function status(res: Promise<Response>): Promise<number> {
  const r = await res;
  await r.body?.cancel();
  return r.status;
}

/** The real bin, as `npx breakwater` runs it. */
function spawnBin(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, "scripts/breakwater.mjs"), ...args],
      { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env }, timeout: 20_000 },
      (error, out, err) => resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err }),
    );
  });
}

/** A URL nothing listens on: a port the OS just handed out, closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function expectNoSecrets(r: { out: string; err: string }): void {
  for (const secret of [MASTER, ACCESS_SECRET]) {
    expect(r.out).not.toContain(secret);
    expect(r.err).not.toContain(secret);
  }
}

describe("status", () => {
  it("reports health, the admin API, the key count and today's spend", async () => {
    const r = await ok(["status"]);
    expect(r.out).toMatch(/health\s+ok/);
    expect(r.out).toMatch(/admin API\s+ok/);
    expect(r.out).toMatch(/keys\s+\d+/);
    expect(r.out).toMatch(/today\s+\$/);
    const s = await json(["status"]);
    expect(s).toMatchObject({ url, health: { ok: true, status: 200 }, admin: { ok: true }, access_token: false });
    expect(typeof s.keys).toBe("number");
    expect(s.today).toMatchObject({ date: new Date().toISOString().slice(0, 10), timezone: "UTC" });
  });
});

describe("key create", () => {
  it("prints the key once, writes a 0600 Claude Code settings file, and the key works on /v1/messages", async () => {
    const r = await ok(["key", "create", "alice", "--claude-only", "--budget", "5", "--duration", "1d", "--rpm", "60", "--tpm", "200k", "--parallel", "4", "--expires", "30d", "--user", "u-alice", "--team", "t-eng"]);
    const key = /sk-bw-[A-Za-z0-9]{40}/.exec(r.out)?.[0];
    expect(key).toBeDefined();
    expect(r.out.split(key!).length - 1).toBe(1);
    expect(r.err).toMatch(/only time the key is shown/);
    expectNoSecrets(r);

    const path = join(dir, "claude-settings.alice.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const settings = JSON.parse(readFileSync(path, "utf8"));
    expect(settings.env).toEqual({
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_AUTH_TOKEN: key,
      ANTHROPIC_MODEL: "claude-sonnet-4-6",
      ANTHROPIC_DEFAULT_SONNET_MODEL: "claude-sonnet-4-6",
      ANTHROPIC_DEFAULT_HAIKU_MODEL: "claude-haiku-4-5",
      ANTHROPIC_DEFAULT_OPUS_MODEL: "claude-opus-4-7",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    });

    // The settings' models are allowed to the key; a non-Claude model is not.
    for (const model of [settings.env.ANTHROPIC_MODEL, settings.env.ANTHROPIC_DEFAULT_HAIKU_MODEL, settings.env.ANTHROPIC_DEFAULT_OPUS_MODEL]) {
      expect(await status(callModel(key!, model))).toBe(200);
    }
    expect(await status(callModel(key!, "nova-pro"))).toBe(403);

    const info = await json(["key", "info", "alice"]);
    expect(info).toMatchObject({ key_alias: "alice", max_budget: 5, budget_duration: "1d", rpm_limit: 60, tpm_limit: 200_000, max_parallel_requests: 4, user_id: "u-alice", team_id: "t-eng", blocked: false });
    expect([...info.models].sort()).toEqual([...CLAUDE_MODELS].sort());
    const days = (Date.parse(info.expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("--model writes settings that put every Claude Code call on that model, and limits the key to it", async () => {
    const r = await ok(["key", "create", "qwen-user", "--model", "qwen3-coder-480b"]);
    const key = /sk-bw-[A-Za-z0-9]{40}/.exec(r.out)![0];
    const settings = JSON.parse(readFileSync(join(dir, "claude-settings.qwen-user.json"), "utf8"));
    expect(settings.env).toEqual({
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_AUTH_TOKEN: key,
      ANTHROPIC_MODEL: "qwen3-coder-480b",
      ANTHROPIC_DEFAULT_SONNET_MODEL: "qwen3-coder-480b",
      ANTHROPIC_DEFAULT_HAIKU_MODEL: "qwen3-coder-480b",
      ANTHROPIC_DEFAULT_OPUS_MODEL: "qwen3-coder-480b",
      ANTHROPIC_SMALL_FAST_MODEL: "qwen3-coder-480b",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    });
    expect(await status(callModel(key, "qwen3-coder-480b"))).toBe(200);
    expect(await status(callModel(key, "claude-sonnet-4-6"))).toBe(403);
    expect((await json(["key", "info", "qwen-user"])).models).toEqual(["qwen3-coder-480b"]);

    const unknown = await cli(["key", "create", "nobody", "--model", "qwen-9000"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/--model must be a chat model of the catalog.*qwen3-coder-480b/);
    const outside = await cli(["key", "create", "nobody", "--model", "nova-pro", "--models", "claude-haiku-4-5"]);
    expect(outside.code).not.toBe(0);
    expect(outside.err).toMatch(/not among the key's --models/);
  });

  it("--json gives the key and the settings file; with an Access token the file carries its headers", async () => {
    const env = { BREAKWATER_ACCESS_CLIENT_ID: ACCESS_ID, BREAKWATER_ACCESS_CLIENT_SECRET: ACCESS_SECRET };
    const r = await ok(["key", "create", "bob", "--models", "claude-haiku-4-5,nova-pro", "--settings-file", "bob.json", "--json"], env);
    const created = JSON.parse(r.out);
    expect(created).toMatchObject({ key_alias: "bob", models: ["claude-haiku-4-5", "nova-pro"], settings_file: join(dir, "bob.json") });
    expect(created.key).toMatch(/^sk-bw-/);
    expect(r.out).not.toContain(ACCESS_SECRET);
    expect(r.out).not.toContain(MASTER);

    expect(statSync(join(dir, "bob.json")).mode & 0o777).toBe(0o600);
    const { env: s } = JSON.parse(readFileSync(join(dir, "bob.json"), "utf8"));
    expect(s.ANTHROPIC_CUSTOM_HEADERS).toBe(`CF-Access-Client-Id: ${ACCESS_ID}\nCF-Access-Client-Secret: ${ACCESS_SECRET}`);
    // Only Haiku is allowed among Claude models: every Claude Code model setting names it.
    expect([s.ANTHROPIC_MODEL, s.ANTHROPIC_DEFAULT_SONNET_MODEL, s.ANTHROPIC_DEFAULT_OPUS_MODEL, s.ANTHROPIC_DEFAULT_HAIKU_MODEL]).toEqual(Array(4).fill("claude-haiku-4-5"));
    expect(await status(callModel(created.key, "claude-haiku-4-5"))).toBe(200);
  });

  it("refuses to overwrite a settings file without --force, before making a key", async () => {
    writeFileSync(join(dir, "claude-settings.carol.json"), "{}");
    const r = await cli(["key", "create", "carol"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already exists: pass --force/);
    expect(r.requests).toEqual([]);
  });

  it("an alias already taken is the API's error, exit 1", async () => {
    const r = await cli(["key", "create", "alice", "--no-settings"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/another key already has the alias "alice"/);
  });
});

describe("key list, info, update", () => {
  it("lists keys as a table and as JSON", async () => {
    const r = await ok(["key", "list"]);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ALIAS\s+KEY\s+MODELS\s+SPEND \/ BUDGET\s+RPM \/ TPM\s+EXPIRES\s+BLOCKED$/);
    const alice = lines.find((l) => l.startsWith("alice "));
    expect(alice).toMatch(/sk-bw-\S+…\s+all Claude \(\d+\)\s+\$[\d.]+ \/ \$5\.00 per 1d\s+60 \/ 200,000\s+\d{4}-\d\d-\d\d/);
    expect(lines.find((l) => l.startsWith("bob "))).toMatch(/claude-haiku-4-5,nova-pro/);
    const keys = await json(["key", "list"]);
    expect(Array.isArray(keys)).toBe(true);
    expect(keys.map((k: any) => k.key_alias)).toEqual(expect.arrayContaining(["alice", "bob"]));
    expect(JSON.stringify(keys)).not.toMatch(/sk-bw-[A-Za-z0-9]{40}/);
  });

  it("key info takes an alias, a token id or the key itself", async () => {
    const byAlias = await json(["key", "info", "bob"]);
    const byId = await json(["key", "info", byAlias.token_id]);
    expect(byId.token_id).toBe(byAlias.token_id);
    const created = await json(["key", "create", "dave", "--no-settings"]);
    expect((await json(["key", "info", created.key])).key_alias).toBe("dave");
    const text = await ok(["key", "info", "bob"]);
    expect(text.out).toMatch(/^alias\s+bob$/m);
    expect(text.out).toMatch(/^models\s+claude-haiku-4-5, nova-pro$/m);
    const missing = await cli(["key", "info", "nobody"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no key has the alias "nobody"/);
  });

  it("key update changes only the fields given; none clears a limit", async () => {
    const updated = await json(["key", "update", "bob", "--budget", "20", "--rpm", "30", "--expires", "never"]);
    expect(updated).toMatchObject({ key_alias: "bob", max_budget: 20, rpm_limit: 30, expires: null, models: ["claude-haiku-4-5", "nova-pro"] });
    expect((await json(["key", "update", "bob", "--rpm", "none", "--alias", "bobby"])).rpm_limit).toBeNull();
    expect((await json(["key", "info", "bobby"])).max_budget).toBe(20);
    const nothing = await cli(["key", "update", "bobby"]);
    expect(nothing.code).toBe(2);
    expect(nothing.err).toMatch(/nothing to update/);
  });
});

describe("key rotate, revoke, unblock", () => {
  it("rotate with a grace period: both keys work, the settings file gets the new key; without grace the old key stops", async () => {
    const created = await json(["key", "create", "erin", "--claude-only", "--settings-file", "erin.json"]);
    const path = join(dir, "erin.json");
    // Something the user added by hand must survive the rotation.
    const before = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...before, permissions: { allow: ["Bash(ls)"] }, env: { ...before.env, ANTHROPIC_MODEL: "claude-opus-4-6" } }));

    const r = await ok(["key", "rotate", "erin", "--grace", "1h", "--settings-file", "erin.json"]);
    const next = /sk-bw-[A-Za-z0-9]{40}/.exec(r.out)?.[0];
    expect(next).toBeDefined();
    expect(next).not.toBe(created.key);
    expect(r.out).toMatch(/previous key keeps working until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await status(callModel(next!))).toBe(200);
    expect(await status(callModel(created.key))).toBe(200);

    expect(statSync(path).mode & 0o777).toBe(0o600);
    const after = JSON.parse(readFileSync(path, "utf8"));
    expect(after.env.ANTHROPIC_AUTH_TOKEN).toBe(next);
    expect(after.env.ANTHROPIC_MODEL).toBe("claude-opus-4-6");
    expect(after.permissions).toEqual({ allow: ["Bash(ls)"] });

    const again = await json(["key", "rotate", "erin"]);
    expect(again.grace_expires).toBeNull();
    expect(await status(callModel(next!))).toBe(401);
    expect(await status(callModel(again.key))).toBe(200);
  });

  it("revoke blocks (401), unblock restores, revoke --delete deletes", async () => {
    const { key } = await json(["key", "create", "frank", "--no-settings"]);
    expect(await status(callModel(key))).toBe(200);
    const r = await ok(["key", "revoke", "frank"]);
    expect(r.out).toMatch(/Blocked key "frank"/);
    expect(await status(callModel(key))).toBe(401);
    expect((await json(["key", "info", "frank"])).blocked).toBe(true);
    expect((await json(["key", "unblock", "frank"])).blocked).toBe(false);
    expect(await status(callModel(key))).toBe(200);
    const deleted = await json(["key", "revoke", "frank", "--delete"]);
    expect(deleted.deleted_keys).toHaveLength(1);
    expect(await status(callModel(key))).toBe(401);
    expect((await json(["key", "list"])).map((k: any) => k.key_alias)).not.toContain("frank");
  });
});

describe("unreadable", () => {
  // Chunks a key's meter object could not read are made only by damaged storage, which Miniflare gives a test no way to
  // write (set-aside-routes.test.ts runs the command over real chunks in a stand-in storage); here, against workerd,
  // the command's requests, answers and usage errors.
  it("lists none for a key whose rows were all readable; salvage and discard say what they did", async () => {
    const { key } = await json(["key", "create", "ivy", "--no-settings"]);
    expect(await status(callModel(key))).toBe(200);
    const listed = await ok(["unreadable", "ivy"]);
    expect(listed.out).toBe("No spend rows are set aside for this key.\n");
    expect(listed.requests).toEqual(["GET /key/list", "GET /spend/unreadable"]);
    expect((await json(["unreadable", key])).chunks).toEqual([]);
    expect((await ok(["unreadable", "ivy", "--salvage"])).out).toBe("Salvaged 0 rows from 0 chunks.\n");
    const discarded = await ok(["unreadable", "ivy", "--discard", "rows:a:0, rows:b:0"]);
    expect(discarded.out).toBe("Discarded 0 of 2 chunks.\n");
    expect(discarded.requests.at(-1)).toBe("POST /spend/unreadable/discard");
  });

  it("refuses flags that cannot go together and an empty --discard with exit 2, a chunk it does not have with exit 1", async () => {
    const both = await cli(["unreadable", "ivy", "--salvage", "--discard", "x"]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--salvage and --discard cannot be combined/);
    expect(both.requests).toEqual([]);
    const empty = await cli(["unreadable", "ivy", "--discard", ","]);
    expect(empty.code).toBe(2);
    expect(empty.requests).toEqual([]);
    // The gateway's 404 for a chunk it does not hold, through the real route.
    const missing = await cli(["unreadable", "ivy", "--show", "rows:nope:0"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/name: names no chunk set aside for this key/);
    expect(missing.requests.at(-1)).toBe("GET /spend/unreadable/chunk");
  });
});

describe("spend", () => {
  it("tables spend by key, model and day with a bar per row", async () => {
    const { key } = await json(["key", "create", "grace-spender", "--no-settings"]);
    for (const model of ["claude-sonnet-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"]) expect(await status(callModel(key, model))).toBe(200);
    expect(await stack.waitForSpendRows("grace-spender", 3)).toHaveLength(3);

    const byKey = await ok(["spend"]);
    expect(byKey.out).toMatch(/^Spend \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\), by key$/m);
    expect(byKey.out).toMatch(/^KEY\s+REQUESTS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+SPEND$/m);
    expect(byKey.out).toMatch(/^grace-spender\s+3\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+\$[\d.]+\s+[█▏▎▍▌▋▊▉]+$/m);
    expect(byKey.out).toMatch(/^total\s+\d+/m);

    const byModel = await json(["spend", "--by", "model", "--since", "today"]);
    const sonnet = byModel.rows.find((r: any) => r.label === "claude-sonnet-4-6");
    expect(sonnet.requests).toBeGreaterThanOrEqual(2);
    expect(byModel.total.requests).toBeGreaterThanOrEqual(3);

    const byDay = await json(["spend", "--by", "day", "--since", "3d"]);
    expect(byDay.rows.map((r: any) => r.label)).toHaveLength(3);
    expect(byDay.rows.at(-1).requests).toBeGreaterThanOrEqual(3);
    expect(byDay.rows[0].requests).toBe(0);
  });
});

describe("errors", () => {
  it.each([
    [["key", "create", "x", "--budgt", "5"], /unknown flag --budgt for "key create" \(did you mean --budget\?\)/],
    [["key", "create", "x", "--budget"], /--budget needs a value/],
    [["key", "create", "x", "--rpm", "abc"], /--rpm must be a whole number/],
    [["key", "create", "x", "--budget", "five"], /--budget must be an amount in USD/],
    [["key", "create", "x", "--duration", "5x"], /--duration must be a duration like 30s/],
    [["key", "create", "x", "--expires", "2026-02-30"], /--expires must be a duration.*not "2026-02-30"/],
    [["spend", "--since", "2026-13-01"], /--since must be a date/],
    [["spend", "--by", "week"], /--by must be key, model or day/],
    [["key", "rotate", "x", "--grace", "60d"], /--grace must be at most 30d/],
    [["key", "frobnicate"], /"key" has no command "frobnicate"/],
    [["deploy"], /unknown command "deploy"/],
    [["key", "create"], /"key create" needs NAME/],
    [["key", "list", "extra"], /takes no arguments; unexpected: "extra"/],
  ])("%j → exit 2 with a message, nothing sent", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe("");
    expect(r.requests).toEqual([]);
  });

  it("a wrong master key: exit 1 and the message that says what to check, never the key", async () => {
    const wrong = "sk-master-wrong-0123456789abcdefghijklmnopqrstuvwx";
    const r = await cli(["key", "list"], { BREAKWATER_MASTER_KEY: wrong });
    expect(r.code).toBe(1);
    expect(r.err).toContain(NOT_ANSWERING);
    expect(r.err + r.out).not.toContain(wrong);
    const j = await cli(["key", "list", "--json"], { BREAKWATER_MASTER_KEY: wrong });
    expect(j.code).toBe(1);
    expect(j.out).toBe("");
    expect(JSON.parse(j.err)).toEqual({ error: { message: NOT_ANSWERING, exit_code: 1, status: 404, request_id: expect.any(String) } });
  });

  it("an unreachable gateway: exit 1", async () => {
    const closed = await closedPortUrl();
    const r = await cli(["status"], { BREAKWATER_URL: closed });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAILED: cannot reach the gateway at ${closed}: connection refused`);
    const list = await cli(["key", "list"], { BREAKWATER_URL: closed });
    expect(list.code).toBe(1);
    expect(list.err).toMatch(/cannot reach the gateway/);
  });

  it("video create refuses a --model that is not one of its names (toString, constructor too) before any request", async () => {
    for (const model of ["sora", "toString", "constructor", "__proto__"]) {
      const r = await cli(["video", "create", "a cat", "--model", model, "--key", "sk-bw-unused"]);
      expect(r.code, `${model}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(/--model must be one of nova-reel, luma-ray2, ray2/);
      expect(r.requests).toEqual([]);
    }
  });

  it("missing configuration is a usage error naming the variable", async () => {
    const r = await cli(["key", "list"], { BREAKWATER_MASTER_KEY: undefined });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no master key: set BREAKWATER_MASTER_KEY/);
  });

  it("reads a config file (env wins) and warns when others can read it", async () => {
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify({ url: "http://127.0.0.1:9", masterKey: MASTER }), { mode: 0o644 });
    const r = await ok(["key", "list", "--config", path], { BREAKWATER_MASTER_KEY: undefined });
    expect(r.err).toMatch(/readable by other users \(mode 0644\): run chmod 600/);
    expect(r.out).toMatch(/^ALIAS/);
  });
});

describe("Claude Code with the settings file", () => {
  it("`claude --settings FILE` reaches the gateway with the key and the model the file names", async () => {
    const home = mkdtempSync(join(dir, "claude-home-"));
    const settings = join(home, "settings.json");
    await json(["key", "create", "cc-user", "--claude-only", "--settings-file", settings]);
    stack.emulator.reset();
    // Nothing but the settings file tells Claude Code where the gateway is and which key to use.
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        claudeBinary(),
        ["--settings", settings, "-p", "hello", "--output-format", "json"],
        { cwd: home, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, DISABLE_AUTOUPDATER: "1" } },
        (err, out, errOut) => (err ? reject(new Error(`claude failed: ${err.message}\n${out}\n${errOut}`)) : resolve(out)),
      );
    });
    expect(JSON.parse(stdout).is_error).toBe(false);
    expect(stack.emulator.requests.map((r) => r.modelId)).toContain("us.anthropic.claude-sonnet-4-6");
    await expect.poll(async () => (await json(["key", "info", "cc-user"])).spend).toBeGreaterThan(0);
  }, 90_000);
});

describe("the bin (node scripts/breakwater.mjs)", () => {
  const env = () => ({ BREAKWATER_URL: url, BREAKWATER_MASTER_KEY: MASTER });

  it("runs a command with --json: clean stdout, exit 0", async () => {
    const r = await spawnBin(["key", "list", "--json"], env());
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).map((k: any) => k.key_alias)).toContain("alice");
  });

  it("exits 2 on a usage error and 1 on a wrong master key", async () => {
    const usage = await spawnBin(["key", "create", "x", "--rpm", "lots"], env());
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--rpm must be a whole number/);
    const wrong = await spawnBin(["status"], { ...env(), BREAKWATER_MASTER_KEY: "sk-not-the-master-key-0123456789abcdef" });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/health\s+ok/);
    expect(wrong.out).toContain(NOT_ANSWERING);
  });
});
