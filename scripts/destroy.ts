// `npm run destroy`: removes everything Terraform created — the Worker (with its domain, cron and Durable Objects),
// the tunnel, Access, WAF rules, the origin, buckets, roles, alarms, budgets and the audit trail. The audit bucket
// is protected against deletion by default, so that protection is lifted first (a targeted apply). The Neon
// database and the Terraform state bucket (terraform/state) are left alone. Asks for confirmation unless --yes.
import { createInterface } from "node:readline/promises";
import { REPO_ROOT } from "./lib/db.ts";
import { run } from "./lib/deploy/run.ts";

async function main(): Promise<void> {
  const yes = process.argv.includes("--yes");
  if (!yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question("This deletes the deployed gateway, its origin and its audit logs. Type 'destroy' to go on: ");
    rl.close();
    if (answer.trim() !== "destroy") {
      console.log("Nothing was changed.");
      return;
    }
  }
  const tf = (...args: string[]) => run("terraform", ["-chdir=terraform", ...args], { cwd: REPO_ROOT });
  console.log("== allowing the audit bucket to be emptied");
  await tf("apply", "-auto-approve", "-input=false", "-target=module.aws.module.audit_bucket.aws_s3_bucket.this", "-var", "audit_bucket_force_destroy=true");
  console.log("== destroying");
  await tf("destroy", "-auto-approve", "-input=false", "-var", "audit_bucket_force_destroy=true");
  console.log("== done. The Neon database and the state bucket (terraform/state) are untouched.");
}

main().catch((err: unknown) => {
  console.error(`Destroy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
