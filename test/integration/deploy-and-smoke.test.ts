// `npm run deploy` and `npm run smoke` as an operator runs them, with stand-ins only for what cannot run here:
// `terraform`, `wrangler` and `aws` are small fake executables first on PATH that record their arguments (terraform
// prints prepared outputs; wrangler keeps a copy of the secrets file it was given). The sidecar is really built. The migrations run for real against a
// PostgreSQL server (PGlite over TCP), and the smoke test runs for real against the gateway in workerd.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/db.ts";
import { freePort } from "../support/ports.ts";
import { startStack, type Stack } from "../support/stack.ts";

// Each test runs whole scripts (node, tsx, migrations, a smoke run): give them time on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const MASTER = "master-key-for-the-deploy-test-0123456789abcdef";
let stack: Stack;
let pg: PGlite;
let pgServer: PGLiteSocketServer;
let databaseUrl: string;
let dir: string;
let requirements: string;

const FAKE_TERRAFORM = `#!/bin/sh
printf '%s\\n' "$*" >> "$RECORD_DIR/terraform.args"
case "$*" in *"output -json"*) cat "$FAKE_TF_OUTPUT" ;; esac
`;
const FAKE_AWS = `#!/bin/sh
printf '%s\\n' "$*" >> "$RECORD_DIR/aws.args"
`;
const FAKE_WRANGLER = `#!/bin/sh
printf '%s\\n' "$*" >> "$RECORD_DIR/wrangler.args"
printf '%s' "$CLOUDFLARE_ACCOUNT_ID" > "$RECORD_DIR/wrangler.account"
prev=""
for a in "$@"; do
  if [ "$prev" = "--secrets-file" ]; then cp "$a" "$RECORD_DIR/secrets.copy"; stat -c %a "$a" > "$RECORD_DIR/secrets.mode"; printf '%s' "$a" > "$RECORD_DIR/secrets.path"; fi
  prev="$a"
done
`;

function outputs(overrides: Record<string, unknown> = {}): string {
  const o: Record<string, unknown> = {
    worker_name: "breakwater",
    cloudflare_account_id: "0123456789abcdef0123456789abcdef",
    gateway_url: stack.gateway.url,
    worker_vars: { AWS_REGION: "us-east-1", BEDROCK_GEO_PREFIX: "us", ACCESS_AUD: "aud-tag-123", ACCESS_CLIENT_IDS: "c1.access,c2.access", ORIGIN_URL: "https://llm-origin.example.com" },
    worker_secrets: {
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEDEPLOY",
      AWS_SECRET_ACCESS_KEY: "aws-secret-value-never-printed-1234",
      DATABASE_URL: databaseUrl,
      MASTER_KEY: MASTER,
      ORIGIN_SHARED_SECRET: "origin-shared-secret-never-printed",
      ORIGIN_ACCESS_CLIENT_ID: "origin.access",
      ORIGIN_ACCESS_CLIENT_SECRET: "origin-access-secret-never-printed",
    },
    admin_access_token: { client_id: "admin.access", client_secret: "admin-access-secret-never-printed" },
    client_access_tokens: { default: { client_id: "c1.access", client_secret: "client-access-secret-never-printed" } },
    origin_artifacts: { bucket: "breakwater-artifacts-123456789012", region: "us-east-1", ssm_prefix: "/breakwater/artifacts" },
    ...overrides,
  };
  return JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { sensitive: /secret|token/.test(k), type: "x", value: v }])));
}

function runScript(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  // Each smoke run makes deliberate bad-key attempts; several runs from one address would hit the bad-key lockout.
  stack = await startStack({ env: { MASTER_KEY: MASTER, ABUSE_KEY_FAILURES: "1000" } });
  pg = await PGlite.create();
  const port = await freePort();
  pgServer = new PGLiteSocketServer({ db: pg, port, host: "127.0.0.1" });
  await pgServer.start();
  databaseUrl = `postgres://postgres:pg-password-never-printed@127.0.0.1:${port}/postgres`;
  dir = mkdtempSync(join(tmpdir(), "bw-deploy-test-"));
  requirements = join(dir, "requirements.txt");
  writeFileSync(requirements, `litellm==1.83.7 \\\n    --hash=sha256:${"a".repeat(64)}\nboto3==1.40.0 --hash=sha256:${"b".repeat(64)} --hash=sha256:${"c".repeat(64)}\n`);
  for (const [name, text] of [["terraform", FAKE_TERRAFORM], ["wrangler", FAKE_WRANGLER], ["aws", FAKE_AWS]] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
}, 180_000); // the Worker's first start under workerd is slow on a busy machine

