/**
 * The sidecar's settings, from its environment (systemd's EnvironmentFile on the instance; the dev runner and the
 * tests locally). It listens on 127.0.0.1 only: cloudflared on the same machine is its only client.
 */
import { parseVideoEndOfLife } from "../../worker/models/video-catalog.ts";

export interface SidecarConfig {
  host: string;
  port: number;
  /** HMAC key of the Worker's identity header (the Worker's ORIGIN_SHARED_SECRET). */
  sharedSecret: string;
  databaseUrl: string;
  /** The local Neon-protocol shim in dev and tests; unset in production (Neon itself). */
  databaseHttpEndpoint?: string;
  /** Bedrock Runtime for every region (the emulator); unset = https://bedrock-runtime.<region>.amazonaws.com. */
  bedrockEndpoint?: string;
  /** S3 for presigned URLs, path-style (the emulator); unset = https://<bucket>.s3.<region>.amazonaws.com. */
  s3Endpoint?: string;
  /** Output bucket per region: the bucket must be in the model's region. */
  buckets: Record<string, string>;
  /** Running jobs per key when the key sets no max_video_jobs. */
  maxJobsDefault: number;
  pollIntervalMs: number;
  /** Presigned URL lifetime. */
  urlTtlSeconds: number;
  /** MODEL_LIFECYCLE_DATE, as the Worker reads it. */
  lifecycleNow?: number;
  endOfLife: Record<string, string | null>;
  /** IMDSv2 base URL, for the instance role's credentials when none are in the environment. */
  imdsEndpoint: string;
  maxBodyBytes: number;
}

export function sidecarConfig(env: NodeJS.ProcessEnv): SidecarConfig {
  const problems: string[] = [];
  const need = (name: string): string => {
    const v = env[name];
    if (!v) problems.push(`${name} is required`);
    return v ?? "";
  };
  const num = (name: string, def: number, min: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === "") return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) problems.push(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const host = env.HOST ?? "127.0.0.1";
  if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") problems.push("HOST must be a loopback address: the sidecar is reached only through the tunnel");
  const sharedSecret = need("ORIGIN_SHARED_SECRET");
  if (sharedSecret && sharedSecret.length < 32) problems.push("ORIGIN_SHARED_SECRET must be at least 32 characters");
  let endOfLife: Record<string, string | null> = {};
  try {
    endOfLife = parseVideoEndOfLife(env.VIDEO_END_OF_LIFE);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  let lifecycleNow: number | undefined;
  if (env.MODEL_LIFECYCLE_DATE) {
    lifecycleNow = Date.parse(env.MODEL_LIFECYCLE_DATE);
    if (Number.isNaN(lifecycleNow)) problems.push("MODEL_LIFECYCLE_DATE must be an RFC 3339 date or instant");
  }
  const config: SidecarConfig = {
    host,
    port: num("PORT", 4001, 0, 65535),
    sharedSecret,
    databaseUrl: need("DATABASE_URL"),
    databaseHttpEndpoint: env.DATABASE_HTTP_ENDPOINT || undefined,
    bedrockEndpoint: env.BEDROCK_ENDPOINT?.replace(/\/+$/, "") || undefined,
    s3Endpoint: env.S3_ENDPOINT?.replace(/\/+$/, "") || undefined,
    buckets: { "us-east-1": need("VIDEO_BUCKET_US_EAST_1"), "us-west-2": need("VIDEO_BUCKET_US_WEST_2") },
    maxJobsDefault: num("VIDEO_MAX_CONCURRENT_JOBS", 3, 1, 100),
    pollIntervalMs: num("VIDEO_POLL_SECONDS", 15, 0.05, 3600) * 1000,
    urlTtlSeconds: num("VIDEO_URL_TTL_SECONDS", 3600, 60, 604_800),
    lifecycleNow,
    endOfLife,
    imdsEndpoint: (env.IMDS_ENDPOINT ?? "http://169.254.169.254").replace(/\/+$/, ""),
    maxBodyBytes: 40 * 1024 * 1024,
  };
  if (problems.length) throw new Error(`Invalid sidecar configuration: ${problems.join("; ")}`);
  return config;
}
