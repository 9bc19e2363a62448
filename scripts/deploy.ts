// `npm run deploy`: after `terraform -chdir=terraform apply`, puts the Worker live in four steps:
//   1. reads `terraform output -json` (and refuses LiteLLM requirements that are not hash-locked, before any change);
//   2. applies migrations/ to the production database (Neon);
//   2b. builds the video sidecar and publishes the origin's artifacts: uploads them to the artifacts bucket, then
//       their SHA-256 to SSM (the origin's bootstrap waits for those and checks them; `aws` CLI, your credentials);
//   3. `wrangler deploy` with the settings as --var and the secrets uploaded with the deployment (--secrets-file: a
//      private temporary file, removed afterwards; secrets never appear in arguments or output);
//   4. writes the admin CLI's config file (owner-only) unless one for another gateway exists;
//   5. runs the smoke test against the gateway (`--skip-smoke` to leave it out).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./lib/db.ts";
import { buildSidecar } from "./origin/build-sidecar.ts";
import { writeCliConfig } from "./lib/deploy/cli-config.ts";
import { checkRequirementsFile, LITELLM_REQUIREMENTS, originArtifacts, publishOriginArtifacts } from "./lib/deploy/origin-artifacts.ts";
import { run } from "./lib/deploy/run.ts";
import { parseTerraformOutputs } from "./lib/deploy/terraform-outputs.ts";

async function main(): Promise<void> {
  const skipSmoke = process.argv.includes("--skip-smoke");

  console.log("== reading terraform outputs");
  const outputs = parseTerraformOutputs(await run("terraform", ["-chdir=terraform", "output", "-json"], { cwd: REPO_ROOT, capture: true }));
  const databaseUrl = outputs.workerSecrets.DATABASE_URL;
  if (!databaseUrl) throw new Error('Terraform output "worker_secrets" has no DATABASE_URL.');
  // LITELLM_REQUIREMENTS: another hash-locked requirements file than origin/litellm/requirements.txt.
  const requirements = process.env.LITELLM_REQUIREMENTS || LITELLM_REQUIREMENTS;
  checkRequirementsFile(requirements);

  console.log("== applying migrations to the production database");
  await run(process.execPath, ["--import", "tsx", "scripts/migrate.ts", "--remote"], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });

  console.log("== building the video sidecar and publishing the origin's artifacts");
  const artifacts = originArtifacts(await buildSidecar(), requirements);
  const target = outputs.originArtifacts;
  for (const line of await publishOriginArtifacts(target, artifacts, (cmd, args) => run(cmd, args, { cwd: REPO_ROOT }))) console.log(`   ${line}`);

  console.log(`== deploying the Worker ${outputs.workerName}`);
  const dir = mkdtempSync(join(tmpdir(), "breakwater-deploy-"));
  try {
    const secretsFile = join(dir, "secrets.json");
    writeFileSync(secretsFile, JSON.stringify(outputs.workerSecrets), { mode: 0o600 });
    const vars = Object.entries(outputs.workerVars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
    const account = process.env.CLOUDFLARE_ACCOUNT_ID || outputs.accountId;
    await run("wrangler", ["deploy", "--name", outputs.workerName, "--secrets-file", secretsFile, ...vars], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...(account ? { CLOUDFLARE_ACCOUNT_ID: account } : {}) },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`== ${writeCliConfig(outputs)}`);

  if (skipSmoke) {
    console.log("== smoke test skipped (--skip-smoke)");
    return;
  }
  console.log(`== smoke test against ${outputs.gatewayUrl}`);
  await run(process.execPath, ["--import", "tsx", "scripts/smoke.ts", outputs.gatewayUrl], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SMOKE_ACCESS_CLIENT_ID: outputs.clientToken.client_id,
      SMOKE_ACCESS_CLIENT_SECRET: outputs.clientToken.client_secret,
      BREAKWATER_ACCESS_CLIENT_ID: outputs.adminToken.client_id,
      BREAKWATER_ACCESS_CLIENT_SECRET: outputs.adminToken.client_secret,
      BREAKWATER_MASTER_KEY: outputs.workerSecrets.MASTER_KEY ?? "",
    },
  });
  console.log("== deployed. Next: npx breakwater key create <name> (see README, Deployment)");
}

main().catch((err: unknown) => {
  console.error(`Deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
