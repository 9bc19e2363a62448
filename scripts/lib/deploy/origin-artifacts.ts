// Publishes what the origin installs from this repository: the video sidecar's bundle and LiteLLM's hash-locked
// requirements. Each file goes to the artifacts bucket first, then its SHA-256 to SSM; the bootstrap waits for the
// checksums and refuses a file that does not match, so a half-finished upload is never installed.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../db.ts";
import type { OriginArtifactsTarget } from "./terraform-outputs.ts";

export const LITELLM_REQUIREMENTS = join(REPO_ROOT, "origin", "litellm", "requirements.txt");

type Run = (cmd: string, args: string[]) => Promise<unknown>;

/**
 * pip's --require-hashes refuses a requirements file where any requirement lacks a hash; refuse it here, earlier,
 * with the command that makes a proper one.
 */
export function checkHashLocked(text: string, file: string): void {
  const requirements = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l && !l.startsWith("-"));
  const unhashed = requirements.filter((l) => !/--hash=sha256:[0-9a-f]{64}/.test(l));
  if (requirements.length === 0 || unhashed.length > 0) {
    throw new Error(
      `${file} must pin every package with its hash (${unhashed.length ? `no hash for: ${unhashed.slice(0, 3).map((l) => l.split(/\s/)[0]).join(", ")}` : "it lists nothing"}). ` +
        "Make it on a machine with Python and PyPI: pip-compile --generate-hashes origin/litellm/requirements.in -o origin/litellm/requirements.txt",
    );
  }
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export interface Artifact {
  /** The object key in the bucket (the bootstrap's fetch_checked names the same keys). */
  key: string;
  file: string;
  /** The SSM parameter under the artifacts prefix that holds its SHA-256. */
  checksumName: string;
}

/** Refuses a missing or not hash-locked requirements file (before anything is built or uploaded). */
export function checkRequirementsFile(requirements = LITELLM_REQUIREMENTS): void {
  checkHashLocked(existsSync(requirements) ? readFileSync(requirements, "utf8") : "", requirements);
}

export function originArtifacts(sidecarTarball: string, requirements = LITELLM_REQUIREMENTS): Artifact[] {
  checkRequirementsFile(requirements);
  return [
    { key: "sidecar/sidecar.tar.gz", file: sidecarTarball, checksumName: "sidecar-sha256" },
    { key: "litellm/requirements.txt", file: requirements, checksumName: "litellm-requirements-sha256" },
  ];
}

export async function publishOriginArtifacts(target: OriginArtifactsTarget, artifacts: Artifact[], run: Run): Promise<string[]> {
  const published: string[] = [];
  for (const a of artifacts) {
    const sum = sha256File(a.file);
    await run("aws", ["s3", "cp", "--only-show-errors", "--region", target.region, a.file, `s3://${target.bucket}/${a.key}`]);
    await run("aws", ["ssm", "put-parameter", "--region", target.region, "--overwrite", "--type", "String", "--name", `${target.ssmPrefix}/${a.checksumName}`, "--value", sum]);
    published.push(`${a.key} ${sum}`);
  }
  return published;
}
