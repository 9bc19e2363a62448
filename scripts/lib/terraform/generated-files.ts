import { join } from "node:path";
import { PATTERN_ROUTES, ROUTES } from "../../../worker/edge/firewall.ts";
import { MODELS } from "../../../worker/models/catalog-data.ts";
import { REPO_ROOT } from "../db.ts";
import { bedrockCatalogFile } from "./bedrock-resources.ts";
import { wafFile } from "./waf.ts";

export const TERRAFORM_DIR = join(REPO_ROOT, "terraform");

/** The files `npm run terraform:generate` writes, with the exact text each must hold. */
export function generatedTerraformFiles(): { path: string; text: string }[] {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return [
    { path: join(TERRAFORM_DIR, "generated", "bedrock-models.json"), text: json(bedrockCatalogFile(MODELS)) },
    { path: join(TERRAFORM_DIR, "generated", "waf.json"), text: json(wafFile(ROUTES, PATTERN_ROUTES)) },
  ];
}
