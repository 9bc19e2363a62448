// Reads the origin's files (origin/) and renders what the instance is given: the LiteLLM config and the bootstrap.
// The Terraform uses the same inputs; this makes them available to tests and to `npm run origin:render`.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/db.ts";
import { renderLitellmConfig, type OriginModel } from "./litellm-config.ts";
import { renderTemplate } from "./template.ts";

export const ORIGIN_DIR = join(REPO_ROOT, "origin");
export const LITELLM_CONFIG_PATH = join(ORIGIN_DIR, "litellm/config.yaml");
export const UNITS = { litellm_unit: "litellm.service", sidecar_unit: "breakwater-sidecar.service", cloudflared_unit: "cloudflared.service" } as const;

const read = (rel: string) => readFileSync(join(ORIGIN_DIR, rel), "utf8");

export function originModels(): OriginModel[] {
  return (JSON.parse(read("litellm/origin-models.json")) as { models: OriginModel[] }).models;
}

export function currentLitellmConfig(): string {
  return renderLitellmConfig(originModels());
}

/** The values an operator supplies (everything else comes from the files). */
export interface BootstrapValues {
  region: string;
  ssm_prefix: string;
  artifacts_bucket: string;
  video_bucket_us_east_1: string;
  video_bucket_us_west_2: string;
  litellm_version?: string;
  cloudflared_version?: string;
}

export function renderBootstrap(values: BootstrapValues): string {
  const pins = JSON.parse(read("bootstrap/pins.json")) as Record<string, string | null>;
  const vars: Record<string, string> = {
    litellm_version: pins.litellm_version ?? "",
    cloudflared_version: pins.cloudflared_version ?? "",
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
    litellm_config: read("litellm/config.yaml").trimEnd(),
  };
  for (const [name, file] of Object.entries(UNITS)) vars[name] = read(`systemd/${file}`).trimEnd();
  for (const name of ["region", "ssm_prefix", "artifacts_bucket", "video_bucket_us_east_1", "video_bucket_us_west_2"]) {
    if (!vars[name]) throw new Error(`${name} is required`);
  }
  return renderTemplate(read("bootstrap/bootstrap.sh.tpl"), vars);
}

/** EC2 user data as Terraform's base64gzip() makes it. */
export function userData(script: string): string {
  return gzipSync(Buffer.from(script, "utf8"), { level: 9 }).toString("base64");
}
