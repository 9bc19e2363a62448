// `npm run destroy` with a stand-in `terraform` first on PATH (the real one needs cloud credentials): it asks before
// doing anything, lifts the audit bucket's protection, then destroys.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/db.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bw-destroy-test-"));
  writeFileSync(join(dir, "terraform"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$RECORD_FILE"\n`);
  chmodSync(join(dir, "terraform"), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function destroy(args: string[], stdin: string, record: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/destroy.ts", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}`, RECORD_FILE: record },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.stdin.end(stdin);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("npm run destroy", () => {
  it("changes nothing unless the operator types 'destroy'", async () => {
    const record = join(dir, "no.log");
    const { code, output } = await destroy([], "yes\n", record);
    expect(code).toBe(0);
    expect(output).toContain("Nothing was changed.");
    expect(existsSync(record)).toBe(false);
  }, 60_000);

  it("lifts the audit bucket's protection, then destroys everything", async () => {
    const record = join(dir, "yes.log");
    const { code } = await destroy([], "destroy\n", record);
    expect(code).toBe(0);
    expect(readFileSync(record, "utf8").trim().split("\n")).toEqual([
      "-chdir=terraform apply -auto-approve -input=false -target=module.aws.module.audit_bucket.aws_s3_bucket.this -var audit_bucket_force_destroy=true",
      "-chdir=terraform destroy -auto-approve -input=false -var audit_bucket_force_destroy=true",
    ]);
  }, 60_000);
});
