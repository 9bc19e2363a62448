// Every shell script in the repository — and the origin's bootstrap as Terraform renders it — is ShellCheck-clean.
// CI installs Debian's shellcheck (.ci/run); where it is missing, the test reports itself skipped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/db.ts";
import { local, loadTerraform, renderTemplate, TERRAFORM_DIR, which } from "../support/terraform.ts";

const hasShellcheck = which("shellcheck");
// shellcheck and the HCL parser run as real processes / WebAssembly: slow on a busy machine, never a speed test.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const SKIP_DIRS = new Set(["node_modules", ".git", ".terraform", "dist", ".wrangler", ".breakwater", "coverage"]);

/**
 * Files that are shell scripts: *.sh, or anything whose first line is a bash/sh shebang. Terraform templates
 * (*.tftpl) are checked as rendered, below: their `${var}` placeholders are not shell variables.
 */
function shellScripts(dir = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.endsWith(".tftpl")) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...shellScripts(p));
    else if (name.endsWith(".sh") || (st.size < 1_000_000 && /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba)?sh\b/.test(readFileSync(p, "utf8").slice(0, 64)))) out.push(p);
  }
  return out.sort();
}

describe("shell scripts", () => {
  it("the set found includes the CI script", () => {
    expect(shellScripts().map((p) => relative(REPO_ROOT, p))).toContain(".ci/run");
  });

  it.skipIf(!hasShellcheck)("are ShellCheck-clean (skipped where shellcheck is not installed)", () => {
    const files = shellScripts();
    const r = spawnSync("shellcheck", ["--severity=style", ...files], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasShellcheck)("the origin bootstrap, rendered as Terraform renders it, is ShellCheck-clean", async () => {
    const tf = await loadTerraform();
    const template = join(REPO_ROOT, local(tf, ".", "bootstrap_template").replace("${local.origin_dir}/", "origin/"));
    const vars = Object.fromEntries(Object.keys(local(tf, "aws", "bootstrap_vars")).map((k) => [k, `value-of-${k}`]));
    const dir = mkdtempSync(join(tmpdir(), "bw-shellcheck-"));
    try {
      const file = join(dir, "user-data.sh");
      writeFileSync(file, renderTemplate(readFileSync(template, "utf8"), vars));
      const r = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
