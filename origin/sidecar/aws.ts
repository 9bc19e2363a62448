/**
 * AWS access for the sidecar: the instance role's temporary credentials from IMDSv2 (refreshed before they
 * expire), or static ones from the environment (dev, tests). Bedrock's async-invoke calls and S3 presigning are
 * SigV4 through aws4fetch, per region: Nova Reel runs in us-east-1, Ray2 in us-west-2.
 */
import { AwsClient } from "aws4fetch";
import type { SidecarConfig } from "./config.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Milliseconds since the epoch; undefined = does not expire. */
  expiresAt?: number;
}

/** Refresh role credentials this long before AWS says they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class CredentialSource {
  private current: Credentials | null = null;
  private pending: Promise<Credentials> | null = null;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly imds: string,
  ) {}

  async get(): Promise<Credentials> {
    if (this.env.AWS_ACCESS_KEY_ID && this.env.AWS_SECRET_ACCESS_KEY) {
      return { accessKeyId: this.env.AWS_ACCESS_KEY_ID, secretAccessKey: this.env.AWS_SECRET_ACCESS_KEY, sessionToken: this.env.AWS_SESSION_TOKEN || undefined };
    }
    if (this.current && (this.current.expiresAt === undefined || this.current.expiresAt - REFRESH_MARGIN_MS > Date.now())) return this.current;
    this.pending ??= this.fromInstanceRole().finally(() => (this.pending = null));
    this.current = await this.pending;
    return this.current;
  }

  /** IMDSv2: a session token first (PUT), then the role's name and its credentials. */
  private async fromInstanceRole(): Promise<Credentials> {
    const tokenRes = await fetch(`${this.imds}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }, signal: AbortSignal.timeout(2000) });
    if (!tokenRes.ok) throw new Error(`IMDSv2 token request failed (HTTP ${tokenRes.status})`);
    const headers = { "x-aws-ec2-metadata-token": await tokenRes.text() };
    const base = `${this.imds}/latest/meta-data/iam/security-credentials/`;
    const role = (await (await fetch(base, { headers, signal: AbortSignal.timeout(2000) })).text()).split("\n")[0]?.trim();
    if (!role) throw new Error("the instance has no IAM role");
    const doc = (await (await fetch(base + encodeURIComponent(role), { headers, signal: AbortSignal.timeout(2000) })).json()) as { AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string };
    return { accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey, sessionToken: doc.Token, expiresAt: Date.parse(doc.Expiration) };
  }
}

export async function awsClient(creds: CredentialSource, service: "bedrock" | "s3", region: string): Promise<AwsClient> {
  const c = await creds.get();
  return new AwsClient({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, service, region, retries: 0 });
}

export function bedrockBase(config: SidecarConfig, region: string): string {
  return config.bedrockEndpoint ?? `https://bedrock-runtime.${region}.amazonaws.com`;
}
