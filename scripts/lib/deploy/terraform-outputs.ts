// What `npm run deploy` needs from `terraform output -json`, checked: a missing or malformed output is a clear error
// naming it, never a half-configured Worker.

export interface AccessToken {
  client_id: string;
  client_secret: string;
}

export interface DeployOutputs {
  workerName: string;
  /** For wrangler (CLOUDFLARE_ACCOUNT_ID), when the environment does not name one. */
  accountId: string | undefined;
  gatewayUrl: string;
  workerVars: Record<string, string>;
  workerSecrets: Record<string, string>;
  adminToken: AccessToken;
  /** The first client token (the smoke test calls the gateway with it). */
  clientToken: AccessToken;
  /** Where the origin's artifacts go: an S3 bucket (and its region) and the SSM prefix for their checksums. */
  originArtifacts: OriginArtifactsTarget;
}

export interface OriginArtifactsTarget {
  bucket: string;
  region: string;
  ssmPrefix: string;
}

type TfOutput = { value: unknown; sensitive?: boolean };

export function parseTerraformOutputs(json: string): DeployOutputs {
  let raw: Record<string, TfOutput>;
  try {
    raw = JSON.parse(json) as Record<string, TfOutput>;
  } catch {
    throw new Error("terraform output -json did not print JSON: has `terraform -chdir=terraform apply` run?");
  }
  const value = (name: string): unknown => {
    const o = raw[name];
    if (!o || !("value" in o)) throw new Error(`Terraform output "${name}" is missing: run terraform -chdir=terraform apply first.`);
    return o.value;
  };
  const str = (name: string): string => {
    const v = value(name);
    if (typeof v !== "string" || v === "") throw new Error(`Terraform output "${name}" must be a non-empty string.`);
    return v;
  };
  const strMap = (name: string): Record<string, string> => {
    const v = value(name);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`Terraform output "${name}" must be a map.`);
    for (const [k, x] of Object.entries(v)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(k)) throw new Error(`Terraform output "${name}" has a bad variable name "${k}".`);
      if (typeof x !== "string") throw new Error(`Terraform output "${name}.${k}" must be a string.`);
    }
    return v as Record<string, string>;
  };
  const token = (v: unknown, name: string): AccessToken => {
    const t = v as Partial<AccessToken> | null;
    if (!t || typeof t.client_id !== "string" || typeof t.client_secret !== "string") throw new Error(`Terraform output "${name}" must hold client_id and client_secret.`);
    return { client_id: t.client_id, client_secret: t.client_secret };
  };
  const clients = value("client_access_tokens") as Record<string, unknown> | null;
  const firstClient = clients && Object.keys(clients).sort()[0];
  if (!firstClient) throw new Error('Terraform output "client_access_tokens" has no token: set client_token_names.');
  const gatewayUrl = str("gateway_url");
  if (!/^https?:\/\//.test(gatewayUrl)) throw new Error('Terraform output "gateway_url" must be an http(s) URL.');
  const account = raw.cloudflare_account_id?.value;
  return {
    workerName: str("worker_name"),
    accountId: typeof account === "string" && account !== "" ? account : undefined,
    gatewayUrl,
    workerVars: strMap("worker_vars"),
    workerSecrets: strMap("worker_secrets"),
    adminToken: token(value("admin_access_token"), "admin_access_token"),
    clientToken: token(clients[firstClient], `client_access_tokens.${firstClient}`),
    originArtifacts: artifactsTarget(value("origin_artifacts")),
  };
}

function artifactsTarget(v: unknown): OriginArtifactsTarget {
  const o = (v ?? {}) as Record<string, unknown>;
  for (const k of ["bucket", "region", "ssm_prefix"]) {
    if (typeof o[k] !== "string" || o[k] === "") throw new Error(`Terraform output "origin_artifacts.${k}" must be a non-empty string.`);
  }
  if (!String(o.ssm_prefix).startsWith("/")) throw new Error('Terraform output "origin_artifacts.ssm_prefix" must start with "/".');
  return { bucket: String(o.bucket), region: String(o.region), ssmPrefix: String(o.ssm_prefix) };
}
