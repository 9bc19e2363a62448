// `npm run terraform:generate`: writes the Terraform data generated from the Worker's code (the catalog's Bedrock
// ids for the Worker's IAM policy, the route table for the WAF). `--check` only reports stale files (exit 1).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { REPO_ROOT } from "./lib/db.ts";
import { generatedTerraformFiles } from "./lib/terraform/generated-files.ts";

const check = process.argv.includes("--check");
let stale = 0;
for (const { path, text } of generatedTerraformFiles()) {
  const current = existsSync(path) ? readFileSync(path, "utf8") : null;
  if (current === text) continue;
  if (check) {
    stale++;
    console.error(`${relative(REPO_ROOT, path)} is out of date: run npm run terraform:generate`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${relative(REPO_ROOT, path)}`);
  }
}
process.exit(stale ? 1 : 0);
