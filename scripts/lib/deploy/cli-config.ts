import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { defaultConfigPath } from "../../../cli/config.ts";
import type { DeployOutputs } from "./terraform-outputs.ts";

/**
 * Writes the admin CLI's config file (URL, master key, admin Access token; readable by the owner only) so that
 * `npx breakwater key create …` works right after the first deploy. An existing file for another gateway is left
 * alone. Returns what was done, for the deploy log (never the values).
 */
export function writeCliConfig(outputs: DeployOutputs, env: NodeJS.ProcessEnv = process.env): string {
  const path = defaultConfigPath(env, env.HOME || homedir());
  const config = {
    url: outputs.gatewayUrl,
    masterKey: outputs.workerSecrets.MASTER_KEY,
    accessClientId: outputs.adminToken.client_id,
    accessClientSecret: outputs.adminToken.client_secret,
  };
  if (existsSync(path)) {
    let current: { url?: string } = {};
    try {
      current = JSON.parse(readFileSync(path, "utf8")) as { url?: string };
    } catch {
      // unreadable: treated as another gateway's
    }
    if (current.url !== outputs.gatewayUrl) return `left ${path} as it is (it names another gateway)`;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return `wrote ${path} for npx breakwater (owner-only)`;
}