afterAll(async () => {
  await stack?.stop();
  await pgServer?.stop();
  await pg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SECRETS = [
  "aws-secret-value-never-printed-1234",
  "origin-shared-secret-never-printed",
  "origin-access-secret-never-printed",
  "admin-access-secret-never-printed",
  "client-access-secret-never-printed",
  "pg-password-never-printed",
  MASTER,
];

describe("npm run deploy", () => {
  it("reads the Terraform outputs, migrates the database, deploys with wrangler, smoke-tests, and prints no secret", async () => {
    const record = mkdtempSync(join(dir, "run-"));
    writeFileSync(join(record, "outputs.json"), outputs());
    const { code, output } = await runScript("scripts/deploy.ts", [], {
      PATH: `${dir}${delimiter}${process.env.PATH}`,
      RECORD_DIR: record,
      FAKE_TF_OUTPUT: join(record, "outputs.json"),
      XDG_CONFIG_HOME: join(record, "config"),
      CLOUDFLARE_ACCOUNT_ID: "",
      LITELLM_REQUIREMENTS: requirements,
    });
    expect(output).toContain("smoke: ");
    expect(code, output).toBe(0);

    // The origin's artifacts: each uploaded to the artifacts bucket, then its SHA-256 published where the bootstrap reads it.
    const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
    const tarball = join(REPO_ROOT, "dist", "sidecar.tar.gz");
    expect(readFileSync(join(record, "aws.args"), "utf8").trim().split("\n")).toEqual([
      `s3 cp --only-show-errors --region us-east-1 ${tarball} s3://breakwater-artifacts-123456789012/sidecar/sidecar.tar.gz`,
      `ssm put-parameter --region us-east-1 --overwrite --type String --name /breakwater/artifacts/sidecar-sha256 --value ${sha(tarball)}`,
      `s3 cp --only-show-errors --region us-east-1 ${requirements} s3://breakwater-artifacts-123456789012/litellm/requirements.txt`,
      `ssm put-parameter --region us-east-1 --overwrite --type String --name /breakwater/artifacts/litellm-requirements-sha256 --value ${sha(requirements)}`,
    ]);

    expect(readFileSync(join(record, "terraform.args"), "utf8").trim()).toBe("-chdir=terraform output -json");

    const wrangler = readFileSync(join(record, "wrangler.args"), "utf8").trim().split("\n");
    expect(wrangler).toHaveLength(1);
    const secretsPath = readFileSync(join(record, "secrets.path"), "utf8");
    expect(wrangler[0]).toBe(
      `deploy --name breakwater --secrets-file ${secretsPath} --var AWS_REGION:us-east-1 --var BEDROCK_GEO_PREFIX:us --var ACCESS_AUD:aud-tag-123 --var ACCESS_CLIENT_IDS:c1.access,c2.access --var ORIGIN_URL:https://llm-origin.example.com`,
    );
    // Secrets reached wrangler in a private file, which is gone afterwards.
    expect(JSON.parse(readFileSync(join(record, "secrets.copy"), "utf8"))).toEqual(JSON.parse(outputs()).worker_secrets.value);
    expect(readFileSync(join(record, "secrets.mode"), "utf8").trim()).toBe("600");
    expect(existsSync(secretsPath)).toBe(false);
    expect(readFileSync(join(record, "wrangler.account"), "utf8")).toBe("0123456789abcdef0123456789abcdef");

    // The admin CLI can be used at once: its config file names this gateway and is readable by the owner only.
    const cliConfig = join(record, "config", "breakwater", "config.json");
    expect(JSON.parse(readFileSync(cliConfig, "utf8"))).toEqual({ url: stack.gateway.url, masterKey: MASTER, accessClientId: "admin.access", accessClientSecret: "admin-access-secret-never-printed" });
    expect((statSync(cliConfig).mode & 0o777).toString(8)).toBe("600");

    // The migrations really ran against the database named by DATABASE_URL.
    const tables = await pg.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public'");
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(["api_keys", "spend_logs"]));

    // The smoke test ran against the gateway: what exists passes (images are served at the edge), video is reported as not served.
    expect(output).toMatch(/PASS\s+health/);
    expect(output).toMatch(/PASS\s+auth: no key is refused/);
    expect(output).toMatch(/PASS\s+models/);
    expect(output).toMatch(/PASS\s+Messages streaming/);
    expect(output).toMatch(/PASS\s+Chat Completions streaming/);
    expect(output).toMatch(/PASS\s+image \(stable-image-core\)/);
    expect(output).toMatch(/NOT SERVED\s+video submit and status/);
    expect(output).toMatch(/PASS\s+admin: the test key is deleted/);

    for (const s of SECRETS) expect(output, "a secret was printed").not.toContain(s);
    for (const s of SECRETS) expect(wrangler[0], "a secret was on wrangler's command line").not.toContain(s);
  });

  it("stops with a clear message, before wrangler, when an output is missing", async () => {
    const record = mkdtempSync(join(dir, "run-"));
    const partial = JSON.parse(outputs());
    delete partial.worker_secrets;
    writeFileSync(join(record, "outputs.json"), JSON.stringify(partial));
    const { code, output } = await runScript("scripts/deploy.ts", [], {
      PATH: `${dir}${delimiter}${process.env.PATH}`,
      RECORD_DIR: record,
      FAKE_TF_OUTPUT: join(record, "outputs.json"),
      XDG_CONFIG_HOME: join(record, "config"),
    });
    expect(code).toBe(1);
    expect(output).toContain('Terraform output "worker_secrets" is missing');
    expect(existsSync(join(record, "wrangler.args"))).toBe(false);
  });

  it("refuses LiteLLM requirements that are not hash-locked before changing anything, and says how to make them", async () => {
    const record = mkdtempSync(join(dir, "run-"));
    writeFileSync(join(record, "outputs.json"), outputs());
    const loose = join(record, "requirements.txt");
    writeFileSync(loose, "litellm==1.83.7\n");
    const { code, output } = await runScript("scripts/deploy.ts", [], {
      PATH: `${dir}${delimiter}${process.env.PATH}`,
      RECORD_DIR: record,
      FAKE_TF_OUTPUT: join(record, "outputs.json"),
      XDG_CONFIG_HOME: join(record, "config"),
      LITELLM_REQUIREMENTS: loose,
    });
    expect(code).toBe(1);
    expect(output).toContain("must pin every package with its hash (no hash for: litellm==1.83.7)");
    expect(output).toContain("pip-compile --generate-hashes");
    expect(output).not.toContain("applying migrations");
    for (const tool of ["aws", "wrangler"]) expect(existsSync(join(record, `${tool}.args`)), tool).toBe(false);
  });
});

describe("npm run smoke", () => {
  it("fails (exit 1) and says why when the gateway refuses the test key's creation", async () => {
    const { code, output } = await runScript("scripts/smoke.ts", [stack.gateway.url, "--skip-video"], { BREAKWATER_MASTER_KEY: "not-the-master-key-000000000000000000", SMOKE_API_KEY: "" });
    expect(code).toBe(1);
    expect(output).toMatch(/PASS\s+health/);
    expect(output).toMatch(/FAIL\s+admin: a short-lived test key — POST \/key\/generate answered 404/);
    expect(output).toMatch(/SKIPPED\s+video/);
    expect(output).not.toContain("not-the-master-key");
  });

  it("tests with a key it is given, and refuses a missing URL with usage", async () => {
    const key = await stack.createKey({ alias: "smoke-given" });
    const { code, output } = await runScript("scripts/smoke.ts", [stack.gateway.url, "--skip-video"], { SMOKE_API_KEY: key, BREAKWATER_MASTER_KEY: "" });
    expect(code, output).toBe(0);
    expect(output).toMatch(/PASS\s+Messages streaming/);
    expect(output).not.toContain("admin: a short-lived test key");
    expect(output).not.toContain(key);
    const usage = await runScript("scripts/smoke.ts", [], {});
    expect(usage.code).toBe(2);
    expect(usage.output).toContain("Usage: npm run smoke -- https://");
  });
});
